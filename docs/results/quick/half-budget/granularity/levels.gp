set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'
set output 'docs/results/quick/half-budget/granularity/levels.png'
set title 'Top-1 per level of the label hierarchy'
set xlabel 'level'
set ylabel 'test top-1 (%)'
set key outside right
set grid
set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05
set xrange [0.7:3.3]
set xtics ('coarse' 1, 'shape' 2, 'fine' 3)
plot 'docs/results/quick/half-budget/granularity/levels.dat' index 0 with linespoints lw 2 title 'shapes supervised', 'docs/results/quick/half-budget/granularity/levels.dat' index 1 with linespoints lw 2 title 'shapes SimCLR'
