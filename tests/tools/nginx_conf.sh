# tests/tools/nginx_conf.sh - sourced by tests/lib_remote.sh and
# bench/lib.sh: the nginx.conf both start nginx with.
#
# nginx_conf DIR LISTEN ROOT [SERVER_DIRECTIVES] [HTTP_DIRECTIVES]: write
# DIR/nginx.conf for an nginx in the foreground that serves ROOT on
# LISTEN ("127.0.0.1:PORT", "... ssl"), its pid, error log and temp files
# in DIR, no access log; run as root's workers when root (the files it
# serves may be in directories only root may enter).
nginx_conf() {
	local d=$1 listen=$2 root=$3 server=${4:-} http=${5:-} user=""
	[ "$(id -u)" = 0 ] && user="user root;"
	mkdir -p "$d/tmp"
	cat >"$d/nginx.conf" <<EOF
daemon off;
$user
worker_processes 2;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 512; }
http {
	access_log off;
	$http
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	server {
		listen $listen;
		root $root;
		$server
	}
}
EOF
}
