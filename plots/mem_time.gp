# flowsim — flow-memory entries per second of trace time (timeseries.csv:
# entries_max or entries_mean), one line per pipeline: mean over replicates,
# band = 95 % confidence interval of the mean (Student t; only with
# --timeseries all). Optional shaded interval shade_a..shade_b (a flood) and
# a horizontal line at budget (entries). Made by plots/plot.sh mem-time.
# Variables: out, dat, titles, ttl, xlab, ylab, logy, keypos, shade_a, shade_b, budget.
if (!exists("plotsdir")) plotsdir = "plots"
load plotsdir."/style.gp"
if (exists("keypos")) { eval "set key ".keypos }
set title ttl noenhanced
set xlabel xlab noenhanced
set ylabel ylab noenhanced
if (logy) { set logscale y; set format y "%g" } else { set yrange [0:*] }
if (exists("shade_a") && exists("shade_b")) {
    set object 1 rect from shade_a, graph 0 to shade_b, graph 1 fc rgb "#f2e6e6" fs solid 1.0 noborder behind
}
if (exists("budget")) {
    set arrow 1 from graph 0, first budget to graph 1, first budget nohead ls 20
    set label 1 sprintf("budget %g entries", budget) at graph 0.01, first budget offset 0,0.6 font ",9"
}
plot for [i=1:words(titles)] dat index (i-1) using 1:3:4 with filledcurves ls ((i-1)%10+1) notitle, \
     for [i=1:words(titles)] dat index (i-1) using 1:2 with lines ls ((i-1)%10+1) lw 1.5 title word(titles,i) noenhanced

# A second format of the same figure (plot.sh --also).
if (exists("out2") && out2 ne "") { out = out2; load plotsdir."/term.gp"; replot }
