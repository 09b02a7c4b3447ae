# startup.gp — the papers' Figure 2: start-up latency of one process or
# container against the number of idle ones present (median of the samples).
load "common.gp"   # found through GNUPLOT_LIB=bench/plots (bench/run.sh sets it)
set output "startup.png"
set title "Start-up latency with N idle instances present (median)"
set xlabel "idle instances of the same kind present"
set ylabel "start-up latency (ms, log scale)"
set logscale y
set offsets 0.3, 0.3, 0, 0
plot for [i=2:*] "plot-startup.dat" using 0:i:xtic(1) with linespoints pointsize 1.5 title columnheader(i)
