#!/usr/bin/env bash
# flowsim — runs libFuzzer targets (called by tests/fuzz/fuzz.mk).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# usage: tests/fuzz/run.sh SECONDS NAME...
#   For each target NAME (binary $FUZZ_BUILD/NAME):
#   1. replays tests/fuzz/regress/NAME/* (inputs that once failed; each must
#      pass now; BUG_* ones reproduce open bugs and fail until they are fixed,
#      FUZZ_SKIP_BUGS=1 skips them) with FUZZ_STRICT=1 and no suppressions,
#      and, with SECONDS = 0, also any tests/fuzz/crashes/NAME-* found earlier,
#      its corpus and its seeds;
#   2. with SECONDS > 0, fuzzes for SECONDS seconds from build/fuzz/corpus/NAME
#      (grown, kept between runs) and the seeds in build/fuzz/seeds/NAME, with
#      the known open bugs out of the way (FUZZ_STRICT unset, LeakSanitizer
#      suppressions from tests/fuzz/known-bugs.supp).
#   Anything found is saved as tests/fuzz/crashes/NAME-{crash,leak,timeout,oom}-*.
#   Prints one line per target (executions, speed, coverage, corpus) and
#   exits non-zero if any target failed. Logs: $FUZZ_BUILD/logs/NAME.log (fuzzing)
#   and NAME.replay.log (replays).
set -u
B=${FUZZ_BUILD:-build/fuzz}
secs=${1:?usage: run.sh SECONDS NAME...}
shift
crashdir=tests/fuzz/crashes
mkdir -p "$crashdir" "$B/logs"
fail=0
for n in "$@"; do
    bin=$B/$n
    [ -x "$bin" ] || { echo "fuzz: $bin not built" >&2; fail=1; continue; }
    corpus=$B/corpus/$n
    seeds=$B/seeds/$n
    mkdir -p "$corpus" "$seeds"
    ml=FUZZ_MAXLEN_$n
    maxlen=${!ml:-${FUZZ_MAXLEN_DEFAULT:-16384}}
    opts=(-max_len="$maxlen" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}"
          -artifact_prefix="$crashdir/$n-" -print_final_stats=1)
    [ -f "tests/fuzz/$n.dict" ] && opts+=(-dict="tests/fuzz/$n.dict")
    xo=FUZZ_OPTS_$n
    [ -n "${!xo:-}" ] && read -r -a more <<< "${!xo}" && opts+=("${more[@]}")
    log=$B/logs/$n.log
    rlog=$B/logs/$n.replay.log
    : > "$log"
    : > "$rlog"

    # 1. replay
    replay=()
    for f in tests/fuzz/regress/"$n"/*; do
        [ -f "$f" ] || continue
        [ "${FUZZ_SKIP_BUGS:-0}" = 1 ] && [[ $(basename "$f") == BUG_* ]] && continue
        replay+=("$f")
    done
    if [ "$secs" = 0 ]; then
        for f in "$crashdir/$n"-*; do [ -f "$f" ] && replay+=("$f"); done
    fi
    st=0     # replays
    nbad=0
    if [ "${#replay[@]}" -gt 0 ]; then
        # one process per input, so one failure does not hide the others
        for f in "${replay[@]}"; do
            if ! FUZZ_STRICT=1 "$bin" "${opts[@]}" "$f" >> "$rlog" 2>&1; then
                case $(basename "$f") in
                BUG_*) echo "FAIL $n: $f: open bug still reproduces (see $rlog)" >&2 ;;
                *) echo "FAIL $n: replaying $f fails (see $rlog)" >&2 ;;
                esac
                st=1
                nbad=$((nbad + 1))
            fi
        done
    fi
    supp=()
    [ -f tests/fuzz/known-bugs.supp ] &&
        supp=(env "LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PWD/tests/fuzz/known-bugs.supp:print_suppressions=0")
    if [ "$secs" = 0 ]; then
        "${supp[@]}" "$bin" "${opts[@]}" -runs=0 "$corpus" "$seeds" >> "$rlog" 2>&1 || st=1
        echo "$n: replayed ${#replay[@]} regression/crash inputs, corpus and seeds: $([ $st = 0 ] && echo ok || echo FAILED)"
        [ $st = 0 ] || fail=1
        continue
    fi

    # 2. fuzz
    [ $st = 0 ] || fail=1
    st=0
    "${supp[@]}" "$bin" "${opts[@]}" -max_total_time="$secs" "$corpus" "$seeds" >> "$log" 2>&1 || st=2
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
    ncorp=$(find "$corpus" -type f | wc -l)
    if [ $st = 0 ]; then
        echo "$n: fuzzing ok, ${execs:-?} executions in ${secs}s (${speed:-?}/s), ${cov:-cov ?}, corpus $ncorp inputs; regressions: ${#replay[@]} replayed, $nbad failing"
    else
        fail=1
        echo "FAIL $n: fuzzing found something after ${execs:-?} executions (input in $crashdir/, log $log):" >&2
        grep -E '^==[0-9]+==ERROR|SUMMARY|fuzz property violated|runtime error|Test unit written|ALARM|out-of-memory' "$log" | head -n 8 | sed 's/^/    /' >&2
    fi
done
exit $fail
