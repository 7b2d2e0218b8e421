# flowsim — line-coverage report of the unit and command-line tests.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
#   make -f tests/coverage.mk coverage     build with --coverage into build/cov,
#                                          run test-unit and test-cli, write
#                                          build/cov/report/coverage.txt (per file)
#                                          and build/cov/report/index.html (per line),
#                                          print the overall line coverage
#   make -f tests/coverage.mk coverage-clean
#
# Counts lines of sim/, algorithms/ and traces/ (not the tests themselves).
# The report is written even when a test fails (the failure is reported);
# COV_STRICT=1 makes a failing test fail the target. Needs gcovr (Debian:
# gcovr). Unoptimised (-O0) so every source line maps to code.

COV_BUILD  ?= build/cov
COV_REPORT  = $(COV_BUILD)/report
COV_STRICT ?= 0
GCOVR      ?= gcovr

.PHONY: coverage coverage-clean
coverage:
	@command -v $(GCOVR) >/dev/null || { echo "coverage: gcovr is not installed (Debian: apt-get install gcovr)" >&2; exit 1; }
	@find $(COV_BUILD) -name '*.gcda' -delete 2>/dev/null || true
	@rm -rf $(COV_REPORT)
	@mkdir -p $(COV_REPORT)
	@st=0; \
	 $(MAKE) -k --no-print-directory BUILD=$(COV_BUILD) OPT=-O0 SAN=--coverage test-unit test-cli || st=$$?; \
	 $(GCOVR) --root . --object-directory $(COV_BUILD) \
	     --filter 'sim/' --filter 'algorithms/' --filter 'traces/' \
	     --txt $(COV_REPORT)/coverage.txt \
	     --html-details $(COV_REPORT)/index.html --html-title 'flowsim line coverage' \
	     --print-summary > $(COV_REPORT)/summary.txt || exit 1; \
	 cat $(COV_REPORT)/summary.txt; \
	 echo "coverage: per file in $(COV_REPORT)/coverage.txt, per line in $(COV_REPORT)/index.html"; \
	 if [ $$st -ne 0 ]; then \
	     echo "coverage: WARNING: some tests failed (status $$st); the figure covers the tests that ran" >&2; \
	     [ "$(COV_STRICT)" = 1 ] && exit $$st; \
	 fi; true

coverage-clean:
	rm -rf $(COV_BUILD)
