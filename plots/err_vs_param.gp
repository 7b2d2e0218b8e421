# flowsim — a metric (by default an error) versus a parameter of the
# pipelines (sampling rate 1/N, slice length, bin length, budget ...), one
# curve per series. y = mean over replicates, bars = 95 % confidence interval
# (Student t). Made by plots/plot.sh err-rate|metric-param.
# Variables: out, dat, titles, ttl, xlab, ylab, logx, logy, keypos.
if (!exists("plotsdir")) plotsdir = "plots"
load plotsdir."/style.gp"
if (exists("keypos")) { eval "set key ".keypos }
set title ttl noenhanced
set xlabel xlab noenhanced
set ylabel ylab noenhanced
if (logx) { set logscale x }
if (logy) { set logscale y; set format y "%g" }
set offsets graph 0.03, graph 0.03, 0, 0
plot for [i=1:words(titles)] dat index (i-1) using 1:4:5:6 with yerrorlines ls ((i-1)%10+1) title word(titles,i) noenhanced

# A second format of the same figure (plot.sh --also).
if (exists("out2") && out2 ne "") { out = out2; load plotsdir."/term.gp"; replot }
