# flowsim — libFuzzer targets for the parsers of hostile input.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
#   make -f tests/fuzz/fuzz.mk fuzz-build   build every target into build/fuzz/
#   make -f tests/fuzz/fuzz.mk fuzz         run each target FUZZ_TIME seconds (default 60)
#   make -f tests/fuzz/fuzz.mk fuzz-ci      run each target FUZZ_CI_TIME seconds (default 15)
#   make -f tests/fuzz/fuzz.mk fuzz-replay  run each target once over its seeds, its
#                                           regression inputs and tests/fuzz/crashes/ (no fuzzing)
#   make -f tests/fuzz/fuzz.mk fuzz-clean   remove build/fuzz/ (the grown corpora too)
#
# Targets are every tests/fuzz/fuzz_*.c (one file each; a new file is a new
# target, with its seeds made by tests/fuzz/seeds.sh, its dictionary in
# tests/fuzz/NAME.dict and its -max_len in FUZZ_MAXLEN_NAME). Each is linked
# with the project's sources (sim/*.c but main.c, algorithms/*.c,
# traces/*.c) compiled by clang with the project's warning flags, -Werror
# included, under -fsanitize=fuzzer,address,undefined. Crashes, leaks,
# timeouts and out-of-memory inputs are saved in tests/fuzz/crashes/ as
# NAME-crash-<sha1> etc.; the corpus each run grows is kept in
# build/fuzz/corpus/NAME/ and reused by the next run.

FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build/fuzz
FUZZ_TIME    ?= 60
FUZZ_CI_TIME ?= 15
FUZZ_TIMEOUT ?= 10
FUZZ_RSS_MB  ?= 2048
FLOWSIM      ?= build/flowsim
# The top-level Makefile passes its own list; this copy is for direct use.
CFLAGS_WARN ?= -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -Wformat=2 -Wpointer-arith -Wundef -Wvla \
               -Wcast-align -Wnull-dereference -Wno-format-truncation -Werror
# clang 14 does not know -Wformat-truncation (a GCC warning): without this,
# -Werror turns "unknown warning option" into an error.
FUZZ_WARN    = $(CFLAGS_WARN) -Wno-unknown-warning-option
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -pthread -g -O1 $(FUZZ_WARN) $(FUZZ_SAN) \
               -Isim -Ialgorithms -Itraces -I$(FUZZ_BUILD) -MMD -MP
# The top-level Makefile passes its LDLIBS; this copy is for direct use.
FUZZ_LDLIBS ?= -lpcap -lgsl -lgslcblas -lxxhash -ljson-c -lcrypto -linih -lm

FUZZ_LIB_SRC = $(filter-out sim/main.c,$(wildcard sim/*.c)) $(wildcard algorithms/*.c) \
               $(wildcard traces/*.c)
FUZZ_LIB_OBJ = $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SRC     = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   = $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_BINS    = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/%)

# Largest input per target (libFuzzer -max_len), in bytes.
FUZZ_MAXLEN_DEFAULT  = 16384
FUZZ_MAXLEN_fuzz_spec = 4096
FUZZ_MAXLEN_fuzz_run  = 8192
# Extra libFuzzer options per target (fuzz_run: the run's own messages off).
FUZZ_OPTS_fuzz_run    = -close_fd_mask=3

.PHONY: fuzz fuzz-ci fuzz-build fuzz-replay fuzz-seeds fuzz-clean
.SECONDARY: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/obj/tests/fuzz/%.o)
fuzz-build: $(FUZZ_BINS)

# engine.c includes the generated version.h; fuzz builds say so in the commit.
$(FUZZ_BUILD)/version.h:
	@mkdir -p $(dir $@)
	@echo '#define FS_GIT_COMMIT "fuzz-build"' > $@

# Library objects: instrumented for coverage (fuzzer-no-link) and sanitizers.
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_BUILD)/obj/sim/engine.o: $(FUZZ_BUILD)/version.h

$(FUZZ_BUILD)/libflowsim-fuzz.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libflowsim-fuzz.a
	$(FUZZ_CC) -pthread $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LDLIBS)

$(FUZZ_BUILD)/obj/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -c $< -o $@

# Seed corpora: slices of the real traces, generated traces, spec strings.
$(FUZZ_BUILD)/seeds/.done: tests/fuzz/seeds.sh tests/fuzz/spec_seeds.txt
	FLOWSIM=$(FLOWSIM) bash tests/fuzz/seeds.sh $(FUZZ_BUILD)/seeds
	@touch $@
fuzz-seeds: $(FUZZ_BUILD)/seeds/.done

FUZZ_RUN = FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) FUZZ_RSS_MB=$(FUZZ_RSS_MB) \
           FUZZ_MAXLEN_DEFAULT=$(FUZZ_MAXLEN_DEFAULT) \
           $(foreach n,$(FUZZ_NAMES),$(if $(FUZZ_MAXLEN_$(n)),FUZZ_MAXLEN_$(n)=$(FUZZ_MAXLEN_$(n)))) \
           $(foreach n,$(FUZZ_NAMES),$(if $(FUZZ_OPTS_$(n)),FUZZ_OPTS_$(n)='$(FUZZ_OPTS_$(n))')) \
           bash tests/fuzz/run.sh
fuzz: fuzz-build fuzz-seeds
	$(FUZZ_RUN) $(FUZZ_TIME) $(FUZZ_NAMES)
fuzz-ci: fuzz-build fuzz-seeds
	$(FUZZ_RUN) $(FUZZ_CI_TIME) $(FUZZ_NAMES)
fuzz-replay: fuzz-build fuzz-seeds
	$(FUZZ_RUN) 0 $(FUZZ_NAMES)

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
