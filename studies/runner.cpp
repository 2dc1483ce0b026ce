// The study runner and the runs the drivers share; see runner.h.
#include "studies/runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "commands/presets.h"
#include "commands/interrupt.h"
#include "commands/run_directory.h"
#include "commands/runs.h"
#include "commands/ssl_methods.h"
#include "nn/checkpoint.h"

namespace nanossl {
namespace fs = std::filesystem;

namespace {

// Keys that change how a run reports, not what it computes.
const char* const kNonSemanticKeys[] = {"// about", "log_every", "checkpoint_every", "workers", "stop_after_steps", "detect_anomaly"};

// A pretraining's keys that its method does not read (a SimCLR run ignores moco.*
// and byol.*), left out of its name: runs named before the keys existed keep their
// names, and a setting of another method does not split identical runs.
void drop_unused_method_keys(Json& config) {
  if (!config.contains("method") || !config["method"].is_string()) return;
  const std::string method = config["method"].get<std::string>();
  if (method != "moco") config.erase("moco");
  if (method != "byol") config.erase("byol");
  if (method == "simclr") config.erase("method");
}

// Keys whose default is left out of a run's name, so runs named before the key
// existed keep their names: precision (fp32).
void drop_default_keys(Json& config) {
  if (config.contains("precision") && config["precision"] == "fp32") config.erase("precision");
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// Runs `body` with stdout going to `log` (each run's own progress lines), restoring
// the terminal afterwards even when it throws.
template <class Body>
void with_stdout_to(const std::string& log, Body body) {
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  const int file = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (saved < 0 || file < 0) throw std::runtime_error("[study] cannot write " + log + ": " + std::strerror(errno));
  ::dup2(file, STDOUT_FILENO);
  ::close(file);
  auto restore = [&] {
    std::fflush(stdout);
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
  };
  try {
    body();
  } catch (...) {
    restore();
    throw;
  }
  restore();
}

RunOptions resume_options(const std::string& dir) {
  RunOptions options;
  options.resume = dir;
  return options;
}

// How each kind of run is started or resumed in `dir`.
void execute(const PretrainRun& run, const std::string& dir, bool resume) {
  pretrain(resume ? start_run<PretrainConfig>("pretrain", resume_options(dir)) : start_fresh(dir, run.config));
}
void execute(const TrainRun& run, const std::string& dir, bool resume) {
  if (resume) {
    train(start_run<TrainConfig>(run.command, resume_options(dir)));
  } else {
    train(start_fresh(dir, run.command == "finetune" ? finetune_config(run.config, run.encoder) : run.config));
  }
}
void execute(const ProbeRun& run, const std::string& dir, bool /*resume: evaluations start again*/) {
  ProbeConfig config = run.config;
  config.eval.encoder = run.encoder;
  config.eval.encoder2 = run.encoder2;
  linear_probe(start_fresh(dir, config));
}

}  // namespace

std::string pinned_preset(const std::string& out, const std::string& preset) {
  return (fs::path(out) / "presets" / (fs::path(preset).stem().string() + ".json")).string();
}

Study::Study(std::string out, StudySettings settings, bool run_missing, std::string budget_dir)
    : out_(std::move(out)), settings_(std::move(settings)), run_missing_(run_missing), budget_dir_(std::move(budget_dir)) {}

Study Study::planner(std::string out, StudySettings settings, std::string budget_dir, StudyProgress& progress,
                     std::string scratch) {
  Study study(std::move(out), std::move(settings), /*run_missing=*/false, std::move(budget_dir));
  study.planning_ = true;
  study.progress = &progress;
  study.scratch_ = std::move(scratch);
  return study;
}

StudySettings half_budget(StudySettings settings) {
  auto halve = [](std::int64_t& steps) { steps = std::max<std::int64_t>(1, steps / 2); };
  halve(settings.pretrain.run.steps);
  halve(settings.supervised.steps);
  halve(settings.finetune.steps);
  if (settings.domain.pretrain_steps > 0) halve(settings.domain.pretrain_steps);  // 0: the pretrain section's
  if (settings.scale_trend_seeds > 0) settings.seeds = std::min(settings.seeds, settings.scale_trend_seeds);
  return settings;
}

std::string Study::preset_of(const std::string& preset) const {
  const fs::path pinned = pinned_preset(out_, preset);
  return fs::exists(pinned) ? pinned.string() : preset;
}

std::string Study::method() const {
  if (!settings_.method.empty()) return settings_.method;
  return section_config<PretrainConfig>(settings_.pretrain.run.preset, settings_.pretrain.run.set).method;
}

std::string Study::method_name() const { return nanossl::method_name(method()); }

std::string Study::output_dir(const std::string& name) const {
  const std::string dir = (planning_ ? scratch_ : out_) + "/" + (budget_dir_.empty() ? "" : budget_dir_ + "/") + name;
  fs::create_directories(dir);
  return dir;
}

std::string Study::output_link(const std::string& name, const std::string& file) const {
  return (budget_dir_.empty() ? "" : budget_dir_ + "/") + name + "/" + file;
}

template <class Config>
Config Study::section_config(const std::string& preset, const Json& patch) const {
  const std::string path = preset_of(preset);
  Json json = config_to_json(config_from_json<Config>(load_preset(path), "preset " + path));
  for (const auto& [key, value] : patch.items()) set_key(json, key, value);
  return config_from_json<Config>(json, "preset " + path + " with the study's set");
}

template <class Config>
std::string Study::run_dir(const StudyRun<Config>& run) const {
  Json config = config_to_json(run.config);
  for (const char* key : kNonSemanticKeys) config.erase(key);
  drop_unused_method_keys(config);
  drop_default_keys(config);
  // Encoders are named by their own run's directory name, not by the path they
  // were reached through, so a study moved or spelled differently keeps its names.
  const std::string key = run.command + "\n" + config.dump() + "\n" + fs::path(run.encoder).filename().string() +
                          "\n" + fs::path(run.encoder2).filename().string();
  char name[32];
  std::snprintf(name, sizeof name, "-%016llx", static_cast<unsigned long long>(fnv1a(key)));
  return out_ + "/runs/" + run.command + name;
}

namespace {

// A finished encoder run without checkpoints: its result was kept (a copy of a
// study's results, scripts/keep_results.sh) and its weights were not.
bool weights_not_kept(const std::string& dir) {
  return !dir.empty() && dir != "random" && fs::exists(fs::path(dir) / "result.json") && nn::list_checkpoints(dir).empty();
}

}  // namespace

void Study::restore_weights(const std::string& dir) {
  if (!weights_not_kept(dir)) return;
  const std::string name = fs::path(dir).filename().string();
  const std::string command = name.rfind("pretrain-", 0) == 0 ? "pretrain" : name.rfind("train-", 0) == 0 ? "train" : "";
  if (command.empty()) {
    throw std::runtime_error("[study] " + dir + " has a result but no checkpoints, and only pretrain and train runs can "
                             "be trained again from their config.json");
  }
  if (planning_) {
    progress->planned(dir, (budget_dir_.empty() ? "" : budget_dir_ + " ") + command);
    add_to_plan({dir, command, read_json(dir + "/config.json"), "", ""});
    return;
  }
  // Trained again from the config it was trained with (the same seed: the same run),
  // in place of the result it kept.
  const Json config = read_json(dir + "/config.json");
  fs::remove(fs::path(dir) / "result.json");
  const std::string what = "retraining " + name + ", whose weights were not kept";
  if (command == "pretrain") {
    const auto c = config_from_json<PretrainConfig>(config, dir + "/config.json");
    result_in(dir, command, what, [&](const std::string& d, bool) { nanossl::pretrain(start_fresh(d, c)); });
  } else {
    const auto c = config_from_json<TrainConfig>(config, dir + "/config.json");
    result_in(dir, command, what, [&](const std::string& d, bool) { nanossl::train(start_fresh(d, c)); });
  }
}

void Study::add_to_plan(PlannedRun run) {
  if (!plan) return;
  for (const PlannedRun& planned : *plan) {
    if (planned.dir == run.dir) return;
  }
  plan->push_back(std::move(run));
}

template <class Config>
std::optional<Json> Study::result(const StudyRun<Config>& run) {
  const std::string dir = run_dir(run);
  const bool finished = fs::exists(fs::path(dir) / "result.json");
  // An evaluation about to start needs its encoders' weights (a planner counts them);
  // one resuming from its own checkpoint does not.
  if ((run_missing_ || planning_) && !finished && nn::list_checkpoints(dir).empty()) {
    restore_weights(run.encoder);
    restore_weights(run.encoder2);
  }
  if (planning_ && !finished) add_to_plan({dir, run.command, config_to_json(run.config), run.encoder, run.encoder2});
  auto result = result_in(dir, run.command, run.what,
                          [&](const std::string& d, bool resume) { execute(run, d, resume); });
  if (result && run.command == "pretrain") {
    const std::pair<std::string, std::string> seen{dir, run.what};
    if (std::find(pretrainings.begin(), pretrainings.end(), seen) == pretrainings.end()) pretrainings.push_back(seen);
  }
  return result;
}

template <class Config>
std::optional<std::string> Study::finished_dir(const StudyRun<Config>& run) {
  if (!result(run) && !planning_) return std::nullopt;
  return run_dir(run);
}

std::optional<Json> Study::result_in(const std::string& dir, const std::string& command, const std::string& what,
                                     const std::function<void(const std::string&, bool)>& execute) {
  const std::string result_path = dir + "/result.json";
  const std::string kind = (budget_dir_.empty() ? "" : budget_dir_ + " ") + command;
  if (fs::exists(result_path)) {
    ++runs_reused;
    Json result = read_json(result_path);
    if (planning_) progress->recorded(kind, result.value("seconds_this_process", result.value("seconds", 0.0)));
    return result;
  }
  if (!run_missing_) {
    ++runs_missing;
    if (planning_) progress->planned(dir, kind);
    return std::nullopt;
  }
  if (const int signal = interrupt_signal()) {  // asked to stop between two runs
    throw Interrupted(signal, "[study] interrupted by " + signal_name(signal) +
                                  "; run the same study command again to continue (finished runs are reused)");
  }
  const bool checkpointed = command == "pretrain" || command == "train" || command == "finetune";
  const bool resume = checkpointed && fs::exists(dir) && !nn::list_checkpoints(dir).empty();
  if (!resume && fs::exists(dir)) fs::remove_all(dir);  // an evaluation that did not finish: start it again
  fs::create_directories(dir);
  // One line per run, begun before it and ended with its time and score: the
  // count and ETA go in front, so the line still reads "[study] ...: DIR ... N s".
  const std::string number = progress ? progress->before_run(dir) + ": " : "";
  std::printf("[study] %s%s%s: %s ...", number.c_str(), resume ? "resuming " : "", what.c_str(), dir.c_str());
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  try {
    with_stdout_to(dir + (resume ? "/log-resumed.txt" : "/log.txt"), [&] { execute(dir, resume); });
  } catch (const Interrupted& interrupted) {
    std::printf(" interrupted\n");
    throw Interrupted(interrupted.signal(),
                      "[study] interrupted by " + signal_name(interrupted.signal()) + " during " + what +
                          "; run the same study command again to continue (finished runs are reused, this one "
                          "resumes from its checkpoint)");
  } catch (const std::exception& error) {
    std::printf(" failed\n");
    throw std::runtime_error("[study] " + what + " (" + dir + ", log in " + dir + "/log.txt): " + error.what());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Json result = read_json(result_path);
  std::string score;
  if (result.contains("test_top1")) score = ", test top-1 " + format_number(result["test_top1"].get<double>()) + "%";
  else if (result.contains("knn_top1")) score = ", kNN top-1 " + format_number(result["knn_top1"].get<double>()) + "%";
  std::printf(" %.0f s%s\n", seconds, score.c_str());
  if (progress) progress->after_run(dir, seconds);
  ++runs_done;
  if (on_run_finished) on_run_finished();
  return result;
}

template std::optional<Json> Study::result(const PretrainRun&);
template std::optional<Json> Study::result(const TrainRun&);
template std::optional<Json> Study::result(const ProbeRun&);
template std::optional<std::string> Study::finished_dir(const PretrainRun&);
template std::optional<std::string> Study::finished_dir(const TrainRun&);
template std::string Study::run_dir(const PretrainRun&) const;
template std::string Study::run_dir(const TrainRun&) const;
template std::string Study::run_dir(const ProbeRun&) const;

std::int64_t epochs_for(std::int64_t steps, std::int64_t batch, std::int64_t images) {
  const std::int64_t per_epoch = std::max<std::int64_t>(1, images / batch);
  return std::max<std::int64_t>(1, (steps + per_epoch / 2) / per_epoch);
}

PretrainRun Study::pretrain(const std::string& dataset, std::int64_t images, std::int64_t dataset_size,
                            const std::string& corruption, int seed, const std::string& knn_dataset,
                            std::int64_t steps) const {
  const PretrainSection& section = settings_.pretrain;
  PretrainRun run{"pretrain", section_config<PretrainConfig>(section.run.preset, section.run.set), "", "", ""};
  PretrainConfig& c = run.config;
  c.model = settings_.model;
  c.loop.device = settings_.device;
  c.loop.workers = settings_.workers;
  // All of the dataset is asked as 0, whichever study asks, so the run (and its hash) is one.
  if (images >= dataset_size) images = 0;
  const std::int64_t used = images > 0 ? images : dataset_size;
  if (steps <= 0) steps = section.run.steps;
  const std::int64_t epochs = std::max(epochs_for(steps, c.loop.batch_size, used), section.run.min_epochs);
  c.dataset = dataset;
  c.images = images;
  c.corruption = corruption;
  c.loop.seed = seed;
  c.loop.epochs = epochs;
  c.knn.dataset = knn_dataset;
  if (!settings_.method.empty()) c.method = settings_.method;
  // The kNN monitor about `knn_checks` times per run, however many epochs it has.
  c.knn.every_epochs = section.knn_checks > 0 ? std::max<std::int64_t>(1, epochs / section.knn_checks) : 0;
  run.what = nanossl::method_name(c.method) + " pretraining on " + dataset + (images > 0 ? "[" + std::to_string(images) + "]" : "") +
             (corruption == "none" ? "" : " + " + corruption) + " (" + std::to_string(epochs) + " epochs, seed " +
             std::to_string(seed) + ")";
  return run;
}

// A train or finetune run on `labels` images of `dataset` (0 or dataset_size: all):
// the batch shrinks to the labelled set when that is smaller, and the epochs give
// the section's number of steps.
TrainRun Study::labelled_run(const std::string& command, const RunSection& section, const std::string& dataset,
                             std::int64_t labels, std::int64_t dataset_size, int seed) const {
  TrainRun run{command, section_config<TrainConfig>(section.preset, section.set), "", "", ""};
  TrainConfig& c = run.config;
  if (command == "train") c.model = settings_.model;  // a fine-tuning takes its encoder's
  c.loop.device = settings_.device;
  c.loop.workers = settings_.workers;
  const std::int64_t used = labels > 0 ? labels : dataset_size;
  const std::int64_t batch = std::min(c.loop.batch_size, used);
  const std::int64_t epochs = std::max(epochs_for(section.steps, batch, used), section.min_epochs);
  c.dataset = dataset;
  c.labels = labels == dataset_size ? 0 : labels;
  c.loop.seed = seed;
  c.loop.batch_size = batch;
  c.loop.epochs = epochs;
  run.what = std::string(command == "train" ? "supervised" : "fine-tuning") + " on " + std::to_string(used) +
             " labels of " + dataset + " (" + std::to_string(epochs) + " epochs, seed " + std::to_string(seed) + ")";
  return run;
}

TrainRun Study::supervised(const std::string& dataset, std::int64_t labels, std::int64_t dataset_size,
                           const std::string& corruption, int seed) const {
  TrainRun run = labelled_run("train", settings_.supervised, dataset, labels, dataset_size, seed);
  run.config.corruption = corruption;
  if (corruption != "none") run.what += " on images corrupted by " + corruption;
  return run;
}

TrainRun Study::finetune(const std::string& encoder, const std::string& dataset, std::int64_t labels,
                         std::int64_t dataset_size, int seed) const {
  TrainRun run = labelled_run("finetune", settings_.finetune, dataset, labels, dataset_size, seed);
  run.encoder = encoder;
  return run;
}

ProbeRun Study::linear(const std::string& encoder, const std::string& dataset, std::int64_t labels, int seed,
                       const std::string& encoder2) const {
  ProbeRun run{"linear", section_config<ProbeConfig>(settings_.linear.preset, settings_.linear.set), encoder, encoder2,
               ""};
  FrozenEvalConfig& c = run.config.eval;
  c.model = settings_.model;
  c.device = settings_.device;
  c.workers = settings_.workers;
  c.dataset = dataset;
  c.labels = labels;
  c.seed = seed;
  run.what = "linear probe on " + (labels ? std::to_string(labels) : std::string("all")) + " labels of " + dataset +
             (encoder2.empty() ? "" : " (two encoders)") + " (seed " + std::to_string(seed) + ")";
  return run;
}

double top1_of(const Json& result, const std::string& level) {
  if (level.empty()) return result.at("test_top1").get<double>();
  return result.at("test_top1_by_level").at(level).get<double>();
}

}  // namespace nanossl
