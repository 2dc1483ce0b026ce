// The study runner, the shared run recipes, and the `study` and `report` commands.
#include "experiments/study.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "experiments/commands.h"
#include "experiments/run.h"
#include "experiments/training.h"
#include "nn/checkpoint.h"

namespace nanossl {
namespace fs = std::filesystem;

namespace {

// Keys that change how a run reports, not what it computes.
const char* const kNonSemanticKeys[] = {"// about", "log_every", "checkpoint_every", "workers", "stop_after_steps"};

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

Json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  try {
    return Json::parse(in);
  } catch (const std::exception& error) {
    throw std::runtime_error(path + ": " + error.what());
  }
}

// Runs `body` with stdout going to `log` (each run's own progress lines), restoring
// the terminal afterwards even when it throws.
template <class Body>
void with_stdout_to(const std::string& log, Body body) {
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  const int file = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (saved < 0 || file < 0) throw std::runtime_error("[study] cannot write " + log);
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

bool checkpointed(const std::string& command) {
  return command == "pretrain" || command == "train" || command == "finetune";
}

// Overrides of a section {"preset": ..., "set": {...}} plus the study-wide model.
std::vector<std::string> section_overrides(const Json& settings, const std::string& section, bool with_model) {
  std::vector<std::string> overrides;
  const Json& s = settings.at(section);
  if (s.contains("set")) {
    for (const auto& [key, value] : s.at("set").items()) {
      overrides.push_back(key + "=" + override_text(value));
    }
  }
  if (with_model && settings.contains("model")) {
    for (const auto& [key, value] : settings.at("model").items()) {
      overrides.push_back("model." + key + "=" + override_text(value));
    }
  }
  for (const char* key : {"device", "workers"}) {
    if (settings.contains(key)) {
      const Json& value = settings.at(key);
      overrides.push_back(std::string(key) + "=" + override_text(value));
    }
  }
  return overrides;
}

// Epochs that give about `steps` optimizer steps over `images` images in batches of `batch`.
std::int64_t epochs_for(std::int64_t steps, std::int64_t batch, std::int64_t images) {
  const std::int64_t per_epoch = std::max<std::int64_t>(1, images / batch);
  return std::max<std::int64_t>(1, (steps + per_epoch / 2) / per_epoch);
}

// The sections of a study preset that name a command preset.
const char* const kRunSections[] = {"pretrain", "supervised", "finetune", "linear"};

std::string section_preset(const Json& settings, const std::string& section) {
  return settings.at(section).at("preset").get<std::string>();
}

// OUT/presets/NAME.json: the copy of a command preset a study directory runs with.
fs::path pinned_preset(const std::string& out, const std::string& preset) {
  return fs::path(out) / "presets" / (fs::path(preset).stem().string() + ".json");
}

// Copies each command preset the study uses into OUT/presets/ the first time the
// directory sees it. Runs are named by their resolved configuration, so a preset
// edited later (a better recipe) would otherwise orphan every finished run and
// mix old and new settings in one report; a directory keeps the presets it began
// with, and a new recipe goes in a new --out.
void pin_presets(const std::string& out, const Json& settings) {
  for (const char* section : kRunSections) {
    if (!settings.contains(section)) continue;
    const std::string preset = section_preset(settings, section);
    const fs::path pinned = pinned_preset(out, preset);
    if (fs::exists(pinned)) continue;
    fs::create_directories(pinned.parent_path());
    write_text(pinned.string(), load_preset(preset).dump(2));
  }
}

std::int64_t section_int(const Json& settings, const std::string& section, const std::string& key) {
  return config_int(settings.at(section), key);
}

}  // namespace

Study::Study(std::string out, Json settings, bool run_missing)
    : out_(std::move(out)), settings_(std::move(settings)), run_missing_(run_missing) {}

std::string Study::preset_of(const std::string& section) const {
  const std::string preset = section_preset(settings_, section);
  const fs::path pinned = pinned_preset(out_, preset);
  return fs::exists(pinned) ? pinned.string() : preset;
}

int Study::seeds() const { return static_cast<int>(config_int(settings_, "seeds")); }

std::string Study::run_dir(const RunSpec& spec) const {
  Json config = resolve_config(spec.preset, spec.overrides);
  for (const char* key : kNonSemanticKeys) config.erase(key);
  // Encoders are named by their own run's directory name, not by the path they
  // were reached through, so a study moved or spelled differently keeps its names.
  std::string key = spec.command + "\n" + config.dump() + "\n" + fs::path(spec.encoder).filename().string() + "\n" +
                    fs::path(spec.encoder2).filename().string();
  char name[32];
  std::snprintf(name, sizeof name, "-%016llx", static_cast<unsigned long long>(fnv1a(key)));
  return out_ + "/runs/" + spec.command + name;
}

std::optional<Json> Study::result(const RunSpec& spec) {
  const std::string dir = run_dir(spec), result_path = dir + "/result.json";
  if (fs::exists(result_path)) {
    ++runs_reused;
    return read_json(result_path);
  }
  if (!run_missing_) {
    ++runs_missing;
    return std::nullopt;
  }
  RunOptions options;
  options.preset = spec.preset;
  options.overrides = spec.overrides;
  options.out = dir;
  if (!spec.encoder.empty() && spec.command != "finetune") options.overrides.push_back("encoder=" + spec.encoder);
  if (!spec.encoder2.empty()) options.overrides.push_back("encoder2=" + spec.encoder2);
  const bool resume = checkpointed(spec.command) && fs::exists(dir) && !nn::list_checkpoints(dir).empty();
  if (resume) {
    options = RunOptions{};
    options.resume = dir;
  } else if (fs::exists(dir)) {
    fs::remove_all(dir);  // an evaluation that did not finish: start it again
  }
  fs::create_directories(dir);
  std::printf("[study] %s%s: %s ...", resume ? "resuming " : "", spec.what.c_str(), dir.c_str());
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  try {
    with_stdout_to(dir + (resume ? "/log-resumed.txt" : "/log.txt"), [&] {
      if (spec.command == "pretrain") run_pretrain(options);
      else if (spec.command == "train") run_train(options);
      else if (spec.command == "finetune") run_finetune(options, spec.encoder);
      else if (spec.command == "linear") run_linear(options);
      else if (spec.command == "knn") run_knn(options);
      else throw std::invalid_argument("[study] unknown command " + spec.command);
    });
  } catch (const std::exception& error) {
    std::printf(" failed\n");
    throw std::runtime_error("[study] " + spec.what + " (" + dir + ", log in " + dir + "/log.txt): " + error.what());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Json result = read_json(result_path);
  std::string score;
  if (result.contains("test_top1")) score = ", test top-1 " + format_number(result["test_top1"].get<double>()) + "%";
  else if (result.contains("knn_top1")) score = ", kNN top-1 " + format_number(result["knn_top1"].get<double>()) + "%";
  std::printf(" %.0f s%s\n", seconds, score.c_str());
  ++runs_done;
  if (on_run_finished) on_run_finished();
  return result;
}

std::optional<std::string> Study::finished_dir(const RunSpec& spec) {
  if (!result(spec)) return std::nullopt;
  return run_dir(spec);
}

RunSpec Study::pretrain(const std::string& dataset, std::int64_t images, std::int64_t dataset_size,
                        const std::string& corruption, int seed, const std::string& knn_dataset,
                        std::int64_t steps) const {
  RunSpec spec;
  spec.command = "pretrain";
  spec.preset = preset_of("pretrain");
  spec.overrides = section_overrides(settings_, "pretrain", true);
  const Json base = resolve_config(spec.preset, spec.overrides);
  const std::int64_t used = images > 0 ? images : dataset_size;
  if (steps <= 0) steps = section_int(settings_, "pretrain", "steps");
  const std::int64_t epochs = epochs_for(steps, config_int(base, "batch_size"), used);
  for (const std::string& o : {"dataset=" + dataset, "images=" + std::to_string(images), "corruption=" + corruption,
                               "seed=" + std::to_string(seed), "epochs=" + std::to_string(epochs),
                               "knn.dataset=" + knn_dataset}) {
    spec.overrides.push_back(o);
  }
  // The kNN monitor about `knn_checks` times per run, however many epochs it has.
  const std::int64_t checks = settings_.at("pretrain").value("knn_checks", 3);
  spec.overrides.push_back("knn.every_epochs=" + std::to_string(checks > 0 ? std::max<std::int64_t>(1, epochs / checks) : 0));
  spec.what = "SimCLR pretraining on " + dataset + (images > 0 ? "[" + std::to_string(images) + "]" : "") +
              (corruption == "none" ? "" : " + " + corruption) + " (" + std::to_string(epochs) + " epochs, seed " +
              std::to_string(seed) + ")";
  return spec;
}

// A train or finetune run on `labels` images of `dataset` (0 or dataset_size: all):
// the batch shrinks to the labelled set when that is smaller, and the epochs give
// the section's number of steps.
RunSpec Study::labelled_run(const std::string& command, const std::string& section, const std::string& dataset,
                            std::int64_t labels, std::int64_t dataset_size, int seed) const {
  RunSpec spec;
  spec.command = command;
  spec.preset = preset_of(section);
  spec.overrides = section_overrides(settings_, section, /*with_model=*/command == "train");
  const Json base = resolve_config(spec.preset, spec.overrides);
  const std::int64_t used = labels > 0 ? labels : dataset_size;
  const std::int64_t batch = std::min(config_int(base, "batch_size"), used);
  const std::int64_t epochs = epochs_for(section_int(settings_, section, "steps"), batch, used);
  for (const std::string& o : {"dataset=" + dataset, "labels=" + std::to_string(labels == dataset_size ? 0 : labels),
                               "seed=" + std::to_string(seed), "batch_size=" + std::to_string(batch),
                               "epochs=" + std::to_string(epochs)}) {
    spec.overrides.push_back(o);
  }
  spec.what = std::string(command == "train" ? "supervised" : "fine-tuning") + " on " + std::to_string(used) +
              " labels of " + dataset + " (" + std::to_string(epochs) + " epochs, seed " + std::to_string(seed) + ")";
  return spec;
}

RunSpec Study::supervised(const std::string& dataset, std::int64_t labels, std::int64_t dataset_size,
                          const std::string& corruption, int seed) const {
  RunSpec spec = labelled_run("train", "supervised", dataset, labels, dataset_size, seed);
  spec.overrides.push_back("corruption=" + corruption);
  if (corruption != "none") spec.what += " on images corrupted by " + corruption;
  return spec;
}

RunSpec Study::finetune(const std::string& encoder, const std::string& dataset, std::int64_t labels,
                        std::int64_t dataset_size, int seed) const {
  RunSpec spec = labelled_run("finetune", "finetune", dataset, labels, dataset_size, seed);
  spec.encoder = encoder;
  return spec;
}

RunSpec Study::linear(const std::string& encoder, const std::string& dataset, std::int64_t labels, int seed,
                      const std::string& encoder2) const {
  RunSpec spec;
  spec.command = "linear";
  spec.preset = preset_of("linear");
  spec.overrides = section_overrides(settings_, "linear", true);
  spec.encoder = encoder;
  spec.encoder2 = encoder2;
  for (const std::string& o : {"dataset=" + dataset, "labels=" + std::to_string(labels), "seed=" + std::to_string(seed)}) {
    spec.overrides.push_back(o);
  }
  spec.what = "linear probe on " + (labels ? std::to_string(labels) : std::string("all")) + " labels of " + dataset +
              (encoder2.empty() ? "" : " (two encoders)") + " (seed " + std::to_string(seed) + ")";
  return spec;
}

double top1_of(const Json& result, const std::string& level) {
  if (level.empty()) return result.at("test_top1").get<double>();
  return result.at("test_top1_by_level").at(level).get<double>();
}

// ---- the commands ----

namespace {

const char* const kStudies[] = {"quantity", "domain", "quality", "granularity"};

StudyReport run_named(const std::string& name, Study& study) {
  if (name == "quantity") return run_quantity_study(study);
  if (name == "domain") return run_domain_study(study);
  if (name == "quality") return run_quality_study(study);
  if (name == "granularity") return run_granularity_study(study);
  throw std::invalid_argument("[study] unknown study '" + name + "': expected quantity, domain, quality, granularity or all");
}

std::string now_utc() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return text;
}

// report.md: the findings of every study, then each study's tables and plots.
void write_report(const std::string& out, const Json& record, const std::vector<StudyReport>& reports,
                  const Study& study) {
  std::string text = "# nanossl study report\n\n";
  text += "Preset `" + record.at("preset").get<std::string>() + "`, " + std::to_string(study.seeds()) +
          " seed(s); written " + now_utc() + " on a machine with " +
          std::to_string(std::thread::hardware_concurrency()) + " hardware threads. Runs: " +
          std::to_string(study.runs_done) + " run now, " + std::to_string(study.runs_reused) + " reused, " +
          std::to_string(study.runs_missing) + " not run. The paper: Cole et al., *When Does Contrastive Visual "
          "Representation Learning Work?*, CVPR 2022; its numbers and how each study is scaled down are in "
          "STUDIES.md.\n\n";
  text += "## Findings\n\n| study | the paper's finding | this run | reproduced? |\n|---|---|---|---|\n";
  for (const auto& report : reports) {
    for (const auto& finding : report.findings) {
      text += "| " + finding.study + " | " + finding.claim + " | " + finding.measured + " | " + verdict_text(finding) +
              " |\n";
    }
  }
  text += "\n";
  for (const auto& report : reports) {
    text += "## " + report.name + "\n\n";
    if (record.contains("wall_seconds") && record.at("wall_seconds").contains(report.name)) {
      const double seconds = record.at("wall_seconds").at(report.name).get<double>();
      text += "Wall time of this study on this machine (all its sessions): " +
              (seconds < 120 ? format_number(std::round(seconds)) + " s" : format_number(std::round(seconds / 60)) + " min") +
              ".\n\n";
    }
    text += report.markdown + "\n";
  }
  write_text(out + "/report.md", text);
}

std::vector<std::string> studies_in(const Json& record) {
  std::vector<std::string> names;
  for (const char* name : kStudies) {
    for (const auto& done : record.at("studies")) {
      if (done.get<std::string>() == name) names.push_back(name);
    }
  }
  return names;
}

}  // namespace

int run_study(const StudyOptions& options) {
  const std::string record_path = options.out + "/study.json";
  Json record;
  if (fs::exists(record_path)) {
    record = read_json(record_path);
    if (record.at("preset").get<std::string>() != options.preset) {
      throw std::invalid_argument("[study] " + options.out + " holds a study with preset " +
                                  record.at("preset").get<std::string>() + "; use another --out for preset " +
                                  options.preset);
    }
  } else {
    Json settings = load_preset(options.preset.find('/') == std::string::npos && options.preset.find(".json") == std::string::npos
                                    ? "study-" + options.preset
                                    : options.preset);
    record = {{"preset", options.preset}, {"settings", settings}, {"studies", Json::array()},
              {"wall_seconds", Json::object()}};
  }
  if (options.seeds > 0) record["settings"]["seeds"] = options.seeds;
  std::vector<std::string> names;
  if (options.name == "all") names.assign(std::begin(kStudies), std::end(kStudies));
  else names.push_back(options.name);
  for (const auto& name : names) {
    bool present = false;
    for (const auto& done : record["studies"]) present = present || done.get<std::string>() == name;
    if (!present) record["studies"].push_back(name);
  }
  fs::create_directories(options.out);
  write_text(record_path, record.dump(2));
  pin_presets(options.out, record.at("settings"));

  Study study(options.out, record.at("settings"), /*run_missing=*/true);
  std::vector<StudyReport> reports;
  for (const auto& name : studies_in(record)) {
    const bool asked = std::find(names.begin(), names.end(), name) != names.end();
    if (!asked) {  // studies run earlier in this directory: report them, train nothing
      Study reader(options.out, record.at("settings"), false);
      reports.push_back(run_named(name, reader));
      continue;
    }
    std::printf("[study] %s (preset %s, %d seed(s)) in %s\n", name.c_str(), options.preset.c_str(), study.seeds(),
                options.out.c_str());
    // The wall time is added to study.json after every finished run, so the time of
    // a session that is killed is kept up to its last finished run.
    auto since = std::chrono::steady_clock::now();
    auto account = [&] {
      const auto now = std::chrono::steady_clock::now();
      record["wall_seconds"][name] =
          record["wall_seconds"].value(name, 0.0) + std::chrono::duration<double>(now - since).count();
      since = now;
      write_text(record_path, record.dump(2));
    };
    study.on_run_finished = account;
    reports.push_back(run_named(name, study));
    account();
    study.on_run_finished = nullptr;
  }
  write_report(options.out, record, reports, study);
  std::printf("[study] done: %d runs now, %d reused. Report: %s/report.md\n", study.runs_done, study.runs_reused,
              options.out.c_str());
  return 0;
}

int run_report(const std::string& dir) {
  const Json record = read_json(dir + "/study.json");
  Study study(dir, record.at("settings"), /*run_missing=*/false);
  std::vector<StudyReport> reports;
  for (const auto& name : studies_in(record)) reports.push_back(run_named(name, study));
  write_report(dir, record, reports, study);
  std::printf("report of %d finished runs (%d not finished) written to %s/report.md\n", study.runs_reused,
              study.runs_missing, dir.c_str());
  return 0;
}

}  // namespace nanossl
