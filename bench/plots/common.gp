# common.gp — settings every benchmark plot shares (loaded by the others).
# The data files are written by tools/benchstat into bench/results/.
set terminal pngcairo size 960,600 font ",11" noenhanced
set datafile separator "\t"
set datafile missing "NaN"
set key outside right top
set grid ytics
