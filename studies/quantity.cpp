// The data-quantity study (docs/protocol.md, study 1): SimCLR pretrained on nested fixed
// subsets of growing size, evaluated by a linear probe on labelled subsets of
// growing size; against supervised training from scratch on the same labels, and
// fine-tuning of the encoder pretrained on the most images. Every pretraining run
// gets the same number of steps, so a size changes the data, not the compute.
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "data/registry.h"
#include "studies/studies.h"

namespace nanossl {
namespace {

std::string count_text(std::int64_t n) {
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  if (n >= 1000 && n % 100 == 0) return std::to_string(n / 1000) + "." + std::to_string(n % 1000 / 100) + "k";
  return std::to_string(n);
}

}  // namespace

StudyReport run_quantity_study(Study& study) {
  const QuantitySettings& s = study.settings().quantity;
  const std::string& dataset = s.dataset;
  const std::int64_t size = data::open_dataset(dataset, data::Split::train)->size();
  std::vector<std::int64_t> pretrain_sizes = s.pretrain_images;
  std::vector<std::int64_t> label_sizes = s.labels;
  if (pretrain_sizes.empty() || label_sizes.empty()) {
    throw std::invalid_argument("[study quantity] pretrain_images and labels need one size or more");
  }
  for (auto& n : pretrain_sizes) n = std::min(n, size);
  for (auto& n : label_sizes) n = std::min(n, size);
  const std::int64_t largest = pretrain_sizes.back();

  // accuracy[method][labels][seed]; methods: "supervised", "finetune", "linear <P>"
  std::map<std::string, std::map<std::int64_t, BySeed>> accuracy;
  for (int seed = 0; seed < study.seeds(); ++seed) {
    for (std::int64_t labels : label_sizes) {
      if (auto r = study.result(study.supervised(dataset, labels, size, "none", seed))) {
        accuracy["supervised"][labels][seed] = top1_of(*r);
      }
    }
    for (std::int64_t images : pretrain_sizes) {
      const auto encoder = study.finished_dir(study.pretrain(dataset, images == size ? 0 : images, size, "none", seed));
      if (!encoder) continue;
      for (std::int64_t labels : label_sizes) {
        if (auto r = study.result(study.linear(*encoder, dataset, labels == size ? 0 : labels, seed))) {
          accuracy["linear " + std::to_string(images)][labels][seed] = top1_of(*r);
        }
      }
      if (images != largest) continue;
      for (std::int64_t labels : label_sizes) {
        if (auto r = study.result(study.finetune(*encoder, dataset, labels, size, seed))) {
          accuracy["finetune"][labels][seed] = top1_of(*r);
        }
      }
    }
  }
  auto mean = [&](const std::string& method, std::int64_t labels) {
    return stat_of(accuracy[method][labels]).mean_or_nan();
  };

  // ---- the table and the plot ----
  const std::string dir = study.output_dir("quantity");
  Table table;
  table.columns = {"model \\ labels"};
  for (std::int64_t labels : label_sizes) table.columns.push_back(count_text(labels));
  std::vector<std::pair<std::string, std::string>> rows = {{"supervised", "supervised (from scratch)"}};
  for (auto it = pretrain_sizes.rbegin(); it != pretrain_sizes.rend(); ++it) {
    rows.push_back({"linear " + std::to_string(*it), study.method_name() + " " + count_text(*it) + " + linear"});
  }
  rows.push_back({"finetune", study.method_name() + " " + count_text(largest) + " + fine-tune"});
  std::vector<Series> series;
  for (const auto& [method, label] : rows) {
    std::vector<std::string> row = {label};
    Series line{label, {}};
    for (std::int64_t labels : label_sizes) {
      const Stat stat = stat_of(accuracy[method][labels]);
      row.push_back(format_stat(stat));
      if (!stat.empty()) line.points.push_back({static_cast<double>(labels), stat.mean});
    }
    table.add(row);
    series.push_back(line);
  }
  table.write_csv(dir + "/accuracy.csv");
  const bool plotted = line_plot(dir + "/accuracy.png", "Top-1 on " + dataset + " vs labelled images",
                                 "labelled training images", "test top-1 (%)", true, series);

  // ---- the findings ----
  StudyReport report;
  report.name = "quantity";
  const std::int64_t few = label_sizes.front(), all = label_sizes.back();
  auto linear = [&](std::int64_t images) -> std::map<std::int64_t, BySeed>& {
    return accuracy["linear " + std::to_string(images)];
  };
  // The probe's gain from pretraining on `from` images to `to`, per seed: its mean
  // over the label sizes.
  auto probe_gain = [&](std::int64_t from, std::int64_t to) {
    std::vector<BySeed> gains;
    for (std::int64_t labels : label_sizes) gains.push_back(difference(linear(to)[labels], linear(from)[labels]));
    return mean_per_seed(gains);
  };
  auto mean_of = [](const BySeed& values) { return estimate_of(values).mean; };
  if (pretrain_sizes.size() >= 3) {
    const std::int64_t half = pretrain_sizes[pretrain_sizes.size() - 2];
    const std::int64_t smallest = pretrain_sizes.front(), middle = pretrain_sizes[pretrain_sizes.size() / 2];
    const BySeed top = probe_gain(half, largest), bottom = probe_gain(smallest, middle);
    const std::string top_name = count_text(half) + "→" + count_text(largest);
    const std::string bottom_name = count_text(smallest) + "→" + count_text(middle);
    // "Little" is under 2 points (the paper's 500k→1M band, and the domain study's rule); "much" is above it,
    // so a flat curve (both ends near 0) is not the paper's shape even when its small end is the larger.
    report.findings.push_back(
        {"quantity",
         "Doubling the pretraining set at the large end adds little (500k→1M: under 1–2 points), growing it at the "
         "small end adds much (50k→250k: often over 10)",
         top_name + ": " + format_points(mean_of(top)) + " points; " + bottom_name + ": " +
             format_points(mean_of(bottom)) + " points (linear probe, mean over label sizes)",
         all_of({check_below(top_name + " gain", top, kLittlePoints),
                 check_above(bottom_name + " gain", bottom, kLittlePoints)})});
  }
  {
    // "Wide" is above 5 points (the paper's margin at 10k labels is 35); a win by a point or two is not it.
    const BySeed margin = difference(linear(largest)[few], accuracy["supervised"][few]);
    report.findings.push_back(
        {"quantity", "With few labels SimCLR + linear probe beats supervised training from scratch by a wide margin",
         count_text(few) + " labels: " + study.method_name() + " " + format_points(mean("linear " + std::to_string(largest), few)) +
             "% vs supervised " + format_points(mean("supervised", few)) + "% (margin " +
             format_points(mean_of(margin)) + " points)",
         check_above("margin", margin, kWideMarginPoints)});
  }
  {
    const BySeed gap_all = difference(accuracy["finetune"][all], accuracy["supervised"][all]);
    const BySeed gap_few = difference(accuracy["finetune"][few], accuracy["supervised"][few]);
    BySeed narrowing;  // |gap| with few labels minus |gap| with all, per seed
    for (const auto& [seed, few_gap] : gap_few) {
      if (auto it = gap_all.find(seed); it != gap_all.end()) narrowing[seed] = std::abs(few_gap) - std::abs(it->second);
    }
    report.findings.push_back(
        {"quantity",
         "Fine-tuned SimCLR and supervised training converge once labels are plentiful (the gap shrinks to about "
         "a point)",
         count_text(few) + " labels: fine-tune " + format_points(mean("finetune", few)) + "% vs supervised " +
             format_points(mean("supervised", few)) + "%; " + count_text(all) + " labels: " +
             format_points(mean("finetune", all)) + "% vs " + format_points(mean("supervised", all)) + "%",
         all_of({check_within("gap at " + count_text(all) + " labels", gap_all, kConvergedPoints),
                 check_above("narrowing of the absolute gap", narrowing, 0.0)})});
  }

  report.markdown =
      study.method_name() + " pretrained on nested fixed subsets of " + dataset +
      " (the same number of steps for every size), then a linear probe on class-balanced labelled subsets; "
      "supervised training from scratch and fine-tuning of the largest encoder on the same labels. Test top-1 (%), "
      "mean ± std over seeds. Table: `quantity/accuracy.csv`.\n\n" +
      table_with_plot(table, plotted, "accuracy vs labelled images", study.output_link("quantity", "accuracy.png"));
  return report;
}

}  // namespace nanossl
