#!/usr/bin/env bash
# flowsim — runs every command-line test tests/cli/t_*.sh with $FLOWSIM set
# to the binary under test and a fresh scratch directory in $T. A test fails
# by exiting non-zero. Prints the closing line "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${FLOWSIM:?set FLOWSIM to the flowsim binary}"
export FLOWSIM
export ROOT=$(cd "$here/../.." && pwd)
pass=0; fail=0
for t in "$here"/t_*.sh; do
    [ -e "$t" ] || continue
    case "${1:-}" in "") ;; *) [[ "$(basename "$t")" == *"$1"* ]] || continue ;; esac
    T=$(mktemp -d /tmp/flowsim-cli.XXXXXX)
    if (cd "$T" && T="$T" bash -eu "$t") > "$T.log" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $(basename "$t")" >&2
        tail -n 30 "$T.log" | sed 's/^/    /' >&2
    fi
    rm -rf "$T" "$T.log"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
