# flowsim — terminal and output file from `out` (.pdf: pdfcairo, else
# pngcairo). Loaded by style.gp, and again by a script that renders a second
# format (out2) of the same figure with `replot`.
if (out[strlen(out)-3:] eq ".pdf") {
    set terminal pdfcairo enhanced font "Helvetica,9" size 4in,2.9in
} else {
    set terminal pngcairo enhanced font "Helvetica,11" size 900,560
}
set output out
