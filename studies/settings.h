// The typed settings of a study preset (presets/study-*.json): the seeds, the
// architecture and device every run shares, the command preset and budget of each
// kind of run, and the sizes of each study. Defaults are the quick preset's; read
// and written like the run configurations (commands/config_fields.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "commands/run_config.h"

namespace nanossl {

// A kind of run: its command preset, optimisation budget and a patch of that
// preset's keys ({"batch_size": 256, "optimizer.lr": 0.3}).
struct RunSection {
  std::string preset;
  std::int64_t steps = 0;
  Json set = Json::object();
  std::int64_t min_epochs = 0;
  template <class F>
  void fields(F& f) {
    f("preset", preset, "the command preset (a name in presets/ or a file)");
    f("steps", steps, "optimizer steps of every such run; epochs follow from the number of images", at_least(1));
    f("set", set, "keys of the command preset changed for the study (dotted keys)");
    f("min_epochs", min_epochs,
      "at least this many epochs, however few `steps` make of a large set (0: the steps alone decide)",
      at_least(0));
  }
};

struct PretrainSection {
  // The quick preset's recipe (docs/main-domain.md): SimCLR's views are 24-px crops
  // of at least 40% of the image, in batches of 256; one channel, so that the domain
  // study's encoders are the other studies' too.
  RunSection run{.preset = "pretrain-fashion",
                 .steps = 1170,
                 .set = {{"batch_size", 256}, {"channels", 1}, {"augment.crop_size", 24}, {"augment.crop_scale_min", 0.4}}};
  std::int64_t knn_checks = 2;
  template <class F>
  void fields(F& f) {
    run.fields(f);
    f("knn_checks", knn_checks, "kNN monitor evaluations per pretraining run; 0: none", at_least(0));
  }
};

struct ProbeSection {
  std::string preset = "linear-fashion";
  Json set = {{"channels", 1}};  // as the domain study's probes, so theirs and the others' are shared
  template <class F>
  void fields(F& f) {
    f("preset", preset, "the linear probe's preset");
    f("set", set, "keys of that preset changed for the study (dotted keys)");
  }
};

struct QuantitySettings {
  // The small end grows 5x (as the paper's 50k->250k), the large end 4x (a harder
  // test than the paper's 2x): 100, 20 and 5 epochs at the pretrain section's steps.
  std::string dataset = "shapes";
  std::vector<std::int64_t> pretrain_images = {3000, 15000, 60000};
  std::vector<std::int64_t> labels = {320, 1280, 5120, 60000};
  template <class F>
  void fields(F& f) {
    f("dataset", dataset, "the dataset of the quantity study");
    f("pretrain_images", pretrain_images, "sizes of the nested pretraining subsets, smallest first", at_least(1));
    f("labels", labels, "sizes of the labelled subsets, smallest first", at_least(1));
  }
};

struct DomainSettings {
  // At the full size of shapes and the pretrain section's steps, so the shapes
  // encoder is the quantity study's largest.
  std::vector<std::string> datasets = {"shapes", "glyphs"};
  std::int64_t images = 60000;
  std::int64_t labels_per_class = 10;
  std::int64_t channels = 1;
  std::int64_t pretrain_steps = 0;
  bool half_size = false;
  template <class F>
  void fields(F& f) {
    f("datasets", datasets, "the domains: each pretrains an encoder and is an evaluation column");
    f("images", images, "pretraining images per encoder (even: pools and halves take half)", at_least(2));
    f("labels_per_class", labels_per_class, "labelled images per class of every probe", at_least(1));
    f("channels", channels, "channels every encoder sees, so grey and colour domains mix", between(1, 3));
    f("pretrain_steps", pretrain_steps, "steps of each pretraining; 0: the pretrain section's", at_least(0));
    f("half_size", half_size, "also pretrain each domain at half of `images` (a row of the pools table; no finding uses it)");
  }
};

struct QualitySettings {
  std::string dataset = "shapes";
  std::int64_t images = 0;
  std::int64_t labels = 0;
  std::int64_t probe_labels = 0;
  std::vector<std::string> corruptions = {"salt_pepper:0.05", "downsample:2"};
  template <class F>
  void fields(F& f) {
    f("dataset", dataset, "the dataset whose pretraining images are corrupted");
    f("images", images, "pretraining images; 0: all", at_least(0));
    f("labels", labels, "labels of the supervised runs; 0: all", at_least(0));
    f("probe_labels", probe_labels, "clean labels of the probes of both methods; 0: all", at_least(0));
    f("corruptions", corruptions, "corruptions of the pretraining images (docs/corruptions.md)");
  }
};

struct GranularityDataset {
  std::string name;
  std::int64_t images = 0;
  template <class F>
  void fields(F& f) {
    f("name", name, "a dataset with a coarse level");
    f("images", images, "pretraining images; 0: all", at_least(0));
  }
};

struct GranularitySettings {
  // shapes has three levels (outline, shape, shape/texture); fashion and glyphs two.
  std::vector<GranularityDataset> datasets = {{"shapes", 0}};
  std::int64_t labels = 0;
  template <class F>
  void fields(F& f) {
    f("datasets", datasets, "datasets with a label hierarchy");
    f("labels", labels, "labelled images of the fine level; 0: all", at_least(0));
  }
};

struct StudySettings {
  std::string about;
  std::int64_t seeds = 3;
  bool scale_trend = true;
  std::int64_t scale_trend_seeds = 1;
  std::int64_t workers = 1;
  std::string device = "cpu";
  std::string method;
  ModelConfig model;
  PretrainSection pretrain;
  RunSection supervised{.preset = "train-fashion", .steps = 600};
  RunSection finetune{.preset = "finetune-fashion", .steps = 300};
  ProbeSection linear;
  QuantitySettings quantity;
  DomainSettings domain;
  QualitySettings quality;
  GranularitySettings granularity;
  template <class F>
  void fields(F& f) {
    f("// about", about, "what the preset is for");
    f("seeds", seeds, "repeats of every run, seeds 0..N-1", at_least(1));
    f("scale_trend", scale_trend,
      "run every study again at half of each section's steps and report each finding at both budgets");
    f("scale_trend_seeds", scale_trend_seeds, "seeds of that second pass, the first N of `seeds`; 0: all of them",
      at_least(0));
    f("workers", workers, "loader threads of every run", between(1, 256));
    f("device", device, "device of every run: cpu or cuda[:N]");
    f("method", method, "method of every pretraining: simclr, moco or byol; empty: the pretrain preset's");
    f("model", model, "the architecture of every run");
    f("pretrain", pretrain, "self-supervised pretraining runs (SimCLR unless method says otherwise)");
    f("supervised", supervised, "supervised runs from scratch");
    f("finetune", finetune, "fine-tuning runs");
    f("linear", linear, "linear probes");
    f("quantity", quantity, "");
    f("domain", domain, "");
    f("quality", quality, "");
    f("granularity", granularity, "");
  }
};

}  // namespace nanossl
