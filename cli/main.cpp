// The nanossl command line. Subcommands arrive with the layers that need them:
//   info   what this build and machine offer (CUDA, GEMM kernel, threads)
//   keys   the table of every configuration key, with types and defaults
//   presets  every preset, by command, with what it is for
//   demo   the smallest end-to-end training the engine can run (synthetic data)
//   data   list, stats, inspect and preview datasets
//   train  supervised training from scratch, with checkpoints and --resume
//   predict  logits of every image of a split from a checkpoint (CSV or .npy)
//   pretrain SimCLR pretraining, with a kNN monitor, checkpoints and --resume
//   linear   linear probe on the frozen features of an encoder (or two, concatenated)
//   finetune supervised training starting from a pretrained encoder
//   knn      weighted kNN classification with frozen features
//   study    the paper's four studies (quantity, domain, quality, granularity, all)
//   report   rewrite a study directory's report.md and report.html from its finished runs
//   plot     training curves of runs (loss, lr, accuracy, images/s) as PNGs
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <map>

#include "commands/interrupt.h"
#include "commands/progress.h"
#include "cpu/denormals.h"
#include "commands/commands.h"
#include "cli/print_options.h"

int main(int argc, char** argv) {
  CLI::App app{"nanossl: contrastive self-supervised learning from scratch"};
  app.require_subcommand(1);

  nanossl::DemoOptions demo;
  // Commands without a preset print their resolved options for --print-config
  // (cli/print_options.h): one flag per command, set before its options.
  std::map<CLI::App*, bool> print_options;
  auto with_print = [&](CLI::App* cmd) {
    nanossl::add_print_options(cmd, print_options[cmd]);
    return cmd;
  };
  CLI::App* demo_cmd = with_print(app.add_subcommand("demo", "train a small conv net on synthetic bar images"));
  demo_cmd->add_option("--epochs", demo.epochs, "passes over the training images")->check(CLI::PositiveNumber);
  demo_cmd->add_option("--train", demo.train_images, "training images")->check(CLI::PositiveNumber);
  demo_cmd->add_option("--batch", demo.batch_size, "batch size")->check(CLI::PositiveNumber);
  demo_cmd->add_option("--lr", demo.learning_rate, "SGD learning rate")->check(CLI::PositiveNumber);
  demo_cmd->add_option("--seed", demo.seed, "random seed");
  demo_cmd->add_option("--device", demo.device, "cpu or cuda[:N]");

  CLI::App* info_cmd = with_print(app.add_subcommand("info", "print what this build and machine offer"));
  CLI::App* keys_cmd = with_print(app.add_subcommand("keys", "print the table of every configuration key (docs/config.md)"));
  CLI::App* presets_cmd = with_print(app.add_subcommand("presets", "list the presets, by command, with what each is for"));

  // Commands configured by a preset: --preset, --set, --out, and --resume where they checkpoint.
  auto add_run_options = [](CLI::App* cmd, nanossl::RunOptions& options, const char* preset, const char* out,
                            bool resumable) {
    options.preset = preset;
    options.out = out;
    cmd->add_option("--preset", options.preset, "a name in presets/ or a JSON file")->capture_default_str();
    cmd->add_option("--set", options.overrides, "override a preset value: key.path=value (repeatable)");
    cmd->add_option("--out", options.out, "run directory (config, metrics, results, checkpoints)")->capture_default_str();
    cmd->add_flag("--print-config", options.print_config, "print the resolved configuration (JSON) and exit");
    if (resumable) {
      cmd->add_option("--resume", options.resume, "continue the run in this directory from its last checkpoint");
    }
  };
  nanossl::RunOptions train, pretrain, finetune, linear, knn;
  std::string finetune_encoder, linear_encoder, linear_encoder2, knn_encoder;
  // What evaluation on frozen features accepts (commands/encoders.h, load_encoder).
  const std::string frozen_encoder_help = "a `nanossl pretrain` or `nanossl train` run directory, or random";
  CLI::App* train_cmd = app.add_subcommand("train", "supervised training from scratch");
  add_run_options(train_cmd, train, "train-fashion", "runs/train", true);
  CLI::App* pretrain_cmd = app.add_subcommand("pretrain", "SimCLR pretraining");
  add_run_options(pretrain_cmd, pretrain, "pretrain-fashion", "runs/pretrain", true);
  CLI::App* finetune_cmd = app.add_subcommand("finetune", "fine-tune a pretrained encoder with a new linear head");
  add_run_options(finetune_cmd, finetune, "finetune-fashion", "runs/finetune", true);
  finetune_cmd->add_option("--encoder", finetune_encoder, "a `nanossl pretrain` run directory");
  CLI::App* linear_cmd = app.add_subcommand("linear", "linear probe on frozen encoder features");
  add_run_options(linear_cmd, linear, "linear-fashion", "runs/linear", false);
  linear_cmd->add_option("--encoder", linear_encoder, frozen_encoder_help)->required();
  linear_cmd->add_option("--encoder2", linear_encoder2, "a second encoder whose features are concatenated (same kinds)");
  CLI::App* knn_cmd = app.add_subcommand("knn", "weighted kNN classification on frozen encoder features");
  add_run_options(knn_cmd, knn, "knn-fashion", "runs/knn", false);
  knn_cmd->add_option("--encoder", knn_encoder, frozen_encoder_help)->required();

  nanossl::PredictOptions predict;
  CLI::App* predict_cmd = with_print(app.add_subcommand("predict", "logits of every image of a split, in order"));
  predict_cmd->add_option("--checkpoint", predict.checkpoint, "run directory or checkpoint directory")->required();
  predict_cmd->add_option("--dataset", predict.dataset, "fashion, glyphs, shapes, cifar10:DIR, ...");
  predict_cmd->add_option("--split", predict.split, "train or test");
  predict_cmd->add_option("--out", predict.out, "output file: .csv or .npy");
  predict_cmd->add_option("--device", predict.device, "cpu or cuda[:N]");

  nanossl::StudyOptions study;
  CLI::App* study_cmd = app.add_subcommand("study", "run a study of the paper and write its report");
  study_cmd->add_option("name", study.name, "quantity, domain, quality, granularity or all")
      ->check(CLI::IsMember({"quantity", "domain", "quality", "granularity", "all"}))
      ->capture_default_str();
  study_cmd->add_option("--preset", study.preset, "smoke, quick, paper, or a study preset file")->capture_default_str();
  study_cmd->add_option("--out", study.out, "study directory (runs, tables, plots, report.md)")->capture_default_str();
  study_cmd->add_flag("--print-config", study.print_config, "print the resolved study settings (JSON) and exit");
  study_cmd->add_option("--set", study.overrides, "key=value on the study settings (e.g. method=moco), repeatable");
  study_cmd->add_option("--plan", study.plan, "write the runs as Slurm jobs with dependencies in OUT/plan/ and exit")
      ->check(CLI::IsMember({"slurm"}));
  study_cmd->add_option("--seeds", study.seeds, "repeats with seeds 0..N-1 (default: the preset's)")
      ->check(CLI::NonNegativeNumber);
  std::string report_dir;
  CLI::App* report_cmd = with_print(app.add_subcommand("report", "rewrite a study directory's report.md and report.html from finished runs"));
  report_cmd->add_option("dir", report_dir, "a `nanossl study` output directory")->required();

  nanossl::PlotOptions plot;
  CLI::App* plot_cmd = with_print(app.add_subcommand("plot", "training curves of runs (metrics.csv) as PNGs, a line per run"));
  plot_cmd->add_option("runs", plot.runs, "run directories (train, pretrain, finetune, linear)")->required();
  plot_cmd->add_option("--out", plot.out, "output folder (default: RUN/plots for one run, ./plots for several)");

  nanossl::DataOptions data;
  CLI::App* data_cmd = app.add_subcommand("data", "list, count, inspect and preview datasets");
  data_cmd->require_subcommand(1);
  CLI::App* list_cmd = with_print(data_cmd->add_subcommand("list", "built-in datasets, present or not"));
  CLI::App* stats_cmd = with_print(data_cmd->add_subcommand("stats", "images per class at every level of the hierarchy"));
  stats_cmd->add_option("dataset", data.dataset, "fashion, glyphs, shapes, cifar10:DIR, ...")->required();
  stats_cmd->add_option("--split", data.split, "train or test");
  CLI::App* inspect_cmd = with_print(data_cmd->add_subcommand("inspect", "decode one image or dataset file"));
  inspect_cmd->add_option("file", data.file, "a PNG, JPEG, IDX or CIFAR file")->required();
  CLI::App* preview_cmd = with_print(data_cmd->add_subcommand("preview", "PNG grids of samples, corruptions and SimCLR views"));
  preview_cmd->add_option("dataset", data.dataset, "fashion, glyphs, shapes, cifar10:DIR, ...")->required();
  preview_cmd->add_option("--split", data.split, "train or test");
  preview_cmd->add_option("--out", data.out, "output folder");
  preview_cmd->add_option("--count", data.count, "images in the sample grid")->check(CLI::PositiveNumber);
  preview_cmd->add_option("--seed", data.seed, "seed of the corruptions and views");

  CLI11_PARSE(app, argc, argv);
  nanossl::cpu::set_flush_denormals(true);  // see cpu/denormals.h
  try {
    nanossl::progress_is_live();  // a bad NANOSSL_PROGRESS is refused before any work
    for (const auto& [cmd, print] : print_options) {
      if (cmd->parsed() && print) {
        std::cout << nanossl::resolved_options(*cmd).dump(2) << "\n";
        return 0;
      }
    }
    if (demo_cmd->parsed()) return nanossl::run_demo(demo);
    if (info_cmd->parsed()) return nanossl::run_info();
    if (keys_cmd->parsed()) return nanossl::run_config_keys();
    if (presets_cmd->parsed()) return nanossl::run_list_presets();
    if (train_cmd->parsed()) return nanossl::run_train(train);
    if (pretrain_cmd->parsed()) return nanossl::run_pretrain(pretrain);
    if (finetune_cmd->parsed()) return nanossl::run_finetune(finetune, finetune_encoder);
    if (linear_cmd->parsed()) return nanossl::run_linear(linear, linear_encoder, linear_encoder2);
    if (knn_cmd->parsed()) return nanossl::run_knn(knn, knn_encoder);
    if (predict_cmd->parsed()) return nanossl::run_predict(predict);
    if (study_cmd->parsed()) return nanossl::run_study(study);
    if (report_cmd->parsed()) return nanossl::run_report(report_dir);
    if (plot_cmd->parsed()) return nanossl::run_plot(plot);
    if (list_cmd->parsed()) return nanossl::run_data_list();
    if (stats_cmd->parsed()) return nanossl::run_data_stats(data);
    if (inspect_cmd->parsed()) return nanossl::run_data_inspect(data);
    if (preview_cmd->parsed()) return nanossl::run_data_preview(data);
  } catch (const nanossl::Interrupted& e) {
    nanossl::end_live_line();  // the message on a line of its own, not after a live progress line
    std::cerr << "nanossl: " << e.what() << "\n";
    return 128 + e.signal();  // the shell's convention for a process stopped by a signal
  } catch (const std::exception& e) {
    nanossl::end_live_line();
    std::cerr << "nanossl: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
