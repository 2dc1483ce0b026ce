// `nanossl plot RUN_DIR...`: training curves of one or more runs from their
// metrics.csv, one PNG per metric with a line per run (studies/curves.h).
#include <cstdio>
#include <filesystem>
#include <set>

#include "commands/commands.h"
#include "studies/curves.h"

namespace nanossl {
namespace fs = std::filesystem;

namespace {

// A run directory as a path whose last part is the run's name ("runs/a/" -> runs/a).
fs::path run_path(const std::string& dir) {
  fs::path path = fs::path(dir).lexically_normal();
  return path.filename().empty() ? path.parent_path() : path;
}

// The legend name of each run: its directory's name, or parent/name where two
// runs share a name (runs/a/pretrain and runs/b/pretrain).
std::vector<std::string> legend_names(const std::vector<std::string>& dirs) {
  std::multiset<std::string> seen;
  for (const auto& dir : dirs) seen.insert(run_path(dir).filename().string());
  std::vector<std::string> names;
  for (const auto& dir : dirs) {
    const fs::path path = run_path(dir);
    const bool shared = seen.count(path.filename().string()) > 1 && path.has_parent_path();
    names.push_back(shared ? (path.parent_path().filename() / path.filename()).string() : path.filename().string());
  }
  return names;
}

}  // namespace

int run_plot(const PlotOptions& options) {
  if (options.runs.empty()) throw std::invalid_argument("[plot] name at least one run directory");
  const std::vector<std::string> names = legend_names(options.runs);
  std::vector<CurveRun> runs;
  for (std::size_t i = 0; i < options.runs.size(); ++i) {
    runs.push_back({names[i], read_metrics_csv((fs::path(options.runs[i]) / "metrics.csv").string())});
  }
  // One run: its own plots/ folder; several: plots/ where the command runs.
  const std::string out = !options.out.empty()      ? options.out
                          : options.runs.size() == 1 ? (fs::path(options.runs[0]) / "plots").string()
                                                     : std::string("plots");
  const std::vector<std::string> written = plot_curves(runs, out);
  if (written.empty()) throw std::runtime_error("[plot] no metric with a value in " + options.runs[0] + "/metrics.csv");
  for (const auto& png : written) std::printf("%s\n", png.c_str());
  return 0;
}

}  // namespace nanossl
