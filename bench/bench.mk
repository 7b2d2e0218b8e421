# flowsim — benchmarks (bench/README.md). Called by the top-level Makefile:
#   make bench                 (after build/flowsim and build/libflowsim.a)
#   make bench BENCH_QUICK=1   smaller inputs, fewer repetitions, no 10M-flow cases
# or directly: make -f bench/bench.mk BUILD=build bench | bench-micro | bench-e2e
# Results: results/bench/ (micro.json, micro.txt, e2e.csv, e2e_runs.csv, summary.txt,
# inputs/); BENCH_QUICK=1 writes results/bench/quick/ instead.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.

BUILD ?= build
OUT   ?= results/bench$(if $(filter 1,$(BENCH_QUICK)),/quick)
CC    ?= cc
CXX   ?= g++

BENCH_CFLAGS   = -std=c11 -D_GNU_SOURCE -g -O2 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
                 -Wmissing-prototypes -Wformat=2 -Wpointer-arith -Wundef -Wvla -Wcast-align \
                 -Wnull-dereference -Wno-format-truncation -Werror \
                 -Isim -Ialgorithms -Itraces -Itests -Ibench -I$(BUILD) -MMD -MP
BENCH_CXXFLAGS = -std=c++17 -g -O2 -Wall -Wextra -Werror -Ibench -MMD -MP
# The project's libraries, read from the top-level Makefile's LDLIBS so a
# library added there is linked here too (the list below is the fallback).
FS_LIBS       := $(or $(shell sed -n 's/^LDLIBS *+*= *//p' Makefile 2>/dev/null | head -n 1),\
                     -lpcap -lgsl -lgslcblas -lxxhash -ljson-c -lcrypto -lm)

# Packages the benchmarks need (the build ones) and the peers they compare
# against (each optional: a peer that cannot be installed is skipped).
BENCH_BUILD_PKGS = g++ libbenchmark-dev libpcap-dev time
BENCH_PEER_PKGS  = softflowd nfdump argus-server argus-client tcpreplay wireshark-common

ifeq ($(BENCH_QUICK),1)
MICRO_ARGS = --benchmark_repetitions=3 --benchmark_min_time=0.05 --bench_max_flows=1000000
E2E_MODE   = quick
else
MICRO_ARGS = --benchmark_repetitions=5 --benchmark_min_time=0.1 --bench_max_flows=10000000
E2E_MODE   = full
endif

BENCH_BIN = $(BUILD)/bench/micro $(BUILD)/bench/pcap_loop

.PHONY: bench bench-deps bench-build bench-micro bench-e2e
bench: bench-deps bench-build
	$(MAKE) -f bench/bench.mk BUILD=$(BUILD) bench-micro bench-e2e

# Install what is missing; peers one by one, so one that fails only skips itself.
bench-deps:
	@missing=""; for p in $(BENCH_BUILD_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	peers=""; for p in $(BENCH_PEER_PKGS); do dpkg -s $$p >/dev/null 2>&1 || peers="$$peers $$p"; done; \
	if [ -n "$$missing$$peers" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    [ -z "$$missing" ] || { echo "make bench: missing packages:$$missing (run as root)" >&2; exit 1; }; \
	    echo "make bench: peers not installed (run as root to install):$$peers" >&2; exit 0; \
	  fi; \
	  apt-get update -qq || true; \
	  if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  fi; \
	  for p in $$peers; do \
	    echo "installing peer: $$p"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$p >/dev/null 2>&1 \
	      || echo "make bench: could not install $$p; the benchmarks that need it are skipped" >&2; \
	  done; \
	fi

bench-build: $(BENCH_BIN)

$(BUILD)/bench/cases.o: bench/cases.c bench/cases.h $(BUILD)/version.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -c $< -o $@

# The test helper that builds frames of every link type (tests/pcapw.c).
$(BUILD)/bench/pcapw.o: tests/pcapw.c tests/pcapw.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -c $< -o $@

$(BUILD)/bench/micro.o: bench/micro.cc bench/cases.h
	@mkdir -p $(dir $@)
	$(CXX) $(BENCH_CXXFLAGS) -c $< -o $@

$(BUILD)/bench/micro: $(BUILD)/bench/micro.o $(BUILD)/bench/cases.o $(BUILD)/bench/pcapw.o $(BUILD)/libflowsim.a
	$(CXX) -pthread -o $@ $^ -lbenchmark -lpthread $(FS_LIBS)

$(BUILD)/bench/pcap_loop: bench/pcap_loop.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -lpcap

bench-micro: $(BUILD)/bench/micro
	@mkdir -p $(OUT)
	@echo "== micro-benchmarks ($(MICRO_ARGS)) =="
	BENCH_NOTE="shared 2-core machine under load: compare numbers within one run" \
	$(BUILD)/bench/micro $(MICRO_ARGS) --benchmark_display_aggregates_only=true \
	  --benchmark_out=$(OUT)/micro.json --benchmark_out_format=json \
	  --bench_summary=$(OUT)/micro.txt
	@echo "== micro-benchmark medians ($(OUT)/micro.txt) =="
	@cat $(OUT)/micro.txt

bench-e2e: $(BUILD)/bench/pcap_loop $(BUILD)/flowsim
	bash bench/e2e.sh $(BUILD) $(OUT) $(E2E_MODE)

# Header dependencies (sim/*.h change under the cases: rebuild them).
-include $(wildcard $(BUILD)/bench/*.d)
