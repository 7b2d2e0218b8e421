# flowsim — the one entry point. `make help` lists the targets.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2
CFLAGS_WARN = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
              -Wmissing-prototypes -Wformat=2 -Wpointer-arith -Wundef -Wvla \
              -Wcast-align -Wnull-dereference -Wno-format-truncation -Werror
CFLAGS  += -std=c11 -D_GNU_SOURCE -pthread -g $(OPT) $(SAN) $(CFLAGS_WARN) -Isim -Ialgorithms -Itraces -MMD -MP
LDFLAGS += -pthread $(SAN)
LDLIBS  += -lpcap -lgsl -lgslcblas -lxxhash -ljson-c -lcrypto -linih -lm

LIB_SRC  = $(filter-out sim/main.c,$(wildcard sim/*.c)) $(wildcard algorithms/*.c) $(wildcard traces/*.c)
TEST_SRC = $(wildcard tests/*.c)

LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ = $(TEST_SRC:%.c=$(BUILD)/%.o)

.PHONY: all deps deps-test deps-fuzz deps-cov demo paper test test-unit test-cli test-asan help clean plots bench
all: $(BUILD)/flowsim

help:
	@echo "make deps       install the Debian packages flowsim needs (as root)"
	@echo "make            build build/flowsim"
	@echo "make demo       run the default comparison on a shipped real trace (results/demo/)"
	@echo "make test       build and run every test, then again under ASan+UBSan"
	@echo "make plots      every figure from the results under results/"
	@echo "make paper      reproduce the papers' claims and build the PDF report (FULL=1: larger)"
	@echo "make bench      micro-benchmarks and end-to-end speed against other tools (results/bench/)"
	@echo "make fuzz       run each libFuzzer target FUZZ_TIME s (60); fuzz-ci: 15 s each"
	@echo "make coverage   line coverage of the tests (build/cov/report/)"
	@echo "make clean      remove build/"

# ---- dependencies: install only what is missing ---------------------------
DEB_PKGS = build-essential pkg-config libpcap-dev libgsl-dev libxxhash-dev libjson-c-dev \
           libssl-dev libinih-dev gnuplot-nox tcpdump
# Packages only the tests need (independent counters and readers of our output).
DEB_TEST_PKGS = tshark python3 nfdump slurmctld slurmd slurm-client \
                texlive-latex-base texlive-latex-recommended texlive-fonts-recommended latexmk
DEB_FUZZ_PKGS = clang libclang-rt-14-dev
deps: PKGS = $(DEB_PKGS)
deps-test: PKGS = $(DEB_PKGS) $(DEB_TEST_PKGS) $(DEB_FUZZ_PKGS) valgrind
deps-fuzz: PKGS = $(DEB_PKGS) $(DEB_FUZZ_PKGS)
deps-cov:  PKGS = $(DEB_PKGS) $(DEB_TEST_PKGS) gcovr valgrind
deps deps-test deps-fuzz deps-cov:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: missing packages:$$missing (run as root)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# ---- build ----------------------------------------------------------------
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The git commit goes into every manifest. version.h is rewritten only when
# the commit (or the dirty state of the tree) changes, so nothing else rebuilds.
.PHONY: FORCE
$(BUILD)/version.h: FORCE
	@mkdir -p $(dir $@)
	@c=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown); \
	 git diff --quiet HEAD -- 2>/dev/null || c="$$c-dirty"; \
	 echo "#define FS_GIT_COMMIT \"$$c\"" > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/sim/engine.o: $(BUILD)/version.h
$(BUILD)/sim/engine.o: CFLAGS += -I$(BUILD)

$(BUILD)/libflowsim.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/flowsim: $(BUILD)/sim/main.o $(BUILD)/libflowsim.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

# The test list is generated from the TEST(name) definitions in tests/*.c.
$(BUILD)/tests/test_list.h: $(TEST_SRC)
	@mkdir -p $(dir $@)
	@grep -ho '^TEST([a-z0-9_]*)' $(TEST_SRC) | sed 's/^TEST(\(.*\))/X(\1)/' > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/runner.o: $(BUILD)/tests/test_list.h
$(BUILD)/tests/runner.o: CFLAGS += -I$(BUILD)/tests

$(BUILD)/run_tests: $(TEST_OBJ) $(BUILD)/libflowsim.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

# ---- tests ----------------------------------------------------------------
# test-unit: C unit, known-answer and statistical tests; test-cli: the
# command-line tests (tests/cli/*.sh). `make test` runs both, normal build
# and then a build with AddressSanitizer + UndefinedBehaviorSanitizer.
test-unit: $(BUILD)/run_tests
	cd tests && ../$(BUILD)/run_tests

test-cli: $(BUILD)/flowsim
	FLOWSIM=$(CURDIR)/$(BUILD)/flowsim bash tests/cli/run.sh

SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
test-asan:
	$(MAKE) BUILD=build/asan OPT=-O1 SAN="$(SAN_FLAGS)" test-unit test-cli

# make test: the unit and command-line tests, the same under ASan+UBSan, the
# bad-input corpus under valgrind, and each fuzz target for a bounded time.
test: deps-test
	$(MAKE) test-unit test-cli
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $(MAKE) test-asan
	$(MAKE) test-valgrind fuzz-ci

# ---- fuzzing, bad inputs under valgrind, coverage (tests/fuzz/README.md) ----
.PHONY: fuzz fuzz-ci fuzz-replay coverage test-valgrind
fuzz fuzz-ci fuzz-replay: deps-fuzz $(BUILD)/flowsim
	$(MAKE) -f tests/fuzz/fuzz.mk FLOWSIM=$(BUILD)/flowsim CFLAGS_WARN="$(CFLAGS_WARN)" FUZZ_LDLIBS="$(LDLIBS)" $@
test-valgrind: $(BUILD)/flowsim
	VALGRIND=1 FLOWSIM=$(CURDIR)/$(BUILD)/flowsim bash tests/cli/run.sh bad_corpus
coverage: deps-cov
	$(MAKE) -f tests/coverage.mk coverage

# ---- demo -----------------------------------------------------------------
demo: deps $(BUILD)/flowsim
	bash plots/demo.sh $(BUILD)/flowsim

# ---- figures and the paper (plots/, paper/) -----------------------------------
# make plots: every figure from the results already under results/;
# make paper: runs every experiment (quick mode; FULL=1 for the larger one)
# and builds the PDF report with its reproduction table.
plots: $(BUILD)/flowsim
	$(MAKE) -f plots/plots.mk FLOWSIM=$(CURDIR)/$(BUILD)/flowsim plots

paper: deps $(BUILD)/flowsim
	$(MAKE) -C paper FLOWSIM=$(CURDIR)/$(BUILD)/flowsim

# ---- benchmarks (bench/) -----------------------------------------------------
# Micro-benchmarks (Google Benchmark through a C++ shim) and the end-to-end
# comparison with the raw libpcap read loop and other flow tools; results in
# results/bench/. Details in bench/README.md.
bench: deps $(BUILD)/flowsim $(BUILD)/libflowsim.a
	$(MAKE) -f bench/bench.mk BUILD=$(BUILD) bench

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
