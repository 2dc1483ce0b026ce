set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'
set output 'docs/results/quick/domain/matrix.png'
set title 'Linear probe top-1 (%): pretraining domain x evaluation domain'
set xlabel 'evaluated on'
set ylabel 'pretrained on'
set palette rgbformulae 22,13,10
set cblabel 'top-1 (%)'
unset key
set xrange [-0.5:1.5]
set yrange [2.5:-0.5]
set xtics ('shapes' 0, 'glyphs' 1)
set ytics ('SimCLR shapes' 0, 'SimCLR glyphs' 1, 'supervised' 2)
plot 'docs/results/quick/domain/matrix.dat' using 1:2:3 with image, 'docs/results/quick/domain/matrix.dat' using 1:2:(sprintf('%.1f', $3)) with labels font ',12'
