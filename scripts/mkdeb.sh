#!/bin/sh
# scripts/mkdeb.sh BIN OUTDIR - build OUTDIR/shadowsync_VERSION_ARCH.deb
# from `make install PREFIX=/usr` with dpkg-deb: the binary stripped, the
# man page and changelog compressed, Depends computed by dpkg-shlibdeps
# from the libraries BIN links, /etc/default/shadowsync a conffile.
set -eu
bin=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^#define SHADOWSYNC_VERSION "\(.*\)"$/\1/p' "$top/cli/cli.h")
arch=$(dpkg --print-architecture)
for c in dpkg-deb dpkg-shlibdeps; do
	command -v $c >/dev/null || { echo "mkdeb: $c missing (Debian dpkg-dev)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
make -s -C "$top" install BIN="$bin" PREFIX=/usr DESTDIR="$root" >/dev/null
strip --remove-section=.comment --remove-section=.note "$root/usr/bin/shadowsync"
# Debian's places: units under /lib on bookworm, man pages compressed,
# docs with a copyright and changelog.
mkdir -p "$root/lib/systemd/system"
mv "$root/usr/lib/systemd/system/aerospike.service.d" "$root/lib/systemd/system/"
rmdir "$root/usr/lib/systemd/system" "$root/usr/lib/systemd"
gzip -9n "$root/usr/share/man/man1/shadowsync.1"
doc=$root/usr/share/doc/shadowsync
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: shadowsync
Comment: No licence has been chosen for shadowsync yet; until one is,
 all rights are reserved by its authors.

Files: *
Copyright: 2026 the shadowsync authors
License: none-yet
 No licence has been granted yet.
EOF
printf 'shadowsync (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- shadowsync maintainers <shadowsync@example.org>  %s\n' \
	"$version" "$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo a source tree)" \
	"$(date -R -d "@$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)")" |
	gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/copyright" "$doc/changelog.gz"

# Depends: what the binary links, as Debian's shlibs files say.
mkdir -p "$work/debian"
printf 'Source: shadowsync\n\nPackage: shadowsync\nArchitecture: any\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O -e"$root/usr/bin/shadowsync" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "mkdeb: dpkg-shlibdeps gave no Depends" >&2; exit 2; }

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: shadowsync
Version: $version
Architecture: $arch
Maintainer: shadowsync maintainers <shadowsync@example.org>
Installed-Size: $size
Depends: $depends
Section: admin
Priority: optional
Homepage: https://shadowsync.invalid/
Description: verify and sync Aerospike devices against their shadow devices
 shadowsync checks each local device of an Aerospike namespace against its
 shadow device (an EBS volume) with XXH3-128 block checksums, predicts what
 asd will do at cold start, copies only the differing ranges, writes and
 checks manifests, warms volumes restored from snapshots and restores device
 images. It ships a systemd drop-in that gates asd's start on the check.
EOF
echo /etc/default/shadowsync >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
	LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
mkdir -p "$out"
deb="$out/shadowsync_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
