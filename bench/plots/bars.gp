# bars.gp — bar charts for the measures without a figure in the papers:
# IPC round trip, tmpfs throughput and metadata rates, memory per idle
# instance (medians).
load "common.gp"   # found through GNUPLOT_LIB=bench/plots (bench/run.sh sets it)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]

set output "ipc_rtt.png"
set title "IPC round trip (median)"
set ylabel "microseconds"
plot for [i=2:*] "plot-ipc.dat" using i:xtic(1) title columnheader(i)

set output "fs.png"
set title "File system: read/write MiB/s, create/stat/unlink ops/s (median, log scale)"
set ylabel "MiB/s or ops/s"
set logscale y
set yrange [*:*]
plot for [i=2:*] "plot-fs.dat" using i:xtic(1) title columnheader(i)
unset logscale y
set yrange [0:*]

set output "mem_idle.png"
set title "Memory per idle instance (median MemFree drop per instance)"
set ylabel "KiB"
plot for [i=2:*] "plot-mem.dat" using i:xtic(1) title columnheader(i)
