// The training loop of train, finetune and pretrain; see training_loop.h.
#include "commands/training_loop.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "autograd/anomaly.h"
#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "commands/interrupt.h"

namespace nanossl {

std::optional<std::string> numerical_fault(std::int64_t step, double loss, const nn::Module& model) {
  NoGradGuard no_grad;
  const auto parameters = model.named_parameters();
  // NaN and infinity survive a sum (inf - inf is NaN), so one sum of the gradients'
  // sums tells whether any element of any gradient is not finite.
  Tensor total;
  for (const auto& [name, parameter] : parameters) {
    if (!parameter.grad().defined()) continue;
    const Tensor part = sum(parameter.grad());
    total = total.defined() ? add(total, part) : part;
  }
  const bool gradients_finite = !total.defined() || std::isfinite(total.item());
  if (std::isfinite(loss) && gradients_finite) return std::nullopt;
  std::string offender = "none";
  for (const auto& [name, parameter] : parameters) {
    if (parameter.grad().defined() && !std::isfinite(sum(parameter.grad()).item())) {
      offender = name;
      break;
    }
  }
  char loss_text[32];
  std::snprintf(loss_text, sizeof(loss_text), "%g", std::isnan(loss) ? std::fabs(loss) : loss);  // "nan", not "-nan"
  return "step " + std::to_string(step) + ": the loss is " + loss_text + " and the first non-finite gradient is " +
         offender;
}

void TrainingLoop::stop_at_interrupt(int signal) {
  if (cadence_.last_saved() != counters_.step) save();
  end_live_line();
  const std::string resume = "nanossl " + parts_.command + " --resume " + parts_.out;
  std::printf("%s: stopped after step %lld with a checkpoint; continue with: %s\n", signal_name(signal).c_str(),
              static_cast<long long>(counters_.step), resume.c_str());
  std::fflush(stdout);
  throw Interrupted(signal, "[" + parts_.command + "] interrupted by " + signal_name(signal) + " after step " +
                                std::to_string(counters_.step) + "; continue with: " + resume);
}

void TrainingLoop::stop_at_fault(const std::string& fault, const data::Batch& batch) {
  std::string diagnosis;
  if (parts_.settings.detect_anomaly) {
    parts_.optimizer.zero_grad();
    AnomalyGuard anomaly;
    try {
      parts_.step(batch);
      diagnosis = "; anomaly mode re-ran the step and no op produced a non-finite value";
    } catch (const AnomalyError& error) {
      diagnosis = std::string("; ") + error.what();
    }
  } else {
    diagnosis = "; --set detect_anomaly=true names the op that first produced it";
  }
  const std::int64_t last = cadence_.last_saved();
  throw std::runtime_error(
      "[" + parts_.command + "] " + fault + diagnosis + ". Training stopped before the optimizer step. " +
      (last > 0 ? "The checkpoints up to step " + std::to_string(last) + " are intact" : "No checkpoint had been written") +
      "; --resume replays the same steps (with --set detect_anomaly=true to diagnose), so to train on, start a new "
      "run with a changed configuration (a lower optimizer.lr?)");
}

TrainingLoop::TrainingLoop(LoopParts parts, RunCounters start)
    : parts_(std::move(parts)),
      counters_(start),
      total_steps_(parts_.settings.epochs * parts_.steps_per_epoch),
      cadence_(parts_.settings.checkpoint_every, start.step),
      metrics_(parts_.out + "/metrics.csv",
               {"step", "epoch", "lr", "loss", parts_.columns.metric, "images_per_s", parts_.columns.monitor},
               start.step),
      clock_(start.step, total_steps_) {}

void TrainingLoop::stop_at_write_error(const std::string& what, const WriteError& error) const {
  const std::int64_t last = cadence_.last_saved();
  const std::string next =
      last > 0 ? "The checkpoints up to step " + std::to_string(last) +
                     " are intact; fix that and continue with: nanossl " + parts_.command + " --resume " + parts_.out
               : std::string("No checkpoint had been written; fix that and start the run again");
  throw std::runtime_error("[" + parts_.command + "] step " + std::to_string(counters_.step) + ": " + what + ": " +
                           error.what() + ". " + next);
}

void TrainingLoop::save() {
  try {
    save_run(parts_.out, parts_.model, parts_.optimizer, counters_, parts_.config, parts_.preprocessing);
  } catch (const WriteError& error) {
    stop_at_write_error("the checkpoint was not written", error);
  }
  cadence_.saved(counters_.step);
}

void TrainingLoop::write_result(const Json& summary) {
  try {
    write_text(parts_.out + "/result.json", summary.dump(2));
  } catch (const WriteError& error) {
    stop_at_write_error("the run finished but result.json was not written (a resume writes it)", error);
  }
}

std::string TrainingLoop::progress_text(double loss, double metric, double images_per_s,
                                        const std::string& monitor) const {
  char percent[16] = "";
  if (progress_.live() && total_steps_ > 0) {
    std::snprintf(percent, sizeof percent, " (%.0f%%)",
                  100.0 * static_cast<double>(counters_.step) / static_cast<double>(total_steps_));
  }
  char text[256];
  std::snprintf(text, sizeof text, "epoch %lld  step %lld/%lld%s  loss %.4f  %s %.1f%%  %.0f img/s  ETA %s%s",
                static_cast<long long>(counters_.epoch), static_cast<long long>(counters_.step),
                static_cast<long long>(total_steps_), percent, loss, parts_.columns.metric_label.c_str(), metric,
                images_per_s, clock_.eta(counters_.step).c_str(),
                monitor.empty() ? "" : ("  " + parts_.columns.monitor_label + " " + monitor + "%").c_str());
  return text;
}

void TrainingLoop::show_live(double loss_sum, double metric_sum, double steps_in_window, bool now) {
  if (!progress_.live() || steps_in_window <= 0 || !(now || progress_.due())) return;
  const double images_per_s = live_images_ / progress_.seconds_since_show();
  progress_.show(progress_text(loss_sum / steps_in_window, metric_sum / steps_in_window, images_per_s, ""));
  live_images_ = 0.0;
}

void TrainingLoop::log(bool epoch_end, double& loss_sum, double& metric_sum, double& steps_in_window) {
  const double images_per_s =
      clock_.images_per_s(steps_in_window * static_cast<double>(parts_.settings.batch_size));
  std::string monitor;
  if (epoch_end && parts_.monitor) {
    if (const auto score = parts_.monitor(counters_.epoch)) monitor = format_number(*score);
  }
  const double loss = loss_sum / steps_in_window, metric = metric_sum / steps_in_window;
  try {
    metrics_.row({std::to_string(counters_.step), std::to_string(counters_.epoch), format_number(parts_.optimizer.lr()),
                  format_number(loss), format_number(metric), format_number(images_per_s), monitor});
  } catch (const WriteError& error) {
    stop_at_write_error("metrics.csv was not written", error);
  }
  // Plain: a line every log_every steps, as in every log so far. Live: an epoch's
  // end stays on the screen (with its monitor); the log points between only
  // rewrite the live line, and no more often than it refreshes.
  const std::string text = progress_text(loss, metric, images_per_s, monitor);
  if (!progress_.live() || epoch_end) {
    progress_.print(text);
    live_images_ = 0.0;
  } else if (progress_.due()) {
    progress_.show(text);
    live_images_ = 0.0;
  }
  loss_sum = metric_sum = steps_in_window = 0.0;
}

bool TrainingLoop::run() {
  const InterruptHandlers interrupts;  // SIGINT/SIGTERM: finish the step, checkpoint, stop
  const LoopConfig& settings = parts_.settings;
  const std::int64_t epochs = settings.epochs, stop_after = settings.stop_after_steps;
  auto stop_asked = [&] { return stop_after > 0 && counters_.step >= stop_after; };
  double loss_sum = 0.0, metric_sum = 0.0, steps_in_window = 0.0;
  parts_.model.train();
  while (counters_.epoch < epochs && !stop_asked()) {
    parts_.loader.start(counters_.epoch, counters_.position);
    while (auto batch = parts_.loader.next()) {
      parts_.optimizer.set_lr(parts_.schedule.at(counters_.step));
      const StepReport report = parts_.step(*batch);
      if (const auto fault = numerical_fault(counters_.step + 1, report.loss, parts_.model)) stop_at_fault(*fault, *batch);
      parts_.optimizer.step();
      parts_.optimizer.zero_grad();
      loss_sum += report.loss;
      metric_sum += report.metric;
      steps_in_window += 1.0;
      live_images_ += static_cast<double>(settings.batch_size);
      ++counters_.step;
      counters_.position = batch->position + 1;
      if (counters_.position == parts_.steps_per_epoch) {
        ++counters_.epoch;
        counters_.position = 0;
      }
      const bool epoch_end = counters_.position == 0;
      if (counters_.step % settings.log_every == 0 || epoch_end) log(epoch_end, loss_sum, metric_sum, steps_in_window);
      else show_live(loss_sum, metric_sum, steps_in_window);
      if (cadence_.due(counters_.step, epoch_end)) save();
      if (const int signal = interrupt_signal()) stop_at_interrupt(signal);
      if (stop_asked() || epoch_end) break;
    }
  }
  show_live(loss_sum, metric_sum, steps_in_window, /*now=*/true);  // stopped between log points: where it stopped
  end_live_line();
  if (stop_asked() && counters_.step < total_steps_) {
    save();
    std::printf("stopped after step %lld as asked; continue with --resume %s\n",
                static_cast<long long>(counters_.step), parts_.out.c_str());
    return false;
  }
  return true;
}

}  // namespace nanossl
