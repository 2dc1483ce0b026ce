// Training curves: a run's metrics.csv read back as columns, and drawn as PNGs
// (loss, learning rate, monitor accuracy, images/s against the step), one figure
// per metric with one line per run. Used by `nanossl plot` and by the study
// reports (the pretraining curves of every encoder a study trained or reused).
#pragma once
#include <map>
#include <string>
#include <vector>

namespace nanossl {

// metrics.csv as columns of numbers; an empty cell (a metric not measured at that
// row, such as the kNN monitor between its checks) is NaN.
struct MetricsTable {
  std::vector<std::string> columns;
  std::map<std::string, std::vector<double>> values;  // column -> one value per row
  std::size_t rows = 0;
};
// Throws std::runtime_error naming the file and the line when it is missing, has no
// header, or holds a row of the wrong width or a cell that is not a number.
MetricsTable read_metrics_csv(const std::string& path);

// One run to draw: its metrics and the name in the legends.
struct CurveRun {
  std::string name;
  MetricsTable metrics;
};

// Draws every metric column the runs share (step and epoch are the x axis: step
// where the runs have it, else epoch) into OUT_DIR/<prefix><column>.png. Returns
// the PNGs written; a metric no run has a value for is skipped. Throws when
// gnuplot fails (the caller asked for pictures, so a missing one is an error).
std::vector<std::string> plot_curves(const std::vector<CurveRun>& runs, const std::string& out_dir,
                                     const std::string& prefix = "");

// A metric column's axis label with its unit ("kNN monitor top-1 (%)"); an
// unknown column is its own label.
std::string metric_label(const std::string& column);

}  // namespace nanossl
