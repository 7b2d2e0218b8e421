# flowsim — shared gnuplot style for every figure (load it first).
# Output: set `out` to a file name ending in .png or .pdf before loading.
if (!exists("out")) out = "figure.png"
if (!exists("plotsdir")) plotsdir = "plots"
load plotsdir."/term.gp"
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
set style line 6 lc rgb "#e6ab02" lw 2 pt 15 ps 1.2
set style line 7 lc rgb "#a6761d" lw 2 pt 3 ps 1.2
set style line 8 lc rgb "#666666" lw 2 pt 1 ps 1.2
set style line 9 lc rgb "#1f78b4" lw 2 pt 2 ps 1.2
set style line 10 lc rgb "#b2182b" lw 2 pt 6 ps 1.2
# Bands (confidence intervals over replicates) are drawn in the colour of
# their line, transparent. Theoretical curves (20-23) are thin: dashed for
# exact values, dotted for approximations, in the colours of styles 2 and 1.
set style fill transparent solid 0.22 noborder
# A note in the corner when plot.sh had to cut error bars on a log axis.
if (exists("clipnote")) { set label 99 clipnote at graph 0.99, graph 0.015 right font ",7" tc rgb "#777777" noenhanced }
set style line 20 lc rgb "#a04000" lw 1.4 dt 2
set style line 21 lc rgb "#a04000" lw 1.4 dt 3
set style line 22 lc rgb "#0f6b52" lw 1.4 dt 2
set style line 23 lc rgb "#0f6b52" lw 1.4 dt 3
