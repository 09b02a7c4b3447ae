# cdf.gp — the papers' Figure 3: CDF of the per-start latency when N
# processes or containers are started at once (N = 16 and 64).
load "common.gp"   # found through GNUPLOT_LIB=bench/plots (bench/run.sh sets it)
set ylabel "fraction of starts"
set xlabel "start-up latency (ms, log scale)"
set logscale x
set yrange [0:1.05]
do for [n in "16 64"] {
    set output "startup_cdf_n".n.".png"
    set title "Start-up latency, ".n." started at once (CDF)"
    plot for [i=0:*] "plot-cdf-n".n.".dat" index i using 1:2 with steps linewidth 2 title columnheader(1)
}
