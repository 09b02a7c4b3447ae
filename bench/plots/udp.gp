# udp.gp — the papers' Figure 4: UDP send bandwidth (1472-byte payloads)
# against the number of parallel streams, as received by tools/udpsink.
load "common.gp"   # found through GNUPLOT_LIB=bench/plots (bench/run.sh sets it)
set output "udp_bw.png"
set title "UDP send bandwidth, 1472-byte payloads (median, received at the host end)"
set xlabel "parallel streams"
set ylabel "Mbit/s of UDP payload"
set yrange [0:*]
set offsets 0.3, 0.3, 0, 0
plot for [i=2:*] "plot-udp.dat" using 0:i:xtic(1) with linespoints pointsize 1.5 title columnheader(i)
