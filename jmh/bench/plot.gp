# Grouped bars of the end-to-end benchmark, one bar per server, per scenario: msgs/s, p99 latency
# and server CPU per message. Called by run.sh:
#   gnuplot -e "datafile='…'; outfile='….png'; title_date='…'; nservers=N" plot.gp
# datafile: tab-separated, header row of quoted titles; column 1 the scenario, then for each
# server three columns: msgs/s, p99 µs, server CPU µs/msg (NaN where not measured; p99 is NaN
# where connections starved, since it then describes only the served ones).
set terminal pngcairo size 1400,1400 font ",11"
set output outfile
set datafile separator "\t"
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top vertical
set grid ytics
set logscale y
set format y "10^{%L}"
set xtics nomirror noenhanced font ",10"
set multiplot layout 3,1 title "ffm-echo end-to-end benchmark, ".title_date." (server pinned to CPU 0, client to CPU 1)"
set title "throughput (msgs/s, log scale; higher is better)"
set ylabel "msgs/s"
plot for [k=1:nservers] datafile using 3*k-1:xtic(1) title columnheader(3*k-1) noenhanced
set title "p99 latency (µs, log scale; lower is better; omitted where connections starved)"
set ylabel "p99 µs"
plot for [k=1:nservers] datafile using 3*k:xtic(1) title columnheader(3*k) noenhanced
set title "server CPU per echoed message (µs, log scale; lower is better)"
set ylabel "µs/msg"
plot for [k=1:nservers] datafile using 3*k+1:xtic(1) title columnheader(3*k+1) noenhanced
unset multiplot
