#!/usr/bin/env bash
# flowsim — writes the bad-input files of tests/bad/cases.tsv into the current
# directory, from hex written here (no binaries in the repository). Bash
# builtins only (no process per byte), so it takes well under a second.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# usage: bash tests/bad/mkbad.sh      (in a scratch directory)
# Each file is a few dozen bytes; the comment by each says what is wrong.
set -eu

# ---- byte helpers: append to B (as \xHH escapes), then `out FILE` ----------------
B=""
x()   { local t=${1// /} i; for ((i = 0; i < ${#t}; i += 2)); do B+="\\x${t:i:2}"; done; }
l16() { local h; printf -v h '%04x' $(($1 & 0xffff)); B+="\\x${h:2:2}\\x${h:0:2}"; }
l32() { local h; printf -v h '%08x' $(($1 & 0xffffffff)); B+="\\x${h:6:2}\\x${h:4:2}\\x${h:2:2}\\x${h:0:2}"; }
b16() { local h; printf -v h '%04x' $(($1 & 0xffff)); B+="\\x${h:0:2}\\x${h:2:2}"; }
b32() { local h; printf -v h '%08x' $(($1 & 0xffffffff)); B+="\\x${h:0:2}\\x${h:2:2}\\x${h:4:2}\\x${h:6:2}"; }
zeros() { local i; for ((i = 0; i < $1; i++)); do B+="\\x00"; done; }
keep() { B=${B:0:$((4 * $1))}; }          # keep the first N bytes
out() { printf "$B" > "$1"; B=""; }

# A TCP SYN 10.0.0.1:1234 -> 10.0.0.2:80: IPv4 + TCP (40 bytes); in Ethernet, 54.
IP_TCP="4500 0028 0001 0000 4006 66cd 0a00 0001 0a00 0002 04d2 0050 0000 0000 0000 0000 5002 2000 0000 0000"
ETH="0200 0000 0002 0200 0000 0001 0800"
FRAME="$ETH$IP_TCP"
FL=54

# pcap global header, little-endian: ghdr SNAPLEN LINKTYPE [MAGIC [VERSION_MAJOR]]
ghdr() { l32 "${3:-0xa1b2c3d4}"; l16 "${4:-2}"; l16 4; l32 0; l32 0; l32 "$1"; l32 "$2"; }
ghdr_be() { b32 0xa1b2c3d4; b16 2; b16 4; b32 0; b32 0; b32 "$1"; b32 "$2"; }
# pcap record header: rhdr SEC FRAC CAPLEN LEN
rhdr() { l32 "$1"; l32 "$2"; l32 "$3"; l32 "$4"; }
rhdr_be() { b32 "$1"; b32 "$2"; b32 "$3"; b32 "$4"; }
# one record holding the Ethernet frame at SEC
rec() { rhdr "$1" 0 $FL $FL; x "$FRAME"; }

# pcapng blocks, little-endian.
shb() {  # shb [BLOCK_LENGTH [BYTE_ORDER_MAGIC [MAJOR [TRAILING_LENGTH]]]]
    l32 0x0a0d0d0a; l32 "${1:-28}"; l32 "${2:-0x1a2b3c4d}"; l16 "${3:-1}"; l16 0
    x ffffffffffffffff; l32 "${4:-${1:-28}}"
}
idb() { l32 1; l32 20; l16 "$1"; l16 0; l32 "${2:-0}"; l32 20; }      # idb LINKTYPE [SNAPLEN]
idb_tsresol() {  # IDB with option if_tsresol (code 9, 1 byte) = $1, then opt_endofopt
    l32 1; l32 32; l16 1; l16 0; l32 0; l16 9; l16 1; l32 "$1"; l32 0; l32 32
}
epb() {  # epb IFID SEC: an Enhanced Packet Block with the Ethernet frame
    local us=$(($2 * 1000000)) len=$((32 + FL + 2))   # 54 + 2 bytes of padding
    l32 6; l32 $len; l32 "$1"; l32 $((us >> 32)); l32 $((us & 0xffffffff)); l32 $FL; l32 $FL
    x "$FRAME"; zeros 2; l32 $len
}
epb_caplen() {  # an EPB whose captured length ($1) runs past its block
    local len=$((32 + FL + 2))
    l32 6; l32 $len; l32 0; l32 0; l32 0; l32 "$1"; l32 $FL; x "$FRAME"; zeros 2; l32 $len
}
spb() { local len=$((16 + FL + 2)); l32 3; l32 $len; l32 $FL; x "$FRAME"; zeros 2; l32 $len; }
epb_ts() {  # epb_ts HIGH LOW: an EPB on interface 0 with the 64-bit timestamp HIGH:LOW
    local len=$((32 + FL + 2))
    l32 6; l32 $len; l32 0; l32 "$1"; l32 "$2"; l32 $FL; l32 $FL; x "$FRAME"; zeros 2; l32 $len
}

# ---- files that must be read without error ---------------------------------------------
ghdr 65535 1; rec 1; out good.pcap
ghdr_be 65535 1; rhdr_be 1 0 $FL $FL; x "$FRAME"; out bigendian.pcap
ghdr 65535 1 0xa1b23c4d; rhdr 1 999999999 $FL $FL; x "$FRAME"; out nanosec.pcap
ghdr 65535 101; rhdr 1 0 40 40; x "$IP_TCP"; out raw.pcap         # LINKTYPE_RAW
shb; idb 1; epb 0 1; out good.pcapng

# ---- empty and truncated -------------------------------------------------------------------
: > empty.pcap
ghdr 65535 1; keep 7; out hdr7.pcap                                # 7 of 24 header bytes
ghdr 65535 1; keep 23; out hdr23.pcap                              # 23 of 24
ghdr 65535 1; keep 4; out magiconly.pcap                           # the magic alone
ghdr 65535 1; rec 1; keep 34; out rechdr10.pcap                    # record header cut at 10 of 16
ghdr 65535 1; rec 1; keep 60; out recdata20.pcap                   # record data cut at 20 of 54
shb; keep 8; out shb8.pcapng                                       # 8 of 28 SHB bytes
shb; keep 20; out shb20.pcapng
shb; idb 1; epb 0 1; keep 100; out ng_truncated.pcapng             # cut inside the EPB

# ---- wrong magic, versions -------------------------------------------------------------------
x 4741524241474521; ghdr 65535 1; B=${B:0:32}${B:64}; out badmagic.pcap   # "GARBAGE!" + 16 header bytes
printf 'this is a text file, not a capture\n' > text.pcap
x "1f8b 0800 0000 0000 0003 0300 0000 0000 0000 0000"; out gzip.pcap      # a gzip stream
ghdr 65535 1 0xa1b2c3d4 3; out version3.pcap                       # major version 3
ghdr 65535 1 0xa1b2c3d4 1; out version1.pcap                       # major version 1 (archaic)
ghdr 65535 1 0xa1b2cd34; out kuznetzov.pcap                        # Kuznetzov's magic, no records

# ---- absurd lengths and times -------------------------------------------------------------------
ghdr 100 1; rhdr 1 0 200 200; zeros 200; out caplen_gt_snaplen.pcap          # caplen 200 > snaplen 100
ghdr 65535 1; rhdr 1 0 0xffffffff 0xffffffff; x "$FRAME"; out caplen_max.pcap # caplen 2^32 - 1
ghdr 65535 1; rhdr 1 0 0x40001 0x40001; x "$FRAME"; out caplen_256k.pcap     # caplen above libpcap's maximum
ghdr 65535 1; rhdr 1 0 $FL 20; x "$FRAME"; out len_lt_caplen.pcap            # wire length 20 < caplen 54
ghdr 65535 1; rhdr 1 0 0 0; out caplen0.pcap                                  # an empty frame
ghdr 0xffffffff 1; rec 1; out snaplen_huge.pcap                               # snaplen 2^32 - 1
ghdr 0 1; rec 1; out snaplen0.pcap                                            # snaplen 0
ghdr 65535 1; rhdr 1 2000000 $FL $FL; x "$FRAME"; out usec_overflow.pcap     # 2e6 microseconds
ghdr 65535 1; rhdr 1 6000000 $FL $FL; x "$FRAME"; out usec_6e6.pcap          # 6e6 microseconds: beyond 5 s
ghdr_be 65535 1; rhdr_be 1 0xffffffff $FL $FL; x "$FRAME"; out usec_max_be.pcap  # 2^32 - 1 microseconds
ghdr 65535 1 0xa1b23c4d; rhdr 1 0xffffffff $FL $FL; x "$FRAME"; out nsec_max.pcap  # 2^32 - 1 ns: -1 as libpcap reads it
ghdr 65535 1; rhdr 0xffffffff 999999 $FL $FL; x "$FRAME"; rec 1; out ts_backwards.pcap  # -1 s (ts_sec is signed), then 1 s
ghdr 65535 1; rec 1; rec 0x7fffffff; out gap_68_years.pcap         # two packets, 1970 and 2038

# ---- link types -----------------------------------------------------------------------------------
ghdr 65535 147; rhdr 1 0 4 4; x deadbeef; out lt147.pcap           # USER0
ghdr 65535 105; rhdr 1 0 4 4; x deadbeef; out lt105.pcap           # IEEE 802.11
ghdr 65535 0xffff; rhdr 1 0 4 4; x deadbeef; out lt65535.pcap      # no such link type
ghdr 65535 0x7fffffff; rhdr 1 0 4 4; x deadbeef; out lt_max.pcap
ghdr 65535 0x14000001; rhdr 1 0 58 58; x "$FRAME 00000000"; out lt_fcs.pcap  # Ethernet with the FCS-length bits set

# ---- pcapng --------------------------------------------------------------------------------------------
shb 12; idb 1; epb 0 1; out ng_shb_len12.pcapng                   # SHB length 12 < 28
shb 30 0x1a2b3c4d 1 30; zeros 2; idb 1; epb 0 1; out ng_shb_len30.pcapng   # not a multiple of 4
shb 0xfffffff0; idb 1; epb 0 1; out ng_shb_huge.pcapng             # SHB length 2^32 - 16
shb 28 0x11223344; idb 1; epb 0 1; out ng_bom.pcapng               # bad byte-order magic
shb 28 0x1a2b3c4d 2; idb 1; epb 0 1; out ng_major2.pcapng          # major version 2
shb 28 0x1a2b3c4d 1 32; idb 1; epb 0 1; out ng_trailer.pcapng      # trailing length 32 != 28
shb; out ng_shb_only.pcapng                                        # no IDB, no packets
shb; epb 0 1; out ng_no_idb.pcapng                                 # EPB before any IDB
shb; idb 1; epb 5 1; out ng_epb_if5.pcapng                         # EPB on interface 5 of 1
shb; spb; out ng_spb_no_idb.pcapng                                 # SPB without an IDB
shb; idb 1; epb 0 1; shb; idb 1; epb 0 2; out ng_two_sections.pcapng    # second section, same link type
shb; idb 1; epb 0 1; shb; idb 101; epb 0 2; out ng_section_lt.pcapng    # second section, other link type
shb; idb 1; idb 101; epb 0 1; out ng_two_lt.pcapng                 # two interfaces of different link types
shb; idb 147; epb 0 1; out ng_lt147.pcapng                         # unsupported link type in the IDB
shb; idb 1; epb_caplen 0x10000; out ng_epb_caplen.pcapng           # EPB caplen 64 KiB > its block
shb; idb 1; l32 6; l32 0xfffffff0; out ng_epb_huge.pcapng          # EPB length 2^32 - 16
shb; idb 1; l32 6; l32 8; l32 8; out ng_epb_len8.pcapng            # EPB length 8 < 12
shb; idb_tsresol 127; epb 0 1; out ng_tsresol127.pcapng            # if_tsresol 10^-127 s
shb; idb_tsresol 0xff; epb 0 1; out ng_tsresol_pow2.pcapng         # if_tsresol 2^-127 s
shb; idb 1 0xffffffff; epb 0 1; out ng_snaplen_huge.pcapng         # IDB snaplen 2^32 - 1
# timestamps at the ends of the 64-bit nanosecond range (default resolution: microseconds)
shb; idb 1; epb_ts 0xffffffff 0xffffffff; out ng_ts_saturated.pcapng          # 2^64 - 1 us: beyond int64 ns (read as 2^63 - 1)
us=9223372035000000               # 9223372035 s: the last representable second, in the last 60 s bin
shb; idb 1; epb_ts $((us >> 32)) $((us & 0xffffffff)); out ng_ts_last_minute.pcapng
shb; idb 1; epb 0 1; epb_ts 0xffffffff 0xffffffff; out ng_ts_jump.pcapng      # 1 s, then beyond int64 ns
shb; idb_tsresol 0; epb_ts 0x80000000 0; out ng_ts_int64_min.pcapng            # 2^63 s: libpcap makes it negative

# ---- sweep files (flowsim sweep; tests/sweeps/bad_*.ini has the plain syntax errors) ----------------
S='[sweep]\ntraces = good.pcap\n'
x 5b7377; zeros 3; x "ff fe 0a 00 5d"; x 3d3d3d0a; out sweep_binary.ini          # "[sw" NUL NUL NUL ... binary
: > sweep_empty.ini
printf "$S"'[netf\0low]\nentries = 1k\n' > sweep_nul.ini                  # a NUL inside a section name
printf "$S"'[netflow]\nentries = 1 .. 4000000000 lin 4000000000\n' > sweep_lin_huge.ini
printf "$S"'[netflow]\ninactive = 1ns .. 1h step 1ns\n' > sweep_step_tiny.ini  # 3.6e12 values
printf "$S"'[netflow]\nentries = 1k .. 64k mul 1.0000001\n' > sweep_mul_tiny.ini
printf "$S"'replicates = 1e9\n[netflow]\n' > sweep_replicates_huge.ini
printf "$S"'[sampled]\nalgorithm = sampled-netflow\nrate = 1/2 .. 1/1000 log 0\n' > sweep_log_zero.ini
# 8 million points: rejected, but only after building a million of them
printf "$S"'[netflow]\nentries = 1k, 2k\ninactive = 1s, 2s\nactive = 1m, 2m\nemerg_batch = 1 .. 1000 lin 1000\nemerg_low = 0 .. 1 lin 1000\n' > sweep_grid_huge.ini
printf "$S"'[netflow]\nstages = uniform|uniform|uniform|uniform|uniform|uniform|uniform|uniform|uniform\n' > sweep_nine_stages.ini
printf "$S"'[\r]\nalgorithm = netflow\n' > sweep_cr_section.ini                 # a carriage return as a section name
mkdir -p adir.ini

# ---- not a capture file ----------------------------------------------------------------------------
mkdir -p adir.pcap
printf 'a plain file\n' > afile                                    # --out names a file
