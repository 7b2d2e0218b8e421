# flowsim — a sweep killed at any moment resumes: kill -9 of the sweep (its
# passes die with it), SIGINT, and kill -9 of one pass; every rerun computes
# only the missing points and ends with the tables of an uninterrupted sweep,
# byte for byte. Points on disk are whole at every moment.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
export FLOWSIM_CACHE=$T/cache FLOWSIM_PROFILE_DIR=$ROOT/traces/profiles
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$FLOWSIM" gen --profile backbone -p duration=1s -o bb.pcap > /dev/null || { bad "flowsim gen failed"; exit 1; }
cat > k.ini <<'EOF'
[sweep]
traces     = bb.pcap
replicates = 1
bin        = 1s
[sampled-netflow]
rate = 1/2 .. 1/16 mul 2
mode = random, hash
EOF
# 150Mi over -j 2: 75 MiB a pass = 64 MiB + 1 point of 1 x (2 x 65536 x 64 + 1 MiB):
# 8 passes, 4 waves of 2, so that a kill after the first points lands mid-sweep
opts=(-j 2 --mem-limit 150Mi --progress no)
"$FLOWSIM" sweep k.ini "${opts[@]}" --out ref > ref.log 2>&1 || { bad "sweep failed: $(cat ref.log)"; exit 1; }
grep -q "8 points (0 done before), 8 passes" ref.log || bad "reference sweep: $(head -n 1 ref.log)"

# waits until DIR has at least N finished points (10 s at most)
wait_points() { local i; for i in $(seq 1 200); do [ "$(ls "$1/points" 2>/dev/null | wc -l)" -ge "$2" ] && return 0; sleep 0.05; done; return 1; }
# waits until every pass of DIR (work/HOST-PID) has ended
wait_passes() {
    local w p i
    for w in "$1"/work/*; do
        [ -e "$w" ] || continue
        p=${w##*-}
        for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        if kill -0 "$p" 2>/dev/null; then bad "pass $p of $1 still running after the sweep was killed"; fi
    done
    return 0
}
# the points on disk are whole: the same rows as the reference's
same_points() {
    local f
    for f in "$1"/points/*.csv; do
        cmp -s <(grep -v '^# manifest' "$f") <(grep -v '^# manifest' "ref/points/${f##*/}") ||
            bad "$1: $(basename "$f") is not the reference's point"
    done
}
check_rerun() {   # DIR N: the rerun computes the 8 - N missing points only
    "$FLOWSIM" sweep k.ini "${opts[@]}" --out "$1" > "$1.log" 2>&1 || bad "$1: rerun failed: $(cat "$1.log")"
    grep -q "8 points ($2 done before)" "$1.log" || bad "$1: rerun should start from $2 points: $(head -n 1 "$1.log")"
    for f in results.csv summary.csv timeseries.csv; do
        cmp -s "$1/$f" "ref/$f" || bad "$1: $f differs from the uninterrupted sweep"
    done
    [ -z "$(ls "$1/work")" ] || bad "$1: work directories left: $(ls "$1/work")"
}

# 1. kill -9 of the sweep in the middle
"$FLOWSIM" sweep k.ini "${opts[@]}" --out k9 > k9.first 2>&1 & pid=$!
wait_points k9 1 || bad "no point finished within 10 s"
kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
wait_passes k9
n9=$(ls k9/points | wc -l)
[ "$n9" -lt 8 ] || bad "kill -9: the sweep had finished before the kill ($n9 points)"
[ -e k9/results.csv ] && bad "kill -9: results.csv written by a killed sweep"
same_points k9
check_rerun k9 "$n9"

# 2. SIGINT: the sweep stops its passes and exits 130
"$FLOWSIM" sweep k.ini "${opts[@]}" --out ki > ki.first 2>&1 & pid=$!
wait_points ki 1 || bad "no point finished within 10 s"
kill -INT "$pid" 2>/dev/null || true; rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 130 ] || bad "SIGINT: exit status $rc, expected 130"
grep -q "interrupted" ki.first || bad "SIGINT: no message: $(cat ki.first)"
wait_passes ki
ni=$(ls ki/points | wc -l)
[ "$ni" -lt 8 ] || bad "SIGINT: the sweep had finished before the signal"
same_points ki
check_rerun ki "$ni"

# 3. kill -9 of one pass: the sweep reports it, exits 2, the rerun completes
"$FLOWSIM" sweep k.ini "${opts[@]}" --out kp > kp.first 2>&1 & pid=$!
killed=""
for i in $(seq 1 250); do
    for w in kp/work/*; do
        [ -e "$w" ] || continue
        if kill -9 "${w##*-}" 2>/dev/null; then killed=$w; break 2; fi
    done
    sleep 0.02
done
[ -n "$killed" ] || bad "found no running pass to kill"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 2 ] || bad "a killed pass: exit status $rc, expected 2 ($(cat kp.first))"
grep -q "failed" kp.first || bad "a killed pass: no message: $(cat kp.first)"
[ -e kp/results.csv ] && bad "a killed pass: results.csv written with points missing"
"$FLOWSIM" sweep k.ini --collect --out kp > kp.col 2>&1 && bad "--collect with points missing succeeded"
grep -q "not computed yet" kp.col || bad "--collect with points missing: $(cat kp.col)"
same_points kp
check_rerun kp "$(ls kp/points | wc -l)"

# 4. the trace rewritten in place with its size, inode and mtime kept (touch -r):
# a point's identity holds the trace's content sample, so no finished point
# is reused and no cache replays the old packets; the rerun equals a fresh
# sweep (new directory, empty cache) of the new contents
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
$PY "$ROOT/tests/cli/shrink_last_ipv4.py" bb.pcap bb1.pcap
touch -r bb.pcap stamp; cat bb1.pcap > bb.pcap; touch -r stamp bb.pcap
"$FLOWSIM" sweep k.ini "${opts[@]}" --out ref > rw.log 2>&1 || bad "sweep after the in-place rewrite failed: $(cat rw.log)"
grep -q "8 points (0 done before)" rw.log || bad "in-place rewrite: finished points reused: $(head -n 1 rw.log)"
FLOWSIM_CACHE=$T/cache2 "$FLOWSIM" sweep k.ini "${opts[@]}" --out fresh > fresh.log 2>&1 || bad "fresh sweep failed: $(cat fresh.log)"
cmp -s k9/results.csv fresh/results.csv && bad "test setup: the rewrite does not change the results"
cmp -s ref/results.csv fresh/results.csv || bad "in-place rewrite: the rerun differs from a fresh sweep of the new contents"

[ "$fail" -eq 0 ] && echo "ok sweep resume: kill -9 at $n9/8, SIGINT at $ni/8, killed pass, trace rewritten in place; identical tables"
exit "$fail"
