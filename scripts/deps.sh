#!/bin/sh
# scripts/deps.sh - install the Debian packages shadowsync builds, tests and
# benchmarks with; does nothing when they are all present.
# Build: gcc make liburing-dev libxxhash-dev libaio-dev libjansson-dev
#        libcurl4-openssl-dev (remote sources)
# Test:  libcmocka-dev jq xxhash nbdkit libnbd-bin (nbdfuse) fuse3
#        libfuse3-dev pkg-config (tests/tools/slowdev.c)
#        python3 python3-jsonschema (JSON reports against docs/schema)
#        squashfs-tools util-linux (losetup, setpriv) zstd strace
#        clang libclang-rt-14-dev (make check-asan: sanitizer runtimes)
#        prometheus (promtool checks --prom files), systemd (systemd-analyze
#        verify of the drop-in), bash-completion, dpkg-dev (dpkg-shlibdeps,
#        for make deb) lintian, ansible-core (contrib/ansible playbooks)
# Bench: fio time (GNU time) diffutils (cmp)
PKGS="gcc make libc6-dev liburing-dev libxxhash-dev libaio-dev libjansson-dev
libcurl4-openssl-dev libcmocka-dev jq xxhash nbdkit libnbd-bin fuse3
libfuse3-dev pkg-config python3 python3-jsonschema
squashfs-tools util-linux zstd strace clang libclang-rt-14-dev fio time diffutils
prometheus systemd bash-completion dpkg-dev lintian ansible-core"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "shadowsync: missing Debian packages:$missing" >&2
	echo "shadowsync: run as root, or: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
	echo "shadowsync: apt-get install failed for:$missing" >&2
	exit 1
}
