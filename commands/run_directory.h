// The files of a run directory and the plumbing every command shares: the
// configuration (fresh from a preset and overrides, or the saved one of
// --resume) written to config.json; checkpoints holding the model, the optimizer
// and the counters that make a resumed run continue exactly; metrics.csv;
// result.json (written last: it marks a finished run); the progress clock.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/file_write.h"
#include "commands/commands.h"
#include "commands/run_config.h"
#include "commands/run_lock.h"
#include "nn/checkpoint.h"
#include "nn/module.h"
#include "nn/optim.h"

namespace nanossl {

template <class Config>
struct RunStart {
  std::string out;                                 // the run directory
  Config config;                                   // already written to out/config.json
  std::optional<nn::LoadedCheckpoint> checkpoint;  // set when resuming
  std::shared_ptr<DirectoryLock> lock;             // held while the run is alive (run_lock.h)
};

// A fresh run of `config` in `out`: creates and locks the directory, writes config.json.
template <class Config>
RunStart<Config> start_fresh(const std::string& out, const Config& config);
// The run of a command line: options.preset + options.overrides into options.out,
// or with options.resume the saved configuration of that run, where only
// stop_after_steps may be overridden (a stop asked of the earlier process is not
// inherited). Errors start with "[command]".
template <class Config>
RunStart<Config> start_run(const std::string& command, const RunOptions& options);
// The configuration start_run would use, without touching any directory (--print-config).
template <class Config>
Config planned_config(const std::string& command, const RunOptions& options);

// While one lives, the CPU GEMMs run at `precision` ("fp32" or "bf16", LoopConfig):
// bf16 forces the AVX512_BF16 micro-kernel where the CPU has it and says, where it
// has not, that the run stays fp32; the automatic kernel is back afterwards (a
// study runs fp32 probes after a bf16 pretraining in one process).
class GemmPrecision {
 public:
  explicit GemmPrecision(const std::string& precision);
  ~GemmPrecision();
  GemmPrecision(const GemmPrecision&) = delete;
  GemmPrecision& operator=(const GemmPrecision&) = delete;

 private:
  bool forced_ = false;
};

// Where a run stands: restored from a checkpoint or zero.
struct RunCounters {
  std::int64_t step = 0, epoch = 0, position = 0;  // position: next batch within the epoch
};

// Loads model and optimizer state and the generator from `checkpoint`, checking
// names, shapes and dtypes against the model first; says so on stdout; returns the
// counters.
RunCounters restore_run(const nn::LoadedCheckpoint& checkpoint, nn::Module& model, nn::Optimizer& optimizer);

// Writes out/checkpoints/step-N/ with the model, the optimizer state, the counters,
// the generator state, the configuration and `preprocessing` in the metadata.
void save_run(const std::string& out, const nn::Module& model, const nn::Optimizer& optimizer,
              const RunCounters& counters, const Json& config, const std::string& preprocessing);

// Writes text + newline to path atomically (a temporary file, fsynced, renamed over
// it); a failure throws WriteError naming the file and the system's reason.
void write_text(const std::string& path, const std::string& text);
// A JSON file (result.json, study.json); errors name the file.
Json read_json(const std::string& path);

// metrics.csv: a header, then one row per call; on resume, rows past the resumed
// step (and a partial last row) are dropped so the file reads as one uninterrupted
// run. A row that cannot be written throws WriteError.
class MetricsFile {
 public:
  MetricsFile(const std::string& path, const std::vector<std::string>& columns, std::int64_t resume_step);
  ~MetricsFile();
  MetricsFile(const MetricsFile&) = delete;
  MetricsFile& operator=(const MetricsFile&) = delete;
  void row(const std::vector<std::string>& values);

 private:
  std::unique_ptr<AppendFile> file_;
};

std::string format_number(double value);  // shortest round-tripping text ("%.9g")
std::string format_duration(double seconds);  // "42s", "12m05s", "3h07m" (a run's ETA, a study's)

// Images/s over the last window and the ETA from the average step time so far.
class ProgressClock {
 public:
  ProgressClock(std::int64_t first_step, std::int64_t total_steps);
  // Call when reporting; returns images/s since the previous call and resets the window.
  double images_per_s(double images_in_window);
  std::string eta(std::int64_t step) const;  // format_duration of the time left: "12m05s"
  double seconds() const;                    // since construction

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_, since_;
  std::int64_t first_step_, total_steps_;
};

}  // namespace nanossl
