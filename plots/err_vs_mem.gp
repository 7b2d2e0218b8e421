# flowsim — error versus a resource (memory or export volume): the
# accuracy/resource trade-off curve of each algorithm on one figure. Every
# point is one pipeline: x = mean of the resource metric over replicates, y =
# mean error, bars = 95 % confidence intervals (Student t) over replicates
# in both directions. Made by plots/plot.sh err-mem|err-export.
# Variables: out, dat, titles (quoted words), ttl, xlab, ylab, logx, logy, keypos.
if (!exists("plotsdir")) plotsdir = "plots"
load plotsdir."/style.gp"
if (exists("keypos")) { eval "set key ".keypos }
set title ttl noenhanced
set xlabel xlab noenhanced
set ylabel ylab noenhanced
if (logx) { set logscale x; set format x "10^{%L}" }
if (logy) { set logscale y; set format y "%g" }
set offsets graph 0.03, graph 0.03, 0, 0
plot for [i=1:words(titles)] dat index (i-1) using 1:4:2:3:5:6 with xyerrorlines ls ((i-1)%10+1) title word(titles,i) noenhanced

# A second format of the same figure (plot.sh --also).
if (exists("out2") && out2 ne "") { out = out2; load plotsdir."/term.gp"; replot }
