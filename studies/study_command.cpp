// `nanossl study` and `nanossl report`: a study directory's record (study.json:
// the preset, its settings, the studies run there and their wall time), the
// command presets it pins, and report.md assembled from every study's part.
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
#include "commands/ssl_methods.h"
#include "studies/cluster_plan.h"
#include "studies/curves.h"
#include "studies/html_report.h"
#include "studies/studies.h"

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

std::string now_utc() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return text;
}

// The finding of `half` (the half-budget pass) that checks the same claim, if any.
const Finding* same_claim(const std::vector<StudyReport>& half, const Finding& finding) {
  for (const auto& report : half) {
    for (const auto& other : report.findings) {
      if (other.study == finding.study && other.claim == finding.claim) return &other;
    }
  }
  return nullptr;
}

// A run directory as a Markdown link to its config.json, relative to the report.
std::string run_link(const std::string& dir) {
  const std::string name = fs::path(dir).filename().string();
  return "[" + name + "](runs/" + name + "/config.json)";
}

// What a run directory's config.json says it trained or evaluated, in a few words:
// "shapes[3000] + jpeg:10, seed 0", "320 labels of shapes, seed 1, from <encoder>".
std::string run_summary(const std::string& command, const Json& config) {
  auto text = [&](const char* key) { return config.contains(key) ? config.at(key).get<std::string>() : std::string(); };
  auto number = [&](const char* key) { return config.contains(key) ? config.at(key).get<std::int64_t>() : 0; };
  std::string summary;
  if (command == "pretrain") {
    summary = text("dataset") + (number("images") > 0 ? "[" + std::to_string(number("images")) + "]" : "");
    if (config.contains("method") && text("method") != "simclr") summary += " (" + method_name(text("method")) + ")";
  } else {
    summary = (number("labels") > 0 ? std::to_string(number("labels")) : std::string("all")) + " labels of " + text("dataset");
  }
  if (!text("corruption").empty() && text("corruption") != "none") summary += " + " + text("corruption");
  summary += ", seed " + std::to_string(number("seed"));
  if (!text("init_encoder").empty()) summary += ", from " + run_link(text("init_encoder"));
  if (!text("encoder").empty()) summary += ", of " + (text("encoder") == "random" ? "a random encoder" : run_link(text("encoder")));
  if (!text("encoder2").empty()) summary += " and " + run_link(text("encoder2"));
  return summary;
}

// The "Runs" section: every run directory of the study, linked to its config,
// with what it was, its score and its wall time.
std::string runs_section(const std::string& out) {
  std::vector<fs::path> dirs;
  if (fs::is_directory(out + "/runs")) {
    for (const auto& entry : fs::directory_iterator(out + "/runs")) {
      if (entry.is_directory()) dirs.push_back(entry.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  Table table;
  table.columns = {"run", "command", "what", "score", "wall time (s)"};
  for (const auto& dir : dirs) {
    const std::string name = dir.filename().string();
    const std::string command = name.substr(0, name.find('-'));
    std::string what = "(no config.json)", score = "not finished", seconds;
    try {
      if (fs::exists(dir / "config.json")) what = run_summary(command, read_json((dir / "config.json").string()));
      if (fs::exists(dir / "result.json")) {
        const Json result = read_json((dir / "result.json").string());
        if (result.contains("test_top1")) score = "test top-1 " + format_points(result["test_top1"].get<double>());
        else if (result.contains("knn_top1")) score = "kNN top-1 " + format_points(result["knn_top1"].get<double>());
        else score = "finished";
        const double s = result.value("seconds", result.value("seconds_this_process", 0.0));
        if (s > 0) seconds = format_number(std::round(s));
      }
    } catch (const std::exception& error) {
      what = std::string("unreadable: ") + error.what();
    }
    table.add({run_link(name), command, what, score, seconds});
  }
  return "## Runs\n\nEvery run in `runs/`, linked to its configuration (the exact settings it ran with); a "
         "run's name is a hash of that configuration, so two studies that need the same run share it.\n\n" +
         table.markdown();
}

// report.md: the findings of every study (and, with the scale trend, their verdicts
// at half the budget), then each study's tables and plots, then the half-budget
// ones, then every run; and report.html, the same as one self-contained page.
void write_report(const std::string& out, const Json& record, const std::vector<StudyReport>& reports,
                  const std::vector<StudyReport>& half, const Study& study, const Study& half_study) {
  std::string text = "# nanossl study report\n\n";
  text += "Preset `" + record.at("preset").get<std::string>() + "`, " + std::to_string(study.seeds()) +
          " seed(s); written " + now_utc() + " on a machine with " +
          std::to_string(std::thread::hardware_concurrency()) + " hardware threads. Runs: " +
          std::to_string(study.runs_done + half_study.runs_done) + " run now, " +
          std::to_string(study.runs_reused + half_study.runs_reused) + " reused, " +
          std::to_string(study.runs_missing + half_study.runs_missing) + " not run. Pretraining method: " + study.method_name() +
          " (`method`, docs/methods.md); the paper's findings are about SimCLR. The paper: Cole et al., *When Does Contrastive Visual "
          "Representation Learning Work?*, CVPR 2022; its numbers and how each study is scaled down are in "
          "docs/protocol.md.\n\n";
  text += "## Findings\n\nA verdict is yes when the 95% interval over seeds of the finding's measure clears its "
          "threshold in the paper's direction (a one-sided paired t-test at 2.5%), no when it clears it the other way, "
          "and inconclusive otherwise; with one seed every verdict is inconclusive. The test column gives, for each "
          "comparison, the mean [95% interval] against the threshold and the p-value (docs/statistics.md).";
  if (!half.empty()) {
    text += " The last column is the scale trend: the same test with every run's steps halved (same seeds, data and "
            "labels; `scale_trend`), so a measure that grows from half to full budget is moving toward the paper's "
            "effect as compute grows, and one that shrinks is not.";
  }
  text += "\n\n";
  Table findings;
  findings.columns = {"study", "the paper's finding", "this run", "test", "reproduced?"};
  if (!half.empty()) findings.columns.push_back("at half the budget");
  for (const auto& report : reports) {
    for (const auto& finding : report.findings) {
      findings.add({finding.study, finding.claim, finding.measured, finding.check.text, verdict_text(finding)});
      if (half.empty()) continue;
      const Finding* at_half = same_claim(half, finding);
      findings.rows.back().push_back(at_half ? verdict_text(*at_half) + ": " + at_half->check.text : "–");
    }
  }
  text += findings.markdown();
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
  if (!half.empty()) {
    text += "## At half the budget\n\nEvery study again with each section's steps halved; its tables and plots are "
            "in half-budget/ beside this report.\n\n";
    for (const auto& report : half) text += "### " + report.name + "\n\n" + report.markdown + "\n";
  }
  text += "\n" + runs_section(out);
  write_text(out + "/report.md", text);
  write_text(out + "/report.html", html_page("nanossl study report: " + out, markdown_to_html(text, out)));
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
