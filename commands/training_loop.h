// The one training loop of `train`, `finetune` and `pretrain`: epochs of steps,
// the learning rate from the schedule, a metrics row and progress line every
// log_every steps and at epoch ends (with the command's monitor there: test
// accuracy, kNN), checkpoints on the cadence, and stop_after_steps; on a terminal
// the progress is one live line instead (commands/progress.h). Each command
// supplies its step; the loop owns the counters, so a checkpoint taken anywhere
// resumes exactly (the loader's batches are a pure function of seed, epoch, index).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "commands/progress.h"
#include "commands/run_directory.h"
#include "data/loader.h"
#include "nn/schedule.h"

namespace nanossl {

// What one step reports for the window averages.
struct StepReport {
  double loss = 0.0;
  double metric = 0.0;  // percent: train accuracy, or SimCLR's positive top-1
};

// How the metrics.csv columns and the progress line name the step's metric and
// the epoch-end monitor.
struct LoopColumns {
  std::string metric, metric_label;    // "train_acc", "acc"
  std::string monitor, monitor_label;  // "test_acc", "test"
};

struct LoopParts {
  std::string command;  // for messages: "train", "pretrain"
  std::string out;      // the run directory
  const LoopConfig& settings;
  Json config;                // saved in every checkpoint
  std::string preprocessing;  // likewise
  nn::Module& model;
  nn::Optimizer& optimizer;
  const nn::WarmupCosine& schedule;
  data::Loader& loader;
  std::int64_t steps_per_epoch = 0;
  LoopColumns columns;
  // Forward and backward on a batch. The loop then checks that the loss and every
  // gradient are finite (a fault stops the run, see check_finite) and steps the
  // optimizer.
  std::function<StepReport(const data::Batch&)> step;
  // At the end of epoch `epoch` (the counter after it): a score for the monitor
  // column, or nullopt when the command does not monitor this epoch.
  std::function<std::optional<double>(std::int64_t epoch)> monitor;
};

// When the loss or any gradient is NaN or infinite, what to say: the step, the loss
// and the first parameter whose gradient is not finite; nullopt when all is finite.
// Training on would only spread the fault through the weights, and every later
// checkpoint would hold them. One reduction and one device sync for all the
// gradients; the offender is searched only after a fault.
std::optional<std::string> numerical_fault(std::int64_t step, double loss, const nn::Module& model);

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
  std::int64_t last_saved() const { return last_; }

 private:
  std::int64_t every_, last_;
};

class TrainingLoop {
 public:
  TrainingLoop(LoopParts parts, RunCounters start);
  // Runs to the end of the last epoch, or to stop_after_steps; in the latter case
  // saves a checkpoint, says how to continue and returns false.
  bool run();
  // A checkpoint of where the loop stands (the final one, after the command's last
  // evaluation).
  void save();
  // OUT/result.json, the mark of a finished run (run_directory.h's write_text).
  void write_result(const Json& summary);
  const RunCounters& counters() const { return counters_; }
  std::int64_t total_steps() const { return total_steps_; }
  double seconds() const { return clock_.seconds(); }

 private:
  void log(bool epoch_end, double& loss_sum, double& metric_sum, double& steps_in_window);
  // The progress line: today's log line in plain mode; live, with the percent done.
  std::string progress_text(double loss, double metric, double images_per_s, const std::string& monitor) const;
  // Live mode, between log points: rewrites the live line when it is due, or `now`.
  void show_live(double loss_sum, double metric_sum, double steps_in_window, bool now = false);
  // Throws the fault's message, with what anomaly mode finds when detect_anomaly is
  // set (the step re-run on the same batch, every op checked). Nothing is written:
  // the newest checkpoint stays the last good one.
  // Writes a checkpoint (unless one was just written), prints the resume command and
  // throws Interrupted.
  [[noreturn]] void stop_at_interrupt(int signal);
  [[noreturn]] void stop_at_fault(const std::string& fault, const data::Batch& batch);
  // A checkpoint, metrics row or result that could not be written (disk full, ...):
  // throws the error with the step, the newest intact checkpoint and the resume command.
  [[noreturn]] void stop_at_write_error(const std::string& what, const WriteError& error) const;

  LoopParts parts_;
  RunCounters counters_;
  std::int64_t total_steps_;
  CheckpointCadence cadence_;
  MetricsFile metrics_;
  ProgressClock clock_;
  ProgressLine progress_;
  double live_images_ = 0.0;  // images since the live line was last rewritten
};

}  // namespace nanossl
