# flowsim — `make -f plots/plots.mk plots` (the top-level `make plots`):
# renders every figure from the results that exist under results/, without
# running anything. Missing results are skipped with a message.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# 1. Every run directory results/NAME/ or results/NAME/SUB/ (a directory
#    holding results.csv and manifest.json, outside results/paper*) gets the
#    generic figures in NAME/plots/: error vs memory, error vs export volume,
#    error vs sampling rate, per-flow error by size, memory and export over
#    time (PNG and PDF). A figure whose data the run lacks (no time series,
#    no rate parameter, ...) is skipped with a message.
# 2. The paper's figures, table and report for every paper output directory
#    that exists (results/paper, results/paper-full, results/paper-smoke):
#    `make -C paper figures` redraws them from the existing runs.
#
# Figures are remade only when their run's results.csv is newer.

RESULTS ?= results
PLOT    := bash plots/plot.sh
TYPES   := err-mem err-export err-rate err-size mem-time export-time

RUNS := $(filter-out $(RESULTS)/paper%,$(patsubst %/results.csv,%,\
          $(wildcard $(RESULTS)/*/results.csv $(RESULTS)/*/*/results.csv)))
FIGS := $(foreach r,$(RUNS),$(foreach t,$(TYPES),$(r)/plots/$(t).png))
PAPER_OUTS := $(patsubst %/,%,$(dir $(wildcard $(RESULTS)/paper*/claims.csv)))

.PHONY: plots plots-runs plots-paper
plots: plots-runs plots-paper

plots-runs: $(FIGS)
	@[ -n "$(RUNS)" ] || echo "plots: no run directories under $(RESULTS)/ (flowsim run --out $(RESULTS)/NAME)"

# One rule per figure type; exit status 3 of plot.sh = the run lacks the
# data: the figure is skipped (plot.sh says why) and make goes on.
define figrule
%/plots/$(1).png: %/results.csv plots/plot.sh plots/prep.awk plots/summarize.awk
	@mkdir -p $$(@D)
	@$(PLOT) $(1) $$* $$@ --also $$(@:.png=.pdf) > /dev/null; rc=$$$$?; \
	 if [ $$$$rc = 3 ]; then :; elif [ $$$$rc != 0 ]; then exit $$$$rc; else echo "plots: $$@"; fi
endef
$(foreach t,$(TYPES),$(eval $(call figrule,$(t))))

plots-paper:
	@if [ -z "$(PAPER_OUTS)" ]; then echo "plots: no paper results under $(RESULTS)/paper* (make paper)"; fi
	@for d in $(PAPER_OUTS); do \
	  mode=quick; case $$d in *-full) mode=full ;; *-smoke) mode=smoke ;; esac; \
	  echo "plots: paper figures in $$d"; \
	  $(MAKE) --no-print-directory -C paper figures OUT=$(CURDIR)/$$d \
	    $$([ $$mode = full ] && echo FULL=1) $$([ $$mode = smoke ] && echo SMOKE=1) || exit 1; \
	done
