# flowsim gen — command line: --list, --help (every parameter of the table,
# with default and unit), generation with a sidecar, the same seed giving the
# same bytes and another seed other bytes, --usec giving the microsecond
# magic, and bad parameters each giving one stderr line that names the
# parameter and a non-zero exit. Copyright (C) 2026 the flowsim authors.
# GPL-3.0-or-later.
set -u
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# ---- --list: at least the promised profiles, one line each ----------------
"$FLOWSIM" gen --list > list.txt || bad "--list exited non-zero"
for p in tiny backbone backbone-flood ipv6; do
    grep -Eq "^$p +[^ ]" list.txt || bad "--list lacks profile $p with a description"
done
[ "$(wc -l < list.txt)" -eq "$(ls "$ROOT"/traces/profiles/*.prof | wc -l)" ] ||
    bad "--list does not show exactly one line per profile file"

# ---- generation, sidecar ---------------------------------------------------
"$FLOWSIM" gen --profile tiny --seed 3 -o a.pcap > out.txt || bad "gen tiny failed"
[ -s a.pcap ] && [ -s a.pcap.json ] || bad "no pcap or no sidecar"
grep -q '"seed": 3' a.pcap.json || bad "sidecar lacks the seed"
grep -q '"profile": "tiny"' a.pcap.json || bad "sidecar lacks the profile"
grep -q '"flowsim_version": "' a.pcap.json || bad "sidecar lacks the version"
# nanosecond pcap magic by default (a1b23c4d, little-endian on disk)
[ "$(od -An -tx1 -N4 a.pcap | tr -d ' ')" = "4d3cb2a1" ] || bad "not nanosecond magic"

# ---- --help lists every parameter the sidecar records ----------------------
"$FLOWSIM" gen --help > help.txt || bad "--help exited non-zero"
params=$(sed -n '/"params": {/,/}/p' a.pcap.json | sed 1d | grep -o '^ *"[a-z_0-9]*":' | tr -d ' ":')
[ "$(echo "$params" | wc -w)" -ge 40 ] || bad "sidecar has too few parameters"
for n in $params; do
    grep -Eq "^  $n +default [^ ]+ +unit [^ ]" help.txt || bad "--help lacks '$n' with default and unit"
done

# ---- determinism -----------------------------------------------------------
"$FLOWSIM" gen --profile tiny --seed 3 -o b.pcap > /dev/null || bad "second run failed"
cmp -s a.pcap b.pcap || bad "same seed gave different pcap bytes"
"$FLOWSIM" gen --profile tiny --seed 4 -o c.pcap > /dev/null || bad "seed 4 failed"
cmp -s a.pcap c.pcap && bad "different seeds gave identical files"
"$FLOWSIM" gen --profile tiny --seed 3 --usec -o u.pcap > /dev/null || bad "--usec failed"
[ "$(od -An -tx1 -N4 u.pcap | tr -d ' ')" = "d4c3b2a1" ] || bad "--usec: not microsecond magic"
grep -q '"tstamp": "us"' u.pcap.json || bad "--usec not recorded in the sidecar"
# -p applies after the profile
"$FLOWSIM" gen --profile tiny -p duration=500ms -o d.pcap > /dev/null || bad "-p after profile failed"
grep -q '"duration": "500ms"' d.pcap.json || bad "-p did not override the profile"

# ---- bad parameters: exit 1, one stderr line naming the parameter, no file --
# check NAME REGEX -- ARGS...
check() {
    local name=$1 re=$2
    shift 3
    rm -f x.pcap x.pcap.json
    local st=0
    "$FLOWSIM" gen "$@" > out.txt 2> err.txt || st=$?
    [ "$st" -eq 1 ] || bad "$name: exit status $st, want 1"
    [ "$(wc -l < err.txt)" -eq 1 ] || { bad "$name: stderr is not one line"; cat err.txt; }
    grep -Eq "$re" err.txt || { bad "$name: stderr does not match /$re/"; cat err.txt; }
    [ ! -e x.pcap ] || bad "$name: wrote an output file"
}
check "negative rate"   'flow_rate=-5.*out of range'      -- -p flow_rate=-5 -o x.pcap
check "zero rate"       'flow_rate=0.*out of range'       -- -p flow_rate=0 -o x.pcap
check "zero shape"      'pareto_shape=0.*out of range'    -- -p pareto_shape=0 -o x.pcap
check "negative shape"  'pareto_shape=-1.*out of range'   -- -p pareto_shape=-1 -o x.pcap
check "zero sigma"      'lognormal_sigma=0.*out of range' -- -p lognormal_sigma=0 -o x.pcap
check "unknown param"   "unknown parameter 'colour'"      -- -p colour=blue -o x.pcap
check "unknown profile" "unknown profile 'nope'.*tiny"    -- --profile nope -o x.pcap
check "bad enum"        'size_law=cauchy.*pareto'         -- -p size_law=cauchy -o x.pcap
check "fractions > 1"   'tcp_frac \+ udp_frac'            -- -p tcp_frac=0.9,udp_frac=0.2 -o x.pcap
check "flood after end" 'flood_start=20s'                 -- -p flood_start=20s,flood_duration=1s -o x.pcap
check "missing -o"      'missing -o'                      -- --profile tiny
check "bad seed"        'seed'                            -- --seed minus1 -o x.pcap
check "bad option"      "unknown option '--frobnicate'"   -- --frobnicate -o x.pcap
exit $fail
