// Training curves from metrics.csv; see curves.h.
#include "studies/curves.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "studies/report.h"

namespace nanossl {
namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();  // a trailing empty cell
  return cells;
}

// Columns on the x axis, not drawn as metrics.
bool is_axis(const std::string& column) { return column == "step" || column == "epoch" || column == "k"; }

}  // namespace

MetricsTable read_metrics_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("[plot] cannot open " + path + " (is it a run directory with metrics.csv?)");
  MetricsTable table;
  std::string line;
  if (!std::getline(in, line) || line.empty()) throw std::runtime_error("[plot] " + path + " has no header row");
  table.columns = split_csv_line(line);
  for (const auto& column : table.columns) table.values[column];
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = split_csv_line(line);
    if (cells.size() != table.columns.size()) {
      throw std::runtime_error("[plot] " + path + " line " + std::to_string(number) + ": " +
                               std::to_string(cells.size()) + " cells, the header has " +
                               std::to_string(table.columns.size()));
    }
    for (std::size_t c = 0; c < cells.size(); ++c) {
      double value = std::nan("");
      if (!cells[c].empty()) {
        std::size_t used = 0;
        try {
          value = std::stod(cells[c], &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != cells[c].size()) {
          throw std::runtime_error("[plot] " + path + " line " + std::to_string(number) + ", column " +
                                   table.columns[c] + ": '" + cells[c] + "' is not a number");
        }
      }
      table.values[table.columns[c]].push_back(value);
    }
    ++table.rows;
  }
  return table;
}

std::string metric_label(const std::string& column) {
  static const std::map<std::string, std::string> labels = {
      {"loss", "training loss"},
      {"lr", "learning rate"},
      {"positive_top1", "positive-pair top-1 in the batch (%)"},
      {"knn_top1", "kNN monitor top-1 (%)"},
      {"images_per_s", "throughput (images/s)"},
      {"train_acc", "training top-1 (%)"},
      {"test_acc", "test top-1 (%)"},
      {"test_top1", "test top-1 (%)"},
  };
  const auto found = labels.find(column);
  return found == labels.end() ? column : found->second;
}

std::vector<std::string> plot_curves(const std::vector<CurveRun>& runs, const std::string& out_dir,
                                     const std::string& prefix) {
  bool all_have_step = !runs.empty();
  for (const auto& run : runs) all_have_step = all_have_step && run.metrics.values.count("step") > 0;
  const std::string x = all_have_step ? "step" : "epoch";
  std::vector<std::string> metrics;  // every metric column of any run, in first-seen order
  std::set<std::string> seen;
  for (const auto& run : runs) {
    for (const auto& column : run.metrics.columns) {
      if (!is_axis(column) && seen.insert(column).second) metrics.push_back(column);
    }
  }
  std::filesystem::create_directories(out_dir);
  std::vector<std::string> written;
  for (const auto& metric : metrics) {
    std::vector<Series> series;
    for (const auto& run : runs) {
      const auto xs = run.metrics.values.find(x), ys = run.metrics.values.find(metric);
      if (xs == run.metrics.values.end() || ys == run.metrics.values.end()) continue;
      Series s{run.name, {}};
      for (std::size_t r = 0; r < run.metrics.rows; ++r) {
        if (std::isfinite(xs->second[r]) && std::isfinite(ys->second[r])) s.points.emplace_back(xs->second[r], ys->second[r]);
      }
      if (!s.points.empty()) series.push_back(std::move(s));
    }
    if (series.empty()) continue;
    const std::string png = out_dir + "/" + prefix + metric + ".png";
    const std::string label = metric_label(metric);
    if (!line_plot(png, label + " by " + x, x, label, /*log_x=*/false, series)) {
      throw std::runtime_error("[plot] gnuplot could not draw " + png);
    }
    written.push_back(png);
  }
  return written;
}

}  // namespace nanossl
