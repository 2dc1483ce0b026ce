set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'
set output 'docs/results/quick/half-budget/domain/pretraining-images_per_s.png'
set title 'throughput (images/s) by step'
set xlabel 'step'
set ylabel 'throughput (images/s)'
set key outside right
set grid
set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05
plot 'docs/results/quick/half-budget/domain/pretraining-images_per_s.dat' index 0 with linespoints lw 2 title 'shapes (3 epochs, seed 0)'
