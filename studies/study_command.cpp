// `nanossl study` and `nanossl report`: a study directory's record (study.json:
// the preset, its settings, the studies run there and their wall time), the
// command presets it pins, the sessions that train its runs (or plan them as
// cluster jobs), and its report (studies/study_report.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "commands/commands.h"
#include "commands/presets.h"
#include "commands/run_directory.h"
#include "commands/interrupt.h"
#include "commands/run_lock.h"
#include "studies/cluster_plan.h"
#include "studies/curves.h"
#include "studies/studies.h"
#include "studies/study_report.h"

namespace nanossl {
namespace fs = std::filesystem;

namespace {

// Copies each command preset the study uses, resolved (defaults filled in), into
// OUT/presets/ the first time the directory sees it. Runs are named by their
// resolved configuration, so a preset edited later (a better recipe) would
// otherwise orphan every finished run and mix old and new settings in one report;
// a directory keeps the presets it began with, and a new recipe goes in a new --out.
template <class Config>
void pin_preset(const std::string& out, const std::string& preset) {
  const fs::path pinned = pinned_preset(out, preset);
  if (fs::exists(pinned)) return;
  fs::create_directories(pinned.parent_path());
  write_text(pinned.string(), config_to_json(resolve_config<Config>(preset, {})).dump(2));
}

void pin_presets(const std::string& out, const StudySettings& settings) {
  pin_preset<PretrainConfig>(out, settings.pretrain.run.preset);
  pin_preset<TrainConfig>(out, settings.supervised.preset);
  pin_preset<TrainConfig>(out, settings.finetune.preset);
  pin_preset<ProbeConfig>(out, settings.linear.preset);
}

// "quick" -> the preset study-quick; a path stays a path.
std::string study_preset_path(const std::string& preset) {
  const bool is_path = preset.find('/') != std::string::npos || preset.find(".json") != std::string::npos;
  return is_path ? preset : "study-" + preset;
}

// `--set key=value` on the study settings (`method=moco`, `seeds=3`), as for a command's preset.
StudySettings with_overrides(const StudySettings& settings, const std::vector<std::string>& overrides) {
  Json json = config_to_json(settings);
  for (const std::string& assignment : overrides) apply_override(json, assignment);
  return config_from_json<StudySettings>(json, "study settings with --set overrides");
}

StudySettings settings_of(const Json& record) { return config_from_json<StudySettings>(record.at("settings"), "study.json settings"); }


const char* const kStudies[] = {"quantity", "domain", "quality", "granularity"};
// Where the scale trend's half-budget pass writes its tables and plots.
const char* const kHalfBudgetDir = "half-budget";

StudyReport run_named(const std::string& name, Study& study) {
  if (name == "quantity") return run_quantity_study(study);
  if (name == "domain") return run_domain_study(study);
  if (name == "quality") return run_quality_study(study);
  if (name == "granularity") return run_granularity_study(study);
  throw std::invalid_argument("[study] unknown study '" + name + "': expected quantity, domain, quality, granularity or all");
}

// The training curves of every pretraining a study used (OUT/[half-budget/]NAME/
// pretraining-*.png), as the Markdown its report section ends with. A run's
// legend name is its description without the method prefix.
std::string pretraining_curves(Study& study, const std::string& name) {
  if (study.pretrainings.empty()) return "";
  const std::string prefix = study.method_name() + " pretraining on ";
  std::string text = "Pretraining curves of the " + std::to_string(study.pretrainings.size()) + " encoder(s) of this study";
  try {
    std::vector<CurveRun> runs;
    for (const auto& [dir, what] : study.pretrainings) {
      const std::string legend = what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what;
      runs.push_back({legend, read_metrics_csv(dir + "/metrics.csv")});
    }
    const std::vector<std::string> written = plot_curves(runs, study.output_dir(name), "pretraining-");
    text += " (every metric: `" + study.output_link(name, "pretraining-*.png") + "`):\n\n";
    for (const char* metric : {"loss", "knn_top1"}) {
      const std::string file = std::string("pretraining-") + metric + ".png";
      const bool drawn = std::any_of(written.begin(), written.end(),
                                     [&](const std::string& png) { return fs::path(png).filename() == file; });
      if (drawn) text += plot_markdown(true, metric_label(metric), study.output_link(name, file)) + "\n";
    }
  } catch (const std::exception& error) {  // the report is still written, saying why the picture is missing
    text += ": not drawn (" + std::string(error.what()) + ").\n";
  }
  study.pretrainings.clear();
  return text + "\n";
}

// One study's part of the report: its driver's tables and findings, then the
// training curves of the encoders it used.
StudyReport report_of(const std::string& name, Study& study) {
  StudyReport report = run_named(name, study);
  report.markdown += pretraining_curves(study, name);
  return report;
}

// The planning pass (studies/study_progress.h): the asked studies' drivers, at
// both budgets, through planners that train nothing, so that the session can say
// "run 7/42" and give an ETA. Their tables go to OUT/.plan, removed after. If the
// pass fails (the real pass will say why), the runs are numbered without a total.
StudyProgress plan_session(const std::string& out, const StudySettings& settings, const std::vector<std::string>& names,
                           std::vector<PlannedRun>* plan = nullptr) {
  StudyProgress progress;
  const PlotsOff no_plots;  // pictures of tables thrown away: time, and gnuplot's complaints
  const std::string scratch = out + "/.plan";
  fs::remove_all(scratch);
  try {
    for (const auto& name : names) {
      Study full = Study::planner(out, settings, "", progress, scratch);
      full.plan = plan;
      run_named(name, full);
      if (!settings.scale_trend) continue;
      Study half = Study::planner(out, half_budget(settings), kHalfBudgetDir, progress, scratch);
      half.plan = plan;
      run_named(name, half);
    }
    progress.counted = true;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "[study] could not count the runs ahead (%s); numbering them without a total\n", error.what());
  }
  fs::remove_all(scratch);
  return progress;
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
  if (options.print_config) {
    StudySettings settings = with_overrides(
        config_from_json<StudySettings>(load_preset(study_preset_path(options.preset)), options.preset), options.overrides);
    if (options.seeds > 0) settings.seeds = options.seeds;
    std::printf("%s\n", config_to_json(settings).dump(2).c_str());
    return 0;
  }
  const DirectoryLock lock(options.out, "study");  // one study writing OUT at a time
  const InterruptHandlers interrupts;  // SIGINT/SIGTERM: the run in progress checkpoints, then the study stops
  if (fs::exists(record_path)) {
    record = read_json(record_path);
    if (record.at("preset").get<std::string>() != options.preset) {
      throw std::invalid_argument("[study] " + options.out + " holds a study with preset " +
                                  record.at("preset").get<std::string>() + "; use another --out for preset " +
                                  options.preset);
    }
  } else {
    const std::string preset = study_preset_path(options.preset);
    const StudySettings settings = config_from_json<StudySettings>(load_preset(preset), "preset " + preset);
    record = {{"preset", options.preset}, {"settings", config_to_json(with_overrides(settings, options.overrides))},
              {"studies", Json::array()}, {"wall_seconds", Json::object()}};
  }
  // A directory keeps the settings it began with: the same --set again is fine, another is refused.
  const Json asked = config_to_json(with_overrides(settings_of(record), options.overrides));
  if (asked != config_to_json(settings_of(record))) {
    throw std::invalid_argument("[study] " + options.out + " holds a study with other settings than --set asks " +
                                "(it keeps those it began with); use another --out");
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
  write_text(record_path, record.dump(2));
  const StudySettings settings = settings_of(record);
  pin_presets(options.out, settings);
  if (options.plan == "slurm") {  // the runs as cluster jobs; nothing trained here
    std::vector<PlannedRun> plan;
    const StudyProgress planned = plan_session(options.out, settings, names, &plan);
    if (!planned.counted) throw std::runtime_error("[study] the runs could not be planned (see above)");
    const std::string submit = write_slurm_plan(options.out, plan, fs::canonical("/proc/self/exe").string());
    std::printf("[study] %zu runs to train: %s\n[study] wrote %s: run it on the cluster's login node (bash %s); the "
                "last job writes %s/report.md\n",
                plan.size(), planned.pending_text().c_str(), submit.c_str(), submit.c_str(), options.out.c_str());
    return 0;
  }

  Study study(options.out, settings, /*run_missing=*/true);
  Study half(options.out, half_budget(settings), /*run_missing=*/true, kHalfBudgetDir);
  std::vector<StudyReport> reports, half_reports;
  StudyProgress progress = plan_session(options.out, settings, names);
  if (progress.counted) {
    std::printf("[study] %d runs to train or resume in this session", progress.planned_runs());
    if (progress.planned_runs() > 0) std::printf(": %s", progress.pending_text().c_str());
    std::printf("\n");
  }
  study.progress = half.progress = &progress;
  for (const auto& name : studies_in(record)) {
    const bool asked = std::find(names.begin(), names.end(), name) != names.end();
    if (!asked) {  // studies run earlier in this directory: report them, train nothing
      Study reader(options.out, settings, false);
      reports.push_back(report_of(name, reader));
      if (settings.scale_trend) {
        Study half_reader(options.out, half_budget(settings), false, kHalfBudgetDir);
        half_reports.push_back(report_of(name, half_reader));
      }
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
    progress.study = name;
    reports.push_back(report_of(name, study));
    account();
    study.on_run_finished = nullptr;
    if (settings.scale_trend) {  // after the full budget, so an interrupted study has that first
      std::printf("[study] %s at half the budget (scale trend)\n", name.c_str());
      half.on_run_finished = account;
      progress.study = name + ", half budget";
      half_reports.push_back(report_of(name, half));
      account();
      half.on_run_finished = nullptr;
    }
  }
  write_report(options.out, record, reports, half_reports, study, half);
  std::printf("[study] done: %d runs now, %d reused. Report: %s/report.md (and report.html)\n", study.runs_done + half.runs_done,
              study.runs_reused + half.runs_reused, options.out.c_str());
  return 0;
}

int run_report(const std::string& dir) {
  const Json record = read_json(dir + "/study.json");
  const StudySettings settings = settings_of(record);
  Study study(dir, settings, /*run_missing=*/false);
  Study half(dir, half_budget(settings), /*run_missing=*/false, kHalfBudgetDir);
  std::vector<StudyReport> reports, half_reports;
  for (const auto& name : studies_in(record)) {
    reports.push_back(report_of(name, study));
    if (settings.scale_trend) half_reports.push_back(report_of(name, half));
  }
  write_report(dir, record, reports, half_reports, study, half);
  std::printf("report of %d finished runs (%d not finished) written to %s/report.md and report.html\n",
              study.runs_reused + half.runs_reused, study.runs_missing + half.runs_missing, dir.c_str());
  return 0;
}

}  // namespace nanossl
