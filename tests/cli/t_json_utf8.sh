# flowsim — the JSON flowsim writes is valid UTF-8 whatever bytes the file
# names hold: a trace named with byte 0xff (invalid in UTF-8) gives a
# manifest.json, an `info --json` and a `gen` sidecar that a strict UTF-8
# JSON parser reads, with the name's bytes replaced by U+FFFD and kept in
# hex under "invalid_utf8" (sim/jsonutf8.h).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
fail=0
bad() { echo "FAIL: $*"; fail=1; }
name=$(printf 'tr\xffce.pcap')
hex=7472ff63652e70636170
cp "$ROOT/traces/real/ndpi_synscan.pcap" "$name"
# check FILE POINTER: FILE is strict UTF-8 JSON whose invalid_utf8 records
# POINTER with the bytes of $name (or ends in them: a path may lead them)
check() {
    "$PY" - "$1" "$2" "$hex" <<'PYEOF' || bad "$1: $2"
import json, sys
path, ptr, hexname = sys.argv[1:]
d = json.loads(open(path, 'rb').read().decode('utf-8'))   # strict: raises on bad bytes
hits = [e for e in d.get('invalid_utf8', []) if e['pointer'] == ptr]
assert hits and hits[0]['bytes_hex'].endswith(hexname), d.get('invalid_utf8')
node = d
for tok in ptr.split('/')[1:]:
    node = node[int(tok)] if isinstance(node, list) else node[tok]
assert node.endswith('tr\ufffdce.pcap'), node
PYEOF
}
"$FLOWSIM" run "$name" -m netflow --truth-cache off --decode-cache off -q --out o || bad "run: exit $?"
check o/manifest.json /traces/0/path
"$FLOWSIM" info --json "$name" > info.json || bad "info: exit $?"
check info.json /files/0/path
gname=$(printf 'g\xff.pcap')
"$FLOWSIM" gen -p duration=1s -o "$gname" > /dev/null || bad "gen: exit $?"
hex=67ff2e70636170
"$PY" -c "import json,sys; d=json.loads(open(sys.argv[1],'rb').read().decode('utf-8')); assert d['invalid_utf8'][0]['bytes_hex']=='$hex', d" \
    "$gname.json" || bad "gen sidecar"
rm -rf o info.json "$name" "$gname" "$gname.json"
exit $fail
