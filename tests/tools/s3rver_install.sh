#!/bin/sh
# tests/tools/s3rver_install.sh - print the path of the s3rver binary (npm
# package s3rver, a fake S3 server on Node.js) used by the S3
# interoperability test, installing it with npm first when it is not
# there yet: into /var/cache/shadowsync-tests as root (scripts/deps.sh
# runs this, so CI has it before the tests), else into ~/.cache.
# Exit 1, with the reason on stderr, when it cannot be had.
V=3.7.1
if [ -n "${SHADOWSYNC_NPM_DIR:-}" ]; then
	D=$SHADOWSYNC_NPM_DIR/s3rver-$V
elif [ "$(id -u)" = 0 ]; then
	D=/var/cache/shadowsync-tests/s3rver-$V
else
	D=${XDG_CACHE_HOME:-$HOME/.cache}/shadowsync-tests/s3rver-$V
fi
BIN=$D/node_modules/.bin/s3rver
if [ ! -x "$BIN" ]; then
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
		echo "node and npm are not installed (make deps)" >&2
		exit 1
	}
	mkdir -p "$D" || exit 1
	# a tarball's worth from the npm registry; bounded in time
	timeout 300 npm install --prefix "$D" --no-audit --no-fund --no-save \
		--loglevel=error "s3rver@$V" >&2 && [ -x "$BIN" ] || {
		echo "npm could not install s3rver@$V into $D" >&2
		exit 1
	}
fi
echo "$BIN"
