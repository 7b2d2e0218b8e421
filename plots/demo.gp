# flowsim — demo figure: relative error of Sampled NetFlow's total byte,
# packet and flow estimates against the sampling rate, mean over seeds with
# error bars of one standard deviation, and every replicate as a dot.
# Input: `dat` (rate,inv_rate,metric,mean,sd,min,max rows from plots/demo.sh)
# and `reps` (inv_rate,metric,value rows), both made by plots/demo.sh.
load "plots/style.gp"
set title "Sampled NetFlow on ".trace." (".nseeds." seeds per rate)" noenhanced
set xlabel "sampling rate 1/N  (N)"
set ylabel "|relative error| of the whole-trace estimate (%)"
set logscale x
set logscale y
set xrange [1.5:2000]
set key top left
plot dat  using ($2):(strcol(3) eq "rel_err_bytes" ? 100*$4 : NaN):(100*$5) with yerrorlines ls 1 title "bytes (mean ± sd)", \
     reps using ($1*1.04):(strcol(2) eq "rel_err_bytes" ? 100*abs($3) : NaN) with points ls 1 pt 6 ps 0.4 notitle, \
     dat  using ($2):(strcol(3) eq "rel_err_packets" ? 100*$4 : NaN):(100*$5) with yerrorlines ls 2 title "packets (mean ± sd)", \
     reps using ($1*0.96):(strcol(2) eq "rel_err_packets" ? 100*abs($3) : NaN) with points ls 2 pt 4 ps 0.4 notitle, \
     dat  using ($2):(strcol(3) eq "rel_err_flows" ? 100*$4 : NaN):(100*$5) with yerrorlines ls 3 title "flows (sampled flows, biased low)"
