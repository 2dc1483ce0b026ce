set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'
set output 'docs/results/quick/half-budget/quantity/accuracy.png'
set title 'Top-1 on shapes vs labelled images'
set xlabel 'labelled training images'
set ylabel 'test top-1 (%)'
set key outside right
set grid
set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05
set logscale x
plot 'docs/results/quick/half-budget/quantity/accuracy.dat' index 0 with linespoints lw 2 title 'supervised (from scratch)', 'docs/results/quick/half-budget/quantity/accuracy.dat' index 1 with linespoints lw 2 title 'SimCLR 60k + linear', 'docs/results/quick/half-budget/quantity/accuracy.dat' index 2 with linespoints lw 2 title 'SimCLR 15k + linear', 'docs/results/quick/half-budget/quantity/accuracy.dat' index 3 with linespoints lw 2 title 'SimCLR 3k + linear', 'docs/results/quick/half-budget/quantity/accuracy.dat' index 4 with linespoints lw 2 title 'SimCLR 60k + fine-tune'
