// What a study writes besides its runs: tables (as CSV and as Markdown), plots
// (gnuplot scripts and their PNGs) and the findings its report checks.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "studies/statistics.h"

namespace nanossl {

// Mean and sample standard deviation of a run's repeats (over seeds).
struct Stat {
  double mean = 0.0, std = 0.0;
  int count = 0;
  bool empty() const { return count == 0; }
  // The mean, or NaN where no run has finished (a cell the tables leave blank).
  double mean_or_nan() const;
};
Stat stat_of(const std::vector<double>& values);
Stat stat_of(const BySeed& values);
// "83.2" for one value, "83.2 ± 0.4" for several, "–" for none.
std::string format_stat(const Stat& stat, int decimals = 1);

// One number with one decimal ("2.5"), "–" for NaN (a value whose runs are missing).
std::string format_points(double value);

// A table of text cells. Numbers are formatted by the caller.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  void add(std::vector<std::string> row) { rows.push_back(std::move(row)); }
  // Comma-separated, cells quoted where they hold a comma or a quote.
  void write_csv(const std::string& path) const;
  std::string markdown() const;
};

// The findings' words as thresholds, in points of top-1 (docs/statistics.md), the
// one place they are named. They are applied to a measure's 95% interval over
// seeds, not to its mean alone: a gain "adds little" when its interval lies under
// kLittlePoints and "much" when it lies above; "a wide margin" is an interval above
// kWideMarginPoints; two accuracies "converge" when their gap's interval lies within
// ±kConvergedPoints.
constexpr double kLittlePoints = 2.0;
constexpr double kWideMarginPoints = 5.0;
constexpr double kConvergedPoints = 2.0;

// One of the paper's findings, checked against this run.
struct Finding {
  std::string study;
  std::string claim;     // the paper's claim, in a sentence
  std::string measured;  // this run's numbers that bear on it (means over seeds)
  Check check;           // the verdict and its test; not run while its runs are missing
};
std::string verdict_text(const Finding& finding);  // "yes", "no", "inconclusive", "not run"

// What one study contributes to report.md.
struct StudyReport {
  std::string name;
  std::string markdown;  // tables and plots, with the study's own prose
  std::vector<Finding> findings;
};

// The Markdown that shows a plot (a relative path), or says why it is missing.
std::string plot_markdown(bool plotted, const std::string& caption, const std::string& path);
// A table's Markdown followed by its plot's: the body of most study sections.
std::string table_with_plot(const Table& table, bool plotted, const std::string& caption, const std::string& path);

// Plots. Each writes PATH.gp (the script) and PATH.dat (the data) beside PATH.png
// and runs gnuplot on them; returns false (and says why on stderr) when gnuplot is
// missing or fails, so a report can still be written without the picture.
struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y)
};
// While one lives, the plots write their .gp and .dat but do not run gnuplot (and
// say nothing): a study's planning pass, whose tables are thrown away.
class PlotsOff {
 public:
  PlotsOff();
  ~PlotsOff();
  PlotsOff(const PlotsOff&) = delete;
  PlotsOff& operator=(const PlotsOff&) = delete;

 private:
  bool was_;
};
// x_names, when given, names the integer positions 1..n of the x axis (levels of a
// hierarchy) instead of numbering a continuous axis.
bool line_plot(const std::string& png, const std::string& title, const std::string& xlabel,
               const std::string& ylabel, bool log_x, const std::vector<Series>& series,
               const std::vector<std::string>& x_names = {});
// values[r][c]; NaN cells are left blank.
bool heat_map(const std::string& png, const std::string& title, const std::vector<std::string>& row_names,
              const std::vector<std::string>& column_names, const std::vector<std::vector<double>>& values);
// Clustered bars: one cluster per category, one bar per series (values[s][c]).
bool bar_plot(const std::string& png, const std::string& title, const std::string& ylabel,
              const std::vector<std::string>& categories, const std::vector<std::string>& series_names,
              const std::vector<std::vector<double>>& values);

}  // namespace nanossl
