# flowsim — every replicate's value of one metric (dots, jittered
# horizontally), with the mean over replicates and its 95 % confidence
# interval (Student t) as a bar, one column per series. Shows the spread of
# single runs, not only the mean. Made by plots/plot.sh replicates.
# Variables: out, dat, titles, ttl, xlab, ylab, logy, keypos.
if (!exists("plotsdir")) plotsdir = "plots"
load plotsdir."/style.gp"
set key off
set title ttl noenhanced
set xlabel xlab noenhanced
set ylabel ylab noenhanced
if (logy) { set logscale y; set format y "%g" }
n = words(titles)
set xrange [0.4:n+0.6]
set xtics 1 noenhanced
set for [i=1:n] xtics add (word(titles,i) i)
set xtics rotate by -15
plot for [i=1:n] dat index (2*(i-1)) using 1:2 with points ls ((i-1)%10+1) pt 7 ps 0.35 notitle, \
     for [i=1:n] dat index (2*(i-1)+1) using 1:2:3:4 with yerrorbars lc rgb "#000000" lw 2 pt 2 ps 2 notitle

# A second format of the same figure (plot.sh --also).
if (exists("out2") && out2 ne "") { out = out2; load plotsdir."/term.gp"; replot }
