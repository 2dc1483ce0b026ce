// The study drivers' common ground. A study is a set of runs (pretrain, train,
// finetune, linear, knn), each given by a command, a preset and overrides. A run's
// directory is named by a hash of its resolved configuration, so a run two studies
// need (the clean Fashion-MNIST encoder of the quantity and quality studies) is
// trained once, and a study started again finds its finished runs (result.json
// present) and resumes an interrupted one from its last checkpoint.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "experiments/config.h"
#include "experiments/report.h"

namespace nanossl {

struct RunSpec {
  std::string command;                 // pretrain | train | finetune | linear | knn
  std::string preset;                  // a preset name or file
  std::vector<std::string> overrides;  // key=value, applied in order
  std::string encoder, encoder2;       // finetune/linear/knn: a run directory or "random"
  std::string what;                    // for the log: "SimCLR fashion[7500] seed 0"
};

class Study {
 public:
  // out: the study directory (runs/ inside it is shared by all studies run there).
  // settings: the study preset (experiments/presets/study-*.json). With
  // run_missing false nothing is trained: result() returns only finished runs
  // (what `nanossl report` uses).
  Study(std::string out, Json settings, bool run_missing);

  const Json& settings() const { return settings_; }
  const std::string& out() const { return out_; }
  int seeds() const;
  // The directory of `spec`'s run (it may not exist yet).
  std::string run_dir(const RunSpec& spec) const;
  // result.json of the run, running or resuming it first when needed; nullopt when
  // run_missing is false and the run has not finished.
  std::optional<Json> result(const RunSpec& spec);
  // The run directory of a finished run, running it first when needed (for encoders
  // that later runs load); nullopt as for result().
  std::optional<std::string> finished_dir(const RunSpec& spec);

  // Building blocks the drivers share, from the preset's "pretrain", "supervised",
  // "finetune" and "linear" sections. `steps` of the section fix the optimisation
  // budget; epochs follow from the number of images.
  // steps > 0 overrides the section's budget (a study may pretrain for less).
  RunSpec pretrain(const std::string& dataset, std::int64_t images, std::int64_t dataset_size,
                   const std::string& corruption, int seed, const std::string& knn_dataset = "",
                   std::int64_t steps = 0) const;
  RunSpec supervised(const std::string& dataset, std::int64_t labels, std::int64_t dataset_size,
                     const std::string& corruption_note, int seed) const;
  RunSpec finetune(const std::string& encoder, const std::string& dataset, std::int64_t labels,
                   std::int64_t dataset_size, int seed) const;
  RunSpec linear(const std::string& encoder, const std::string& dataset, std::int64_t labels, int seed,
                 const std::string& encoder2 = "") const;

  // Counts for the summary line.
  int runs_done = 0, runs_reused = 0, runs_missing = 0;
  // Called after every run this study trains (the study's wall-time bookkeeping,
  // so a study killed midway still counts the runs it finished).
  std::function<void()> on_run_finished;

 private:
  // The command preset of a section (pretrain, supervised, finetune, linear): the
  // copy pinned in OUT/presets/ when there is one (see pin_presets), else its name.
  std::string preset_of(const std::string& section) const;

  RunSpec labelled_run(const std::string& command, const std::string& section, const std::string& dataset,
                       std::int64_t labels, std::int64_t dataset_size, int seed) const;

  std::string out_;
  Json settings_;
  bool run_missing_;
};

// What one study contributes to report.md.
struct StudyReport {
  std::string name;
  std::string markdown;  // tables and plots, with the study's own prose
  std::vector<Finding> findings;
};

StudyReport run_quantity_study(Study& study);
StudyReport run_domain_study(Study& study);
StudyReport run_quality_study(Study& study);
StudyReport run_granularity_study(Study& study);

// Test accuracy of a finished run's result.json ("test_top1"), or of one level
// ("fine", "coarse") of "test_top1_by_level".
double top1_of(const Json& result, const std::string& level = "");

}  // namespace nanossl
