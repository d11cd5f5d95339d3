# bench/cases.sh - the benchmark cases, in the order `make bench` runs
# them. bench/NAME.sh writes its table to out/NAME.md (and its curves'
# data to out/*.dat); bench/notes/NAME.md is the prose around the table,
# which goes where the note says @TABLE@. Sourced by run.sh and
# results.sh; tests/e2e/bench_results.sh checks that every note is a
# case and every case has a script and a note.
# shellcheck disable=SC2034
BENCH_CASES="verify sync warm warm_slow size sparse pairs qd records restore restore_remote restore_conns ebs"
