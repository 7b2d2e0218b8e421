# flowsim — the bad-input corpus (tests/bad/cases.tsv; the files are made by
# tests/bad/mkbad.sh): every case must exit with exactly its status, write
# exactly one line on stderr matching its regex (or nothing, for inputs that
# must be accepted), never crash or time out, and never trigger a sanitizer.
# With VALGRIND=1 every case runs again under valgrind (memcheck; definite
# leaks are errors) and any valgrind error fails the case.
# Environment: BAD_SKIP_BUGS=1 skips the BUG_* cases (open bugs);
# BAD_CASES=REGEX runs only the cases whose name matches; BAD_TIMEOUT (5 s;
# valgrind: 30 times that) bounds each case (normal cases take well under 1 s).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
: "${FLOWSIM:?}" "${ROOT:?}"
table=$ROOT/tests/bad/cases.tsv
# flowsim gen finds its profiles above the executable; say where, for a binary built elsewhere
export FLOWSIM_PROFILE_DIR=${FLOWSIM_PROFILE_DIR:-$ROOT/traces/profiles}
bash "$ROOT/tests/bad/mkbad.sh"
[ ! -e nonexistent.pcap ] || { echo "FAIL: setup: nonexistent.pcap exists"; exit 1; }

VG=()
if [ "${VALGRIND:-0}" = 1 ]; then
    command -v valgrind >/dev/null || { echo "FAIL: VALGRIND=1 but valgrind is not installed"; exit 1; }
    VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
        --show-leak-kinds=definite --log-file=vg.log)
fi

fail=0 n=0 nfail=0 nskip=0
SECONDS=0
bad() { echo "FAIL $name: $*"; fail=1; casefail=1; }

# check_run LABEL: checks $st and err.txt of the last run against the case
# (bash builtins only: ~175 cases must stay fast).
check_run() {
    local label=$1 err="" nl
    IFS= read -r -d '' err < err.txt || true
    if [ "$st" = 124 ]; then bad "$label: timed out"; return; fi
    if [ "$st" -ge 128 ]; then bad "$label: killed by signal $((st - 128)): ${err:0:300}"; return; fi
    if [[ $err == *Sanitizer* || $err == *"runtime error:"* ]]; then
        bad "$label: sanitizer report:"; printf '%s\n' "${err:0:1500}"; return
    fi
    [ "$st" -eq "$want" ] || bad "$label: exit status $st, expected $want"
    if [ "$regex" = - ]; then
        [ -z "$err" ] || bad "$label: expected nothing on stderr, got: ${err:0:300}"
        return
    fi
    nl=${err//[^$'\n']/}
    if [[ $err == *$'\r'* ]]; then
        bad "$label: carriage return on stderr: $(printf '%q' "${err:0:300}")"
        return
    fi
    if [ "${#nl}" -ne 1 ] || [[ $err != *$'\n' ]]; then
        bad "$label: ${#nl} line breaks on stderr, expected exactly one line:"
        printf '%s\n' "${err:0:600}" | sed 's/^/      /'
        return
    fi
    [[ ${err%$'\n'} =~ $regex ]] || bad "$label: stderr does not match /$regex/: $err"
}

while IFS=$'\t' read -r name cmd want regex; do
    case "$name" in ''|'#'*) continue ;; esac
    if [ -n "${BAD_CASES:-}" ] && ! [[ $name =~ $BAD_CASES ]]; then continue; fi
    if [ "${BAD_SKIP_BUGS:-0}" = 1 ] && [[ $name == BUG_* ]]; then nskip=$((nskip + 1)); continue; fi
    if [ -z "$regex" ]; then echo "FAIL: $table: case $name has not 4 fields"; fail=1; continue; fi
    n=$((n + 1))
    eval "set -- $cmd"
    if [ "${1:-}" = run ]; then
        shift
        set -- run --truth-cache off --out o -q "$@"
    fi
    casefail=0
    [ ! -e o ] || rm -rf o
    st=0
    timeout "${BAD_TIMEOUT:-5}" "$FLOWSIM" "$@" > out.txt 2> err.txt || st=$?
    check_run run
    # a case that timed out already failed; valgrind would only take 30 times longer
    if [ "${#VG[@]}" -gt 0 ] && [ "$st" != 124 ]; then
        [ ! -e o ] || rm -rf o
        st=0
        timeout $((30 * ${BAD_TIMEOUT:-5})) "${VG[@]}" "$FLOWSIM" "$@" > out.txt 2> err.txt || st=$?
        if [ "$st" = 99 ]; then
            bad "valgrind reports errors:"; sed 's/^/      /' vg.log | head -n 40
        else
            check_run valgrind
        fi
    fi
    if [ "$casefail" = 0 ]; then
        IFS= read -r line < err.txt || true
        echo "ok $name (exit $st)${line:+: ${line:0:100}}"
    else
        nfail=$((nfail + 1))
        echo "      command: flowsim $*"
    fi
done < "$table"
echo "bad-input corpus: $n cases, $nfail failed, $nskip skipped$([ "${#VG[@]}" -gt 0 ] && echo ', each also under valgrind'), ${SECONDS}s"
[ "$n" -ge 30 ] || [ -n "${BAD_CASES:-}" ] || { echo "FAIL: only $n cases"; fail=1; }
exit "$fail"
