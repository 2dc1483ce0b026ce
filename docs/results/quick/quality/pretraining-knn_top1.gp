set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'
set output 'docs/results/quick/quality/pretraining-knn_top1.png'
set title 'kNN monitor top-1 (%) by step'
set xlabel 'step'
set ylabel 'kNN monitor top-1 (%)'
set key outside right
set grid
set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05
plot 'docs/results/quick/quality/pretraining-knn_top1.dat' index 0 with linespoints lw 2 title 'shapes (5 epochs, seed 0)'
