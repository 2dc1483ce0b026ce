// Entry points of the nanossl subcommands; each returns the process exit code.
#pragma once
#include <cstdint>
#include <string>

namespace nanossl {

struct DemoOptions {
  int epochs = 4;
  int train_images = 2048;
  int batch_size = 64;
  double learning_rate = 0.1;
  std::uint64_t seed = 1;
  std::string device = "cpu";
};

int run_demo(const DemoOptions& options);
int run_info();

}  // namespace nanossl
