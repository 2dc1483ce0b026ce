// The nanossl command line. Subcommands arrive with the layers that need them:
//   info   what this build and machine offer (CUDA, GEMM kernel, threads)
//   demo   the smallest end-to-end training the engine can run (synthetic data)
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "experiments/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"nanossl: contrastive self-supervised learning from scratch"};
  app.require_subcommand(1);

  nanossl::DemoOptions demo;
  CLI::App* demo_cmd = app.add_subcommand("demo", "train a small conv net on synthetic bar images");
  demo_cmd->add_option("--epochs", demo.epochs, "passes over the training images")->check(CLI::PositiveNumber);
  demo_cmd->add_option("--train", demo.train_images, "training images")->check(CLI::PositiveNumber);
  demo_cmd->add_option("--batch", demo.batch_size, "batch size")->check(CLI::PositiveNumber);
  demo_cmd->add_option("--lr", demo.learning_rate, "SGD learning rate")->check(CLI::PositiveNumber);
  demo_cmd->add_option("--seed", demo.seed, "random seed");
  demo_cmd->add_option("--device", demo.device, "cpu or cuda[:N]");

  CLI::App* info_cmd = app.add_subcommand("info", "print what this build and machine offer");

  CLI11_PARSE(app, argc, argv);
  try {
    if (demo_cmd->parsed()) return nanossl::run_demo(demo);
    if (info_cmd->parsed()) return nanossl::run_info();
  } catch (const std::exception& e) {
    std::cerr << "nanossl: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
