# flowsim — bad sweep files and options: one line on stderr naming the file
# and the line ("FILE:LINE: ..."), exit status 1, nothing run or written.
# Every tests/sweeps/bad_*.ini starts with "; expect: LINE: TEXT".
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
fail=0
bad() { echo "FAIL: $*"; fail=1; }
n=0
cd "$ROOT/tests/sweeps"
for f in bad_*.ini; do
    want=$(head -n 1 "$f" | sed -n 's/^; expect: //p')
    line=${want%%:*}; text=${want#*: }
    rc=0
    "$FLOWSIM" sweep "$f" --out "$T/out" > "$T/stdout" 2> "$T/stderr" || rc=$?
    [ "$rc" -eq 1 ] || bad "$f: exit status $rc, expected 1"
    [ "$(wc -l < "$T/stderr")" -eq 1 ] || bad "$f: expected one line on stderr: $(cat "$T/stderr")"
    grep -qF "flowsim sweep: $f:$line: " "$T/stderr" || bad "$f: message does not name $f:$line: $(cat "$T/stderr")"
    grep -qF -- "$text" "$T/stderr" || bad "$f: message lacks '$text': $(cat "$T/stderr")"
    [ ! -s "$T/stdout" ] || bad "$f: wrote to stdout"
    [ ! -e "$T/out" ] || bad "$f: created the output directory"
    n=$((n + 1))
done
cd "$T"
[ "$n" -ge 10 ] || bad "only $n bad sweep files"

# the file itself and the options
t() {   # EXPECTED-TEXT ARGS...: exit status 1 and one line holding the text
    local want=$1 rc=0; shift
    "$FLOWSIM" sweep "$@" > out.txt 2> err.txt || rc=$?
    [ "$rc" -eq 1 ] && [ "$(wc -l < err.txt)" -eq 1 ] && grep -qF -- "$want" err.txt ||
        bad "flowsim sweep $*: exit $rc, '$(cat err.txt)' (expected '$want')"
}
printf '[sweep]\ntraces = %s\n[netflow]\n' "$ROOT/traces/real/ndpi_synscan.pcap" > ok.ini
t "no_such.ini: cannot read" no_such.ini
t "no sweep file" --out x
t "one sweep file at a time" ok.ini ok.ini
t "-j '0'" ok.ini -j 0
t "--mem-limit 'lots'" ok.ini --mem-limit lots
t "--progress 'maybe'" ok.ini --progress maybe
t "--shard and --plan go together" ok.ini --shard 3
t "--wait goes with --slurm" ok.ini --wait
t "bad option '--bogus'" ok.ini --bogus
t "bad option '-j'" ok.ini -j
# a line too long for the INI reader, a key outside any section
printf '[sweep]\ntraces = %0300d\n[netflow]\n' 0 > long.ini
t "long.ini:2: line longer than" long.ini
printf 'seed = 1\n[sweep]\n' > outside.ini
t "outside.ini:1: 'seed' outside a section" outside.ini
"$FLOWSIM" sweep --help | grep -q "usage: flowsim sweep FILE" || bad "flowsim sweep --help"

[ "$fail" -eq 0 ] && echo "ok sweep bad files: $n files, options"
exit "$fail"
