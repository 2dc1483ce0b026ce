// The study runner. A study declares its runs (pretrain, train, finetune, linear),
// each a command with a typed configuration; a run's directory is named by a hash
// of its configuration's canonical JSON, so a run two studies need (the clean
// Fashion-MNIST encoder of the quantity and quality studies) is trained once, and
// a study started again finds its finished runs (result.json present) and resumes
// an interrupted one from its last checkpoint.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands/run_config.h"
#include "studies/settings.h"
#include "studies/study_progress.h"

namespace nanossl {

// One run of a study.
template <class Config>
struct StudyRun {
  std::string command;            // pretrain | train | finetune | linear
  Config config;                  // without the encoders, which are named by their run's directory
  std::string encoder, encoder2;  // finetune/linear: a run directory or "random"
  std::string what;               // for the log: "SimCLR pretraining on fashion[7500] ..."
};
// A run a planning pass found to be trained, as a job of its own can start it
// (`nanossl study --plan`, studies/cluster_plan.h): the command, its configuration
// without its encoders, and the run directories of those encoders.
struct PlannedRun {
  std::string dir;      // OUT/runs/<command>-<hash>
  std::string command;  // pretrain | train | finetune | linear
  Json config;
  std::string encoder, encoder2;  // "" or "random": none
};

using PretrainRun = StudyRun<PretrainConfig>;
using TrainRun = StudyRun<TrainConfig>;  // train and finetune
using ProbeRun = StudyRun<ProbeConfig>;

class Study {
 public:
  // out: the study directory (runs/ inside it is shared by all studies run there).
  // With run_missing false nothing is trained: result() returns only finished runs
  // (what `nanossl report` uses).
  // budget_dir: where this study's tables and plots go inside `out` ("" for the
  // preset's budget, "half-budget" for the scale trend's second pass).
  Study(std::string out, StudySettings settings, bool run_missing, std::string budget_dir = "");
  // A study that trains nothing and only counts, for the run numbers and the ETA:
  // every run without a result.json is recorded in `progress`, and finished_dir
  // names its directory all the same, so the runs that need it are counted too.
  // Its tables and plots go to `scratch` (a directory the caller removes), not
  // over the study's own.
  static Study planner(std::string out, StudySettings settings, std::string budget_dir, StudyProgress& progress,
                       std::string scratch);

  const StudySettings& settings() const { return settings_; }
  const std::string& out() const { return out_; }
  int seeds() const { return static_cast<int>(settings_.seeds); }
  // The pretraining method of every pretrain run ("simclr", "moco", "byol") and its
  // name in tables and findings ("SimCLR", "MoCo v2", "BYOL").
  std::string method() const;
  std::string method_name() const;
  // OUT/[budget_dir/]<name>, created: where a study writes its tables and plots.
  std::string output_dir(const std::string& name) const;
  // "[budget_dir/]<name>/<file>": a file of output_dir(name) as report.md links it.
  std::string output_link(const std::string& name, const std::string& file) const;
  // The directory of a run (it may not exist yet).
  template <class Config>
  std::string run_dir(const StudyRun<Config>& run) const;
  // result.json of the run, running or resuming it first when needed; nullopt when
  // run_missing is false and the run has not finished.
  template <class Config>
  std::optional<Json> result(const StudyRun<Config>& run);
  // The directory of a finished run, running it first when needed (for encoders
  // that later runs load); nullopt as for result().
  template <class Config>
  std::optional<std::string> finished_dir(const StudyRun<Config>& run);

  // The runs the drivers share, from the preset's sections. A section's `steps` fix
  // the optimisation budget; epochs follow from the number of images. `steps` > 0
  // overrides the pretrain section's budget (a study may pretrain for less).
  PretrainRun pretrain(const std::string& dataset, std::int64_t images, std::int64_t dataset_size,
                       const std::string& corruption, int seed, const std::string& knn_dataset = "",
                       std::int64_t steps = 0) const;
  TrainRun supervised(const std::string& dataset, std::int64_t labels, std::int64_t dataset_size,
                      const std::string& corruption, int seed) const;
  TrainRun finetune(const std::string& encoder, const std::string& dataset, std::int64_t labels,
                    std::int64_t dataset_size, int seed) const;
  ProbeRun linear(const std::string& encoder, const std::string& dataset, std::int64_t labels, int seed,
                  const std::string& encoder2 = "") const;

  // Every pretraining this study has asked for and found finished (run or reused),
  // in order: (directory, what) for its training curves; cleared by the caller.
  std::vector<std::pair<std::string, std::string>> pretrainings;

  // A planner appends every run it finds to be trained here, when set, encoders
  // before the runs that read them, each once.
  std::vector<PlannedRun>* plan = nullptr;

  // Counts for the summary line.
  int runs_done = 0, runs_reused = 0, runs_missing = 0;
  // Called after every run this study trains (the study's wall-time bookkeeping,
  // so a study killed midway still counts the runs it finished).
  std::function<void()> on_run_finished;
  // When set, each run this study trains is announced as "run 7/42 (quantity),
  // study ETA ..." and timed into it.
  StudyProgress* progress = nullptr;

 private:
  // The command preset of a section: the copy pinned in OUT/presets/ when there is
  // one (see pin_presets in study_command.cpp), else its name.
  std::string preset_of(const std::string& preset) const;
  // A section's command preset with the section's patch applied.
  template <class Config>
  Config section_config(const std::string& preset, const Json& patch) const;
  TrainRun labelled_run(const std::string& command, const RunSection& section, const std::string& dataset,
                        std::int64_t labels, std::int64_t dataset_size, int seed) const;
  // Trains a finished pretrain or train run again when its result was kept without
  // its weights (scripts/keep_results.sh) and an evaluation about to run needs them;
  // a planner counts it. Nothing for "", "random" or a run with checkpoints.
  void restore_weights(const std::string& dir);
  // Appends a run to `plan` (a planner's), unless it is there already.
  void add_to_plan(PlannedRun run);
  // The shared bookkeeping of result(): reuse, resume or run (`execute(dir, resume)`).
  std::optional<Json> result_in(const std::string& dir, const std::string& command, const std::string& what,
                                const std::function<void(const std::string&, bool)>& execute);

  std::string out_;
  StudySettings settings_;
  bool run_missing_;
  std::string budget_dir_;
  bool planning_ = false;  // a planner(): `progress` records the runs it would train
  std::string scratch_;    // a planner's output directory
};

// The settings with every section's steps halved (at least one step each): the
// second pass of the scale trend, on the same data and labelled subsets and the
// first `scale_trend_seeds` seeds.
StudySettings half_budget(StudySettings settings);

// OUT/presets/NAME.json: the copy of a command preset a study directory runs with.
std::string pinned_preset(const std::string& out, const std::string& preset);

// Test accuracy of a finished run's result.json ("test_top1"), or of one level
// ("fine", "coarse") of "test_top1_by_level".
double top1_of(const Json& result, const std::string& level = "");
// Epochs that give about `steps` optimizer steps over `images` images in batches of `batch`.
std::int64_t epochs_for(std::int64_t steps, std::int64_t batch, std::int64_t images);

}  // namespace nanossl
