# flowsim gen — tshark reads every shipped profile's output without a
# complaint: `tshark -r F -q` prints nothing about the file (no "cut short",
# no bad records) on the full profile, and the expert analysis finds no
# malformed packet and no error; its only warning may be TCP's "Connection
# reset (RST)", which the generator makes on purpose (tcp_rst_frac).
# The expert pass dissects every packet (about 40 µs each), so it runs on
# each profile with its rates divided by about 20 to 40: same windows, mix and
# attacks, fewer packets. tshark is installed by the test target: a missing
# tshark is a failure. Copyright (C) 2026 the flowsim authors.
# GPL-3.0-or-later.
set -u
fail=0
bad() { echo "FAIL: $*"; fail=1; }
command -v tshark > /dev/null || { echo "FAIL: tshark is not installed (make deps)"; exit 1; }

# tshark's only harmless stderr line when run as root.
quiet() { grep -v 'Running as user "root"' || true; }

profiles=$("$FLOWSIM" gen --list | awk '{print $1}')
[ -n "$profiles" ] || { echo "FAIL: no profiles"; exit 1; }
for p in $profiles; do
    "$FLOWSIM" gen --profile "$p" -o "$p.pcap" > /dev/null || { bad "$p: gen failed"; continue; }
    msg=$(tshark -r "$p.pcap" -q 2>&1 | quiet)
    [ -z "$msg" ] || bad "$p: tshark -q says: $msg"

    # scaled down for the expert pass (rates of parts a profile does not
    # enable are harmless)
    "$FLOWSIM" gen --profile "$p" -p flow_rate=50,flood_rate=1000,elephant_rate=50,scan_rate=25 \
        -o "$p-small.pcap" > /dev/null || { bad "$p: scaled gen failed"; continue; }
    tshark -r "$p-small.pcap" -q -z expert,warn > expert.txt 2> err.txt
    msg=$(quiet < err.txt)
    [ -z "$msg" ] || bad "$p: tshark stderr: $msg"
    if grep -Eiq '^Errors|malformed|exception' expert.txt; then
        bad "$p: tshark expert reports errors"; cat expert.txt
    fi
    # every warning line (frequency, group, protocol, summary) must be a RST
    other=$(grep -E '^ +[0-9]+ ' expert.txt | grep -v 'Connection reset (RST)' || true)
    [ -z "$other" ] || { bad "$p: unexpected tshark warnings:"; echo "$other"; }
    rm -f "$p.pcap" "$p.pcap.json" "$p-small.pcap" "$p-small.pcap.json"
done
exit $fail
