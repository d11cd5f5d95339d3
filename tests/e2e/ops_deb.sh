# make deb builds shadowsync_VERSION_ARCH.deb whose Depends come from the
# libraries the binary links (dpkg-shlibdeps), that lintian accepts
# without errors, that `apt-get install ./...deb` installs (the binary
# runs, the drop-in, default file, man page and completion are where
# Debian puts them) and `apt-get purge` removes without a trace.
. "$(dirname "$0")/../lib.sh"
need_root "apt-get install"
need_cmd dpkg-deb dpkg-shlibdeps lintian apt-get
[ -e /usr/bin/shadowsync ] && ! dpkg -S /usr/bin/shadowsync >/dev/null 2>&1 &&
	skip "/usr/bin/shadowsync exists and is not from a package"

# The package is of the normal build (make check-asan's SS is an ASan one).
bin=$TOP/shadowsync
[ -x "$bin" ] || bin=$SS
make -s -C "$TOP" deb BIN="$bin" DEBOUT="$T" >"$T/make.out" 2>&1 || fail "make deb: $(cat "$T/make.out")"
version=$(sed -n 's/^#define SHADOWSYNC_VERSION "\(.*\)"$/\1/p' "$TOP/cli/cli.h")
deb=$T/shadowsync_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "no $deb: $(ls "$T")"

# Depends: each library the binary needs, from its package.
dpkg-deb -f "$deb" Depends >"$T/depends"
for lib in $(objdump -p "$bin" 2>/dev/null | awk '/NEEDED/ {print $2}'); do
	case $lib in libasan*|libubsan*|libclang*|libstdc*|libgcc*|ld-linux*) continue ;; esac
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}')
	pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)
	[ -n "$pkg" ] || continue
	grep -q "\b$pkg\b" "$T/depends" || fail "Depends lacks $pkg (for $lib): $(cat "$T/depends")"
done

lintian --fail-on error "$deb" >"$T/lintian" 2>&1 || fail "lintian: $(grep '^E:' "$T/lintian")"
grep '^[EW]:' "$T/lintian" && note "lintian warnings above"

trap 'apt-get purge -y -qq shadowsync >/dev/null 2>&1' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "$deb" >"$T/apt" 2>&1 ||
	fail "apt-get install: $(tail -5 "$T/apt")"
/usr/bin/shadowsync --version >"$T/v" || fail "installed shadowsync --version"
grep -q "^shadowsync $version$" "$T/v" || fail "--version: $(cat "$T/v")"
for f in /lib/systemd/system/aerospike.service.d/shadowsync.conf /etc/default/shadowsync \
	/usr/share/man/man1/shadowsync.1.gz /usr/share/bash-completion/completions/shadowsync \
	/usr/lib/shadowsync/aerospike-prestart /usr/share/doc/shadowsync/copyright; do
	[ -e "$f" ] || fail "not installed: $f"
done
grep -q "^ExecStartPre=/usr/lib/shadowsync/aerospike-prestart$" \
	/lib/systemd/system/aerospike.service.d/shadowsync.conf || fail "drop-in path"
man -w shadowsync >/dev/null 2>&1 || note "man -w does not find it (man-db missing?)"
dpkg -L shadowsync >"$T/list"
apt-get purge -y -qq -o DPkg::Lock::Timeout=300 shadowsync >"$T/apt" 2>&1 || fail "apt-get purge: $(tail -5 "$T/apt")"
trap - EXIT
while read -r f; do
	[ -f "$f" ] && fail "left after purge: $f"
done <"$T/list"
[ -e /etc/default/shadowsync ] && fail "/etc/default/shadowsync left after purge"
exit 0
