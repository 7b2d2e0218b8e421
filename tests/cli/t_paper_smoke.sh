# flowsim — the paper pipeline on tiny inputs: `make -C paper SMOKE=1` runs
# every experiment on tiny traces (a few replicates), draws every figure,
# writes the reproduction table and builds the PDF with LaTeX. Checks that
# the PDF is a PDF, that every figure of every experiment exists and is
# non-empty in both formats next to its run's manifest.json, that every
# figure the report includes exists, and that the table has rows for every
# claim. Needs LaTeX: Debian texlive-latex-base texlive-latex-recommended
# texlive-fonts-recommended latexmk (make -C paper deps).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
command -v latexmk > /dev/null && command -v pdflatex > /dev/null || {
    echo "FAIL: LaTeX is not installed: Debian packages texlive-latex-base texlive-latex-recommended texlive-fonts-recommended latexmk (as root: make -C paper deps)"
    exit 1; }
out=$T/paper
fail=0
bad() { echo "FAIL: $*"; fail=1; }

start=$(date +%s)
if ! make -s -C "$ROOT/paper" SMOKE=1 OUT="$out" FLOWSIM="$FLOWSIM" > make.log 2>&1; then
    tail -n 40 make.log; echo "FAIL: make -C paper SMOKE=1"; exit 1
fi
echo "make -C paper SMOKE=1: $(( $(date +%s) - start )) s"

# The report.
[ -s "$out/paper.pdf" ] || bad "no paper.pdf"
[ "$(head -c 5 "$out/paper.pdf")" = "%PDF-" ] || bad "paper.pdf is not a PDF"
grep -q 'Output written on .*paper.pdf' "$out/tex/paper.log" || bad "pdflatex did not write the PDF"
grep -q 'LaTeX Warning: Reference .* undefined' "$out/tex/paper.log" && bad "undefined references in the report"

# Every figure of every experiment, in both formats, next to a manifest.
expect() {  # expect EXP RUN-GLOB FIGURE...
    local e=$1 glob=$2; shift 2
    local d n=0 f ext
    for d in "$out/$e"/$glob/; do
        [ -f "$d/results.csv" ] || continue
        n=$((n + 1))
        [ -s "$d/manifest.json" ] || bad "$e/$(basename "$d"): no manifest.json next to the figures"
        for f in "$@"; do
            for ext in pdf png; do [ -s "$d/$f.$ext" ] || bad "$e/$(basename "$d")/$f.$ext missing or empty"; done
        done
    done
    [ $n -gt 0 ] || bad "$e: no run directory matching $glob"
}
expect fsanf '*' fig-memory fig-reports fig-ports fig-flows fig-export-time
expect slicing '*' fig-slicing-1
expect smart '*-grid' fig-smart fig-smart-bytes
expect flood '*' fig-flood-memory fig-flood-export
expect frontier '*' fig-frontier-memory fig-frontier-export
expect systematic '*' fig-systematic fig-systematic-ports
[ -s "$out/slicing/slicing-tiny/fig-slicing-1.theory.csv" ] || bad "slicing: no theory curves"

# Every figure listed by the experiments and every figure the report includes.
for e in fsanf smart slicing flood frontier systematic; do
    [ -s "$out/$e/figures.txt" ] || bad "$e: no figures.txt"
    [ -s "$out/$e/section.tex" ] || bad "$e: no section.tex"
    while read -r f; do [ -s "$f" ] || bad "listed figure $f missing or empty"; done < "$out/$e/figures.txt"
done
for f in $(cat "$out"/*/section.tex | sed -n 's/.*\\includegraphics\[[^]]*\]{\([^}]*\)}.*/\1/p'); do
    [ -s "$out/$f" ] || bad "the report includes $f, which is missing or empty"
done
n=$(cat "$out"/*/section.tex | grep -c 'includegraphics')
[ "$n" -ge 20 ] || bad "only $n figures in the report"

# The table: a row for every claim, every number computed (no empty cells).
[ -s "$out/claims.tex" ] || bad "no claims.tex"
for c in 1 2 3 4 5 6 7 8 9 11 N1 N2; do
    grep -q "^$c," "$out/claims.csv" || bad "claims.csv has no row for claim $c"
done
awk -F, 'NR > 1 && NF != 11 { print "FAIL: claims.csv line " NR " has " NF " fields"; exit 1 }' "$out/claims.csv" || fail=1
awk -F, 'NR > 1 && $10 == "" { print "FAIL: claims.csv line " NR " has no verdict"; exit 1 }' "$out/claims.csv" || fail=1

[ $fail = 0 ] && echo "paper smoke: ok ($(wc -l < "$out/claims.csv") table rows, $n figures)"
exit $fail
