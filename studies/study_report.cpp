// report.md and report.html of a study directory; see study_report.h.
#include "studies/study_report.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <thread>
#include <vector>

#include "commands/run_directory.h"
#include "commands/ssl_methods.h"
#include "studies/html_report.h"

namespace nanossl {
namespace fs = std::filesystem;

namespace {

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

}  // namespace

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


}  // namespace nanossl
