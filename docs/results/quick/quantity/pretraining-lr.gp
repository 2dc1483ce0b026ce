set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'
set output 'docs/results/quick/quantity/pretraining-lr.png'
set title 'learning rate by step'
set xlabel 'step'
set ylabel 'learning rate'
set key outside right
set grid
set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05
plot 'docs/results/quick/quantity/pretraining-lr.dat' index 0 with lines lw 2 title 'shapes[3000] (106 epochs, seed 0)', 'docs/results/quick/quantity/pretraining-lr.dat' index 1 with lines lw 2 title 'shapes[15000] (20 epochs, seed 0)', 'docs/results/quick/quantity/pretraining-lr.dat' index 2 with lines lw 2 title 'shapes (5 epochs, seed 0)'
