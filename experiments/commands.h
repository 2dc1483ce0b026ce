// Entry points of the nanossl subcommands; each returns the process exit code.
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

struct TrainOptions {
  std::string preset = "train-fashion";
  std::vector<std::string> overrides;  // --set key=value
  std::string out = "runs/train";
  std::string resume;                  // a run directory to continue
};

struct PredictOptions {
  std::string checkpoint;  // a run directory or one checkpoint directory
  std::string dataset = "fashion";
  std::string split = "test";
  std::string out = "logits.csv";  // .csv or .npy
  std::string device = "cpu";
};

int run_demo(const DemoOptions& options);
int run_predict(const PredictOptions& options);
int run_train(const TrainOptions& options);
int run_info();
int run_data_list();
int run_data_stats(const DataOptions& options);
int run_data_inspect(const DataOptions& options);
int run_data_preview(const DataOptions& options);

}  // namespace nanossl
