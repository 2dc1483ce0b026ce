set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'
set output 'docs/results/quick/half-budget/quality/drops.png'
set title 'Drop in clean top-1 when pretraining on corrupted shapes'
set ylabel 'points lost vs clean pretraining'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside right
set xtics rotate by -20
plot 'docs/results/quick/half-budget/quality/drops.dat' using 2:xtic(1) title 'supervised + linear', 'docs/results/quick/half-budget/quality/drops.dat' using 3 title 'SimCLR + linear', 'docs/results/quick/half-budget/quality/drops.dat' using 4 title 'supervised end-to-end'
