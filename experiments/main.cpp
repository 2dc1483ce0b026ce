// The nanossl command line. Subcommands arrive with the layers that need them:
//   info   what this build and machine offer (CUDA, GEMM kernel, threads)
//   demo   the smallest end-to-end training the engine can run (synthetic data)
//   data   list, stats, inspect and preview datasets
//   train  supervised training from scratch, with checkpoints and --resume
//   predict  logits of every image of a split from a checkpoint (CSV or .npy)
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cpu/denormals.h"
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

  nanossl::TrainOptions train;
  CLI::App* train_cmd = app.add_subcommand("train", "supervised training from scratch");
  train_cmd->add_option("--preset", train.preset, "a name in experiments/presets/ or a JSON file");
  train_cmd->add_option("--set", train.overrides, "override a preset value: key.path=value (repeatable)");
  train_cmd->add_option("--out", train.out, "run directory (config, metrics, results, checkpoints)");
  train_cmd->add_option("--resume", train.resume, "continue the run in this directory from its last checkpoint");

  nanossl::PredictOptions predict;
  CLI::App* predict_cmd = app.add_subcommand("predict", "logits of every image of a split, in order");
  predict_cmd->add_option("--checkpoint", predict.checkpoint, "run directory or checkpoint directory")->required();
  predict_cmd->add_option("--dataset", predict.dataset, "fashion, glyphs, shapes, cifar10:DIR, ...");
  predict_cmd->add_option("--split", predict.split, "train or test");
  predict_cmd->add_option("--out", predict.out, "output file: .csv or .npy");
  predict_cmd->add_option("--device", predict.device, "cpu or cuda[:N]");

  nanossl::DataOptions data;
  CLI::App* data_cmd = app.add_subcommand("data", "list, count, inspect and preview datasets");
  data_cmd->require_subcommand(1);
  CLI::App* list_cmd = data_cmd->add_subcommand("list", "built-in datasets, present or not");
  CLI::App* stats_cmd = data_cmd->add_subcommand("stats", "images per fine and coarse class");
  stats_cmd->add_option("dataset", data.dataset, "fashion, glyphs, shapes, cifar10:DIR, ...")->required();
  stats_cmd->add_option("--split", data.split, "train or test");
  CLI::App* inspect_cmd = data_cmd->add_subcommand("inspect", "decode one image or dataset file");
  inspect_cmd->add_option("file", data.file, "a PNG, JPEG, IDX or CIFAR file")->required();
  CLI::App* preview_cmd = data_cmd->add_subcommand("preview", "PNG grids of samples, corruptions and SimCLR views");
  preview_cmd->add_option("dataset", data.dataset, "fashion, glyphs, shapes, cifar10:DIR, ...")->required();
  preview_cmd->add_option("--split", data.split, "train or test");
  preview_cmd->add_option("--out", data.out, "output folder");
  preview_cmd->add_option("--count", data.count, "images in the sample grid")->check(CLI::PositiveNumber);
  preview_cmd->add_option("--seed", data.seed, "seed of the corruptions and views");

  CLI11_PARSE(app, argc, argv);
  nanossl::cpu::set_flush_denormals(true);  // see cpu/denormals.h
  try {
    if (demo_cmd->parsed()) return nanossl::run_demo(demo);
    if (info_cmd->parsed()) return nanossl::run_info();
    if (train_cmd->parsed()) return nanossl::run_train(train);
    if (predict_cmd->parsed()) return nanossl::run_predict(predict);
    if (list_cmd->parsed()) return nanossl::run_data_list();
    if (stats_cmd->parsed()) return nanossl::run_data_stats(data);
    if (inspect_cmd->parsed()) return nanossl::run_data_inspect(data);
    if (preview_cmd->parsed()) return nanossl::run_data_preview(data);
  } catch (const std::exception& e) {
    std::cerr << "nanossl: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
