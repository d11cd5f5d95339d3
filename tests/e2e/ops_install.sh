# make install / uninstall put exactly the listed files in place and take
# exactly them away (an edited /etc/default/shadowsync is kept); the
# installed drop-in passes `systemd-analyze verify` with a stand-in
# aerospike.service, and its prestart does what /etc/default/shadowsync
# says on a real conf: verify lets a clean node start and stops a damaged
# one, sync repairs it first, off skips, a bad mode is exit 2; the bash
# completion completes commands, options from --help, option values and
# block devices.
. "$(dirname "$0")/../lib.sh"
need_cmd zstd systemd-analyze
need_mkaero
[ -f /usr/share/bash-completion/bash_completion ] ||
	skip "bash-completion is not installed (scripts/deps.sh)"

inst() { make -s -C "$TOP" BIN="$SS" PREFIX="$P" SYSCONFDIR="$T/etc" "$@" >"$T/make.out" 2>&1; }

# 1. install and uninstall into a prefix of the test's own.
P=$T/root/usr
inst install || fail "make install: $(cat "$T/make.out")"
(cd "$T/root" && find . -type f | sort) >"$T/files"
want="./usr/bin/shadowsync
./usr/lib/shadowsync/aerospike-prestart
./usr/lib/systemd/system/aerospike.service.d/shadowsync.conf
./usr/share/bash-completion/completions/shadowsync
./usr/share/doc/shadowsync/README.md
./usr/share/doc/shadowsync/runbook.md
$(cd "$TOP/docs" && ls schema/*.json | sed 's|^|./usr/share/doc/shadowsync/|')
./usr/share/man/man1/shadowsync.1"
[ "$(cat "$T/files")" = "$(printf '%s\n' "$want" | sort)" ] ||
	fail "installed files: $(diff <(printf '%s\n' "$want" | sort) "$T/files")"
[ -x "$P/bin/shadowsync" ] && [ -x "$P/lib/shadowsync/aerospike-prestart" ] || fail "not executable"
"$P/bin/shadowsync" --version | qgrep "^shadowsync " || fail "installed binary does not run"
cmp -s "$T/etc/default/shadowsync" "$TOP/contrib/systemd/shadowsync.default" || fail "no /etc/default/shadowsync"
grep -q "^ExecStartPre=$P/lib/shadowsync/aerospike-prestart$" \
	"$P/lib/systemd/system/aerospike.service.d/shadowsync.conf" || fail "drop-in path not the prefix's"
grep -q "^SS=\${SHADOWSYNC:-$P/bin/shadowsync}$" "$P/lib/shadowsync/aerospike-prestart" ||
	fail "prestart's binary path not the prefix's"

# 2. systemd accepts the unit with the drop-in, and notices a broken one.
mkdir -p "$T/units/aerospike.service.d"
printf '[Unit]\nDescription=asd stand-in\n[Service]\nExecStart=/bin/true\n' >"$T/units/aerospike.service"
cp "$P/lib/systemd/system/aerospike.service.d/shadowsync.conf" "$T/units/aerospike.service.d/"
SYSTEMD_UNIT_PATH=$T/units: systemd-analyze verify "$T/units/aerospike.service" >"$T/sa" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$T/sa")"
grep -q shadowsync "$T/sa" && fail "systemd-analyze about the drop-in: $(cat "$T/sa")"
chmod -x "$P/lib/shadowsync/aerospike-prestart"
SYSTEMD_UNIT_PATH=$T/units: systemd-analyze verify "$T/units/aerospike.service" >"$T/sa" 2>&1 &&
	fail "systemd-analyze accepts a prestart that is not executable (is the drop-in read?)"
chmod +x "$P/lib/shadowsync/aerospike-prestart"

# 3. The prestart, as systemd runs it (environment from the default file).
fixtures "$T/fx"
sed -e "s|@DATA@|$T/fx|g" -e "s|@RUN@|$T/run|g" -e "s|@LOG@|$T/log|g" \
	"$TOP/tests/fixtures/aerospike-8.1-clean/aerospike.conf" >"$T/asd.conf"
prestart() {	# prestart MODE: RC, output in $T/ps
	(set -a; . "$T/etc/default/shadowsync"; SHADOWSYNC_MODE=$1
	 SHADOWSYNC_CONFIG=$T/asd.conf; SHADOWSYNC=$SS
	 exec "$P/lib/shadowsync/aerospike-prestart") >"$T/ps" 2>&1
	RC=$?
}
prestart verify
expect_rc 0 "clean node: $(cat "$T/ps")"
grep -q "^verify --gate: SAFE" "$T/ps" || fail "gate report: $(cat "$T/ps")"
flip "$T/fx/ns1-a.dat" $((8 * 1048576 + 100))	# damaged local, TRUSTED shadow
prestart verify
expect_rc 1 "damaged node: $(cat "$T/ps")"
grep -q "^WARNING: asd will load" "$T/ps" || fail "no warning in the journal: $(cat "$T/ps")"
prestart off
expect_rc 0
grep -q "SHADOWSYNC_MODE=off" "$T/ps" || fail "off says nothing"
prestart sometimes
expect_rc 2
prestart sync
expect_rc 0 "sync mode: $(cat "$T/ps")"
grep -q "^verify --gate: SAFE" "$T/ps" || fail "after sync: $(cat "$T/ps")"
prestart verify
expect_rc 0 "repaired node: $(cat "$T/ps")"
# Options: SHADOWSYNC_OPTS to both, SHADOWSYNC_SYNC_OPTS to sync only, no
# globbing (an argv printer stands in for shadowsync).
printf '#!/bin/sh\necho "$*" >>"%s"\n' "$T/argv" >"$T/printer"
chmod +x "$T/printer"
(SHADOWSYNC_MODE=sync SHADOWSYNC=$T/printer SHADOWSYNC_OPTS="--threads 2 $T/*" \
	SHADOWSYNC_SYNC_OPTS=--force exec "$P/lib/shadowsync/aerospike-prestart") >/dev/null 2>&1 ||
	fail "prestart with the printer"
grep -q "^sync .* --threads 2 $T/\* --force$" "$T/argv" || fail "sync's argv: $(cat "$T/argv")"
grep -q "^verify --gate .* --threads 2 $T/\*$" "$T/argv" || fail "verify's argv: $(cat "$T/argv")"

# 4. bash completion, from the installed file.
comp() {	# comp WORDS...: the completions of the last word
	bash -c '. /usr/share/bash-completion/bash_completion
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_shadowsync; printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$P/share/bash-completion/completions/shadowsync" "$@"
}
PATH=$P/bin:$PATH
comp shadowsync ve | qgrep -x verify || fail "command completion: $(comp shadowsync ve)"
comp shadowsync verify --blo | qgrep -x -- --block-size || fail "option completion"
comp shadowsync warm --pro | qgrep -x -- --prom || fail "--prom of warm: $(comp shadowsync warm --pro | tr "\n" " ")"
comp shadowsync hash --pro | qgrep -x -- --prom && fail "hash offers --prom"
comp shadowsync sync --engine io | qgrep -x io_uring || fail "engine values"
comp shadowsync smd re | qgrep -x restore || fail "smd command completion: $(comp shadowsync smd re)"
comp shadowsync smd restore --fo | qgrep -x -- --force || fail "smd restore option completion"
need_root
truncate -s 8M "$T/blk"
loop_attach ldev "$T/blk"
comp shadowsync verify "${ldev%[0-9]*}" | qgrep -x "$ldev" || fail "device completion: no $ldev"

# A DESTDIR with a blank is refused before anything runs (make would split
# it: uninstall once removed a file beside DESTDIR).
mkdir -p "$T/stage x" && echo decoy >"$T/stage"
make -s -C "$TOP" uninstall DESTDIR="$T/stage x" PREFIX=/usr >"$T/make.out" 2>&1 &&
	fail "uninstall took a DESTDIR with a blank"
grep -q "may not hold spaces" "$T/make.out" || fail "no reason: $(cat "$T/make.out")"
[ "$(cat "$T/stage")" = decoy ] || fail "uninstall removed a file outside DESTDIR"

# 5. uninstall: nothing of ours left; an edited default file is kept.
echo "SHADOWSYNC_MODE=sync" >>"$T/etc/default/shadowsync"
inst uninstall || fail "make uninstall: $(cat "$T/make.out")"
left=$(cd "$T/root" && find . -type f)
[ -z "$left" ] || fail "left after uninstall: $left"
[ -e "$T/etc/default/shadowsync" ] || fail "an edited /etc/default/shadowsync was removed"
inst install && cp "$TOP/contrib/systemd/shadowsync.default" "$T/etc/default/shadowsync" &&
	inst uninstall || fail "reinstall/uninstall"
[ -e "$T/etc/default/shadowsync" ] && fail "the shipped /etc/default/shadowsync was left"
exit 0
