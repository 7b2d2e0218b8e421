# flowsim — per-flow mean relative error by flow-size decade (flowsim's flow
# aggregate: are_packets or are_bytes; a missed flow counts with error 1).
# Points: mean over replicates, bars: 95 % confidence interval (Student t).
# Optional theory (theo = output of plots/theory.awk, theory_cols = columns
# to draw, theory_titles = their titles): the expected value of the same
# quantity at the trace's flows, see plots/theory.awk for the formulas.
# Made by plots/plot.sh err-size.
# Variables: out, dat, titles, ttl, xlab, ylab, logy, keypos, theo, theory_cols, theory_titles.
if (!exists("plotsdir")) plotsdir = "plots"
load plotsdir."/style.gp"
if (exists("keypos")) { eval "set key ".keypos }
set title ttl noenhanced
set xlabel xlab noenhanced
set ylabel ylab noenhanced
if (logy) { set logscale y; set format y "%g" }
set xrange [0.5:6.5]
set xtics ("1-9" 1, "10-99" 2, "100-999" 3, "1000-9999" 4, "10^4-99999" 5, ">= 10^5" 6)
set xtics noenhanced
if (!exists("theo") || theo eq "") {
    plot for [i=1:words(titles)] dat index (i-1) using 1:2:3:4 with yerrorlines ls ((i-1)%10+1) title word(titles,i) noenhanced
} else {
    plot for [i=1:words(titles)] dat index (i-1) using 1:2:3:4 with yerrorlines ls ((i-1)%10+1) title word(titles,i) noenhanced, \
         for [j=1:words(theory_cols)] theo using ($1+1):(column(word(theory_cols,j)+0)) every ::1 with lines ls (19+j) title word(theory_titles,j) noenhanced
}

# A second format of the same figure (plot.sh --also).
if (exists("out2") && out2 ne "") { out = out2; load plotsdir."/term.gp"; replot }
