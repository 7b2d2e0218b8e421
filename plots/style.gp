# flowsim — shared gnuplot style for every figure (load it first).
# Output: set `out` to a file name ending in .png or .pdf before loading.
if (!exists("out")) out = "figure.png"
if (out[strlen(out)-3:] eq ".pdf") {
    set terminal pdfcairo enhanced font "Helvetica,10" size 5in,3.2in
} else {
    set terminal pngcairo enhanced font "Helvetica,11" size 900,560
}
set output out
set datafile separator ","
set key top left box opaque
set grid lw 0.5 lc rgb "#dddddd"
set border 3
set tics nomirror
set style line 1 lc rgb "#1b9e77" lw 2 pt 7 ps 1.1
set style line 2 lc rgb "#d95f02" lw 2 pt 5 ps 1.1
set style line 3 lc rgb "#7570b3" lw 2 pt 9 ps 1.2
set style line 4 lc rgb "#e7298a" lw 2 pt 11 ps 1.2
set style line 5 lc rgb "#66a61e" lw 2 pt 13 ps 1.2
