// Entry points of the nanossl subcommands, as the command line calls them; each
// returns the process exit code. The studies call the typed entry points of
// commands/runs.h instead.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nanossl {

struct DemoOptions {
  int epochs = 4;
  int train_images = 2048;
  int batch_size = 64;
  double learning_rate = 0.1;
  std::uint64_t seed = 1;
  std::string device = "cpu";
};

struct DataOptions {
  std::string dataset = "fashion";
  std::string split = "train";
  std::string file;                    // inspect
  std::string out = "runs/preview";    // preview
  int count = 32;
  std::uint64_t seed = 0;
};

// The options of every command configured by a preset (train, pretrain, finetune,
// linear, knn).
struct RunOptions {
  std::string preset;
  std::vector<std::string> overrides;  // --set key=value
  std::string out;
  std::string resume;                  // a run directory to continue (checkpointed commands)
  bool print_config = false;           // print the resolved configuration and exit
};

struct PredictOptions {
  std::string checkpoint;  // a run directory or one checkpoint directory
  std::string dataset = "fashion";
  std::string split = "test";
  std::string out = "logits.csv";  // .csv or .npy
  std::string device = "cpu";
};

struct StudyOptions {
  std::string name = "all";  // quantity, domain, quality, granularity or all
  std::string preset = "quick";  // smoke, quick, paper (presets/study-*.json) or a file
  std::string out = "runs/study";
  int seeds = 0;  // 0: the preset's
  std::vector<std::string> overrides;  // --set key=value on the study settings (method=moco)
  bool print_config = false;  // print the resolved study settings and exit
  std::string plan;  // "slurm": write the runs as cluster jobs (studies/cluster_plan.h), train nothing
};

struct PlotOptions {
  std::vector<std::string> runs;  // run directories, each with a metrics.csv
  std::string out;                // "": RUN/plots for one run, ./plots for several
};

int run_demo(const DemoOptions& options);
// Training curves of the runs: one PNG per metric, a line per run (cli/plot.cpp).
int run_plot(const PlotOptions& options);
// Runs the named studies (resuming and reusing runs in out) and writes out/report.md.
int run_study(const StudyOptions& options);
// Rewrites dir/report.md from the finished runs of the studies run there.
int run_report(const std::string& dir);
int run_pretrain(const RunOptions& options);
// Supervised training from a pretraining run's encoder (`encoder`: its directory):
// `train` with init_encoder set and the model architecture taken from that run.
int run_finetune(const RunOptions& options, const std::string& encoder);
// Linear probe and kNN on the frozen features of `encoder` (and `encoder2`, concatenated).
int run_linear(const RunOptions& options, const std::string& encoder, const std::string& encoder2);
int run_knn(const RunOptions& options, const std::string& encoder);
int run_predict(const PredictOptions& options);
int run_train(const RunOptions& options);
int run_info();
// Prints the Markdown table of every configuration key (docs/config.md).
int run_config_keys();
// `nanossl presets`: every preset, by command, with what it is for.
int run_list_presets();
int run_data_list();
int run_data_stats(const DataOptions& options);
int run_data_inspect(const DataOptions& options);
int run_data_preview(const DataOptions& options);

}  // namespace nanossl
