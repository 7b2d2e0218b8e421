# flowsim tests — writes OUT, a copy of the classic little-endian pcap IN
# whose last IPv4 frame on Ethernet of at least 100 bytes has its IP total
# length lowered by one: the same size, different contents, true_bytes one
# less (for the cache tests' rewrites in place).
# Usage: python3 shrink_last_ipv4.py IN OUT
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
import sys

d = bytearray(open(sys.argv[1], 'rb').read())
off, last = 24, None
while off + 16 <= len(d):
    cap = int.from_bytes(d[off + 8:off + 12], 'little')
    p = off + 16 + 14
    if cap >= 14 + 20 and d[off + 28:off + 30] == b'\x08\x00' and d[p] >> 4 == 4 and \
       int.from_bytes(d[p + 2:p + 4], 'big') >= 100:
        last = p
    off += 16 + cap
assert last is not None, "no IPv4 frame of >= 100 bytes"
d[last + 2:last + 4] = (int.from_bytes(d[last + 2:last + 4], 'big') - 1).to_bytes(2, 'big')
open(sys.argv[2], 'wb').write(d)
