#!/bin/sh
# scripts/deps.sh - install the Debian packages shadowsync builds, tests and
# benchmarks with, and the one npm package its tests use; does nothing
# when they are all present.
# Build: gcc make liburing-dev libxxhash-dev libaio-dev libjansson-dev
#        libcurl4-openssl-dev libssl-dev (remote sources: libcurl, and
#        libcrypto for SigV4) libarchive-dev (SMD bundles)
# Test:  libcmocka-dev jq xxhash nbdkit libnbd-bin (nbdfuse) fuse3
#        libfuse3-dev pkg-config (tests/tools/slowdev.c)
#        python3 python3-jsonschema (JSON reports against docs/schema)
#        squashfs-tools util-linux (losetup, setpriv, unshare) zstd strace
#        clang libclang-rt-14-dev (make check-asan: sanitizer runtimes)
#        libarchive-tools tar (bsdtar and GNU tar read SMD bundles)
#        strace procps (pgrep) (smd_kill: kills while a restore is slowed)
#        prometheus (promtool checks --prom files), systemd (systemd-analyze
#        verify of the drop-in), bash-completion, dpkg-dev (dpkg-shlibdeps,
#        for make deb) lintian, ansible-core (contrib/ansible playbooks)
#        remote sources: nginx-light (HTTP(S) server), openssl (its test
#        certificate), curl (uploads to s3rver), python3-botocore (the
#        SigV4 check of the S3/IMDS and EBS direct test servers), nodejs npm (only when
#        the machine has no Node.js: s3rver, installed from npm by
#        tests/tools/s3rver_install.sh into /var/cache/shadowsync-tests)
# Bench: fio time (GNU time) diffutils (cmp) gnuplot-nox (bench/*.png)
#        awscli (the S3 peer of bench/restore_remote.sh)
PKGS="gcc make libc6-dev liburing-dev libxxhash-dev libaio-dev libjansson-dev
libcurl4-openssl-dev libssl-dev libcmocka-dev jq xxhash nbdkit libnbd-bin fuse3
libfuse3-dev pkg-config python3 python3-jsonschema
squashfs-tools util-linux zstd clang libclang-rt-14-dev fio time diffutils awscli
prometheus systemd bash-completion dpkg-dev lintian ansible-core gnuplot-nox
libarchive-dev libarchive-tools tar strace procps
nginx-light openssl curl python3-botocore"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
# Node.js may come from elsewhere than Debian (it does on these machines):
# Debian's only when there is none, never over another.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"

if [ -n "$missing" ]; then
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
fi

# s3rver for the S3 interoperability test (tests/e2e/source_s3_s3rver.sh,
# which installs it itself when this did not, and skips saying why when
# npm cannot).
sh "$(dirname "$0")/../tests/tools/s3rver_install.sh" >/dev/null ||
	echo "shadowsync: s3rver (npm) is not installed: source_s3_s3rver will skip" >&2
exit 0
