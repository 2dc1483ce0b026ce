// The plumbing every checkpointed command shares (train, pretrain, finetune): a
// run directory whose configuration comes fresh from a preset and overrides, or is
// the saved one of --resume; checkpoints holding the model, the optimizer and the
// counters that make a resumed run continue exactly; and the progress line.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "experiments/commands.h"
#include "experiments/config.h"
#include "nn/checkpoint.h"
#include "nn/module.h"
#include "nn/optim.h"

namespace nanossl {

struct RunStart {
  std::string out;                                // the run directory
  Json config;                                    // resolved, already written to out/config.json
  std::optional<nn::LoadedCheckpoint> checkpoint; // set when resuming
};

// A fresh run (options.preset + options.overrides into options.out) or, with
// options.resume, the saved configuration of that run, where only
// stop_after_steps may be overridden (a stop asked of the earlier process is not
// inherited). Errors start with "[command]".
RunStart start_run(const std::string& command, const RunOptions& options);

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

// Writes text + newline to path atomically (a temporary file renamed over it).
void write_text(const std::string& path, const std::string& text);

// When a checkpoint is written: every `every` steps, and at the end of an epoch
// unless one was written fewer than `every` steps before (the epochs of a 100-image
// labelled subset are one step long: a checkpoint per epoch would be one per step).
// every == 0: at every epoch end only.
class CheckpointCadence {
 public:
  CheckpointCadence(std::int64_t every, std::int64_t resumed_step) : every_(every), last_(resumed_step) {}
  bool due(std::int64_t step, bool epoch_end) const {
    if (every_ <= 0) return epoch_end;
    return step % every_ == 0 || (epoch_end && step - last_ >= every_);
  }
  void saved(std::int64_t step) { last_ = step; }

 private:
  std::int64_t every_, last_;
};

// Images/s over the last window and the ETA from the average step time so far.
class ProgressClock {
 public:
  ProgressClock(std::int64_t first_step, std::int64_t total_steps);
  // Call when reporting; returns images/s since the previous call and resets the window.
  double images_per_s(double images_in_window);
  std::string eta(std::int64_t step) const;  // "12m05s"
  double seconds() const;                    // since construction

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_, since_;
  std::int64_t first_step_, total_steps_;
};

}  // namespace nanossl
