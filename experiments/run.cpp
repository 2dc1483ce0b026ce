// Run directories, checkpoints of a run and the progress clock; see run.h.
#include "experiments/run.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tensor/random.h"

namespace nanossl {

RunStart start_run(const std::string& command, const RunOptions& options) {
  RunStart run;
  if (!options.resume.empty()) {
    run.out = options.resume;
    run.checkpoint = nn::load_latest_checkpoint(run.out);
    if (!run.checkpoint) {
      throw std::runtime_error("[" + command + "] --resume " + run.out + ": no complete checkpoint to resume from");
    }
    run.config = Json::parse(run.checkpoint->state.config_json);
    run.config["stop_after_steps"] = 0;  // a stop asked of the earlier process is not inherited
    for (const std::string& assignment : options.overrides) {
      if (assignment.rfind("stop_after_steps=", 0) != 0) {
        throw std::invalid_argument("[" + command +
                                    "] --resume takes the saved configuration; only stop_after_steps may change");
      }
      apply_override(run.config, assignment);
    }
  } else {
    run.out = options.out;
    run.config = resolve_config(options.preset, options.overrides);
  }
  std::filesystem::create_directories(run.out);
  write_text(run.out + "/config.json", run.config.dump(2));
  return run;
}

RunCounters restore_run(const nn::LoadedCheckpoint& checkpoint, nn::Module& model, nn::Optimizer& optimizer) {
  nn::check_state_matches(model.state_dict(), checkpoint.model, checkpoint.dir + "/model.safetensors");
  model.load_state_dict(checkpoint.model);
  optimizer.load_state(checkpoint.state.optimizer);
  set_generator_state(checkpoint.state.rng);
  std::printf("resuming from %s (step %lld, epoch %lld, batch %lld)\n", checkpoint.dir.c_str(),
              static_cast<long long>(checkpoint.state.step), static_cast<long long>(checkpoint.state.epoch),
              static_cast<long long>(checkpoint.state.loader_position));
  return {checkpoint.state.step, checkpoint.state.epoch, checkpoint.state.loader_position};
}

void save_run(const std::string& out, const nn::Module& model, const nn::Optimizer& optimizer,
              const RunCounters& counters, const Json& config, const std::string& preprocessing) {
  nn::TrainingState state;
  state.step = counters.step;
  state.epoch = counters.epoch;
  state.loader_position = counters.position;
  state.rng = generator_state();
  state.config_json = config.dump();
  for (const auto& [name, tensor] : optimizer.state()) state.optimizer[name] = tensor;
  nn::save_checkpoint(out, model.state_dict(), state, {{"preprocessing", preprocessing}});
}

void write_text(const std::string& path, const std::string& text) {
  // Written beside the target and renamed over it: a run killed mid-write leaves the
  // old file or the new one, never half of one (result.json marks a finished run).
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial);
    if (!out) throw std::runtime_error("cannot write " + partial);
    out << text << "\n";
    out.close();
    if (!out) throw std::runtime_error("error writing " + partial);
  }
  std::filesystem::rename(partial, path);
}

ProgressClock::ProgressClock(std::int64_t first_step, std::int64_t total_steps)
    : start_(Clock::now()), since_(start_), first_step_(first_step), total_steps_(total_steps) {}

double ProgressClock::images_per_s(double images_in_window) {
  const auto now = Clock::now();
  const double window = std::chrono::duration<double>(now - since_).count();
  since_ = now;
  return window > 0 ? images_in_window / window : 0.0;
}

std::string ProgressClock::eta(std::int64_t step) const {
  const double done = static_cast<double>(step - first_step_);
  const double seconds = done > 0 ? this->seconds() / done * static_cast<double>(total_steps_ - step) : 0.0;
  char text[32];
  std::snprintf(text, sizeof text, "%dm%02ds", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
  return text;
}

double ProgressClock::seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

}  // namespace nanossl
