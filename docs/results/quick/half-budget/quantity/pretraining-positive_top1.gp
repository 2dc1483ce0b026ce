set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'
set output 'docs/results/quick/half-budget/quantity/pretraining-positive_top1.png'
set title 'positive-pair top-1 in the batch (%) by step'
set xlabel 'step'
set ylabel 'positive-pair top-1 in the batch (%)'
set key outside right
set grid
set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05
plot 'docs/results/quick/half-budget/quantity/pretraining-positive_top1.dat' index 0 with lines lw 2 title 'shapes[3000] (53 epochs, seed 0)', 'docs/results/quick/half-budget/quantity/pretraining-positive_top1.dat' index 1 with linespoints lw 2 title 'shapes[15000] (10 epochs, seed 0)', 'docs/results/quick/half-budget/quantity/pretraining-positive_top1.dat' index 2 with linespoints lw 2 title 'shapes (3 epochs, seed 0)'
