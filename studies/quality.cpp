// The data-quality study (docs/protocol.md, study 3): the pretraining images are
// corrupted (salt-and-pepper, JPEG, resize down and up, downsampling 2x and 4x),
// the evaluation images are clean. SimCLR + linear probe and supervised training
// each lose some accuracy against their clean-pretrained selves; the paper found
// SimCLR loses more under every corruption, and most when resolution is lost.
// Both representations are scored alike: frozen, by a linear probe trained on
// clean labelled images (docs/decisions.md); the supervised network's own
// end-to-end accuracy on clean test images is shown beside it. The probe's labelled
// set (`probe_labels`, default `labels`) can be smaller than the pretraining set:
// at small scale a probe on every label scores a random encoder nearly as well as
// a pretrained one, which leaves a corruption little to take away.
#include <cmath>
#include <map>
#include <optional>

#include "data/corrupt.h"
#include "data/registry.h"
#include "studies/studies.h"

namespace nanossl {
StudyReport run_quality_study(Study& study) {
  const QualitySettings& s = study.settings().quality;
  const std::string& dataset = s.dataset;
  const std::int64_t size = data::open_dataset(dataset, data::Split::train)->size();
  const std::int64_t images = s.images, labels = s.labels, probe_labels = s.probe_labels;
  std::vector<std::string> corruptions = {"none"};
  corruptions.insert(corruptions.end(), s.corruptions.begin(), s.corruptions.end());

  // accuracy[method][corruption][seed]; methods "supervised" (its frozen trunk +
  // linear probe), "end-to-end" (the supervised network itself), "simclr"
  std::map<std::string, std::map<std::string, BySeed>> accuracy;
  auto probe = [&](const std::string& method, const std::string& corruption, const std::optional<std::string>& encoder,
                   int seed) {
    if (!encoder) return;
    if (auto r = study.result(study.linear(*encoder, dataset, probe_labels, seed))) {
      accuracy[method][corruption][seed] = top1_of(*r);
    }
  };
  for (int seed = 0; seed < study.seeds(); ++seed) {
    probe("random", "none", std::string("random"), seed);  // the floor: no pretraining at all
    for (const std::string& corruption : corruptions) {
      const TrainRun supervised = study.supervised(dataset, labels, size, corruption, seed);
      if (auto r = study.result(supervised)) accuracy["end-to-end"][corruption][seed] = top1_of(*r);
      probe("supervised", corruption, study.finished_dir(supervised), seed);
      probe("simclr", corruption, study.finished_dir(study.pretrain(dataset, images, size, corruption, seed)), seed);
    }
  }
  auto mean = [&](const std::string& method, const std::string& corruption) {
    return stat_of(accuracy[method][corruption]).mean_or_nan();
  };
  // Points lost against clean pretraining, per seed, and their mean.
  auto drops_of = [&](const std::string& method, const std::string& corruption) {
    return difference(accuracy[method]["none"], accuracy[method][corruption]);
  };
  auto drop = [&](const std::string& method, const std::string& corruption) {
    return estimate_of(drops_of(method, corruption)).mean;
  };

  const std::string dir = study.output_dir("quality");
  Table table;
  table.columns = {"pretraining images", "supervised + linear top-1", "supervised drop", study.method_name() + " + linear top-1",
                   study.method_name() + " drop", "supervised end-to-end top-1", "end-to-end drop"};
  const std::vector<std::string> methods = {"supervised", "simclr", "end-to-end"};
  std::vector<std::string> categories;
  std::vector<std::vector<double>> drops(methods.size());  // [method][corruption], corruption "none" left out
  for (const std::string& corruption : corruptions) {
    const bool clean = corruption == "none";
    std::vector<std::string> row = {clean ? "clean" : corruption};
    for (const std::string& method : methods) {
      row.push_back(format_stat(stat_of(accuracy[method][corruption])));
      row.push_back(clean ? "" : format_points(drop(method, corruption)));
    }
    table.add(row);
    if (clean) continue;
    categories.push_back(corruption);
    for (std::size_t m = 0; m < methods.size(); ++m) drops[m].push_back(drop(methods[m], corruption));
  }
  table.write_csv(dir + "/drops.csv");
  const bool plotted =
      bar_plot(dir + "/drops.png", "Drop in clean top-1 when pretraining on corrupted " + dataset,
               "points lost vs clean pretraining", categories,
               {"supervised + linear", study.method_name() + " + linear", "supervised end-to-end"}, drops);

  StudyReport report;
  report.name = "quality";
  {
    // The verdict compares drops in points, as the paper does. Beside them, the
    // share of each method's gain over a random encoder that the corruption took:
    // at small scale SimCLR may sit only a few points above that floor, which caps
    // what it can lose in points.
    const double floor = mean("random", "none");
    const double sup_gain = mean("supervised", "none") - floor, ssl_gain = mean("simclr", "none") - floor;
    int worse_share = 0, known = 0;
    std::string numbers, shares;
    std::vector<Check> checks;
    for (std::size_t i = 0; i < categories.size(); ++i) {
      checks.push_back(check_above(categories[i] + " " + study.method_name() + " − supervised drop",
                                   difference(drops_of("simclr", categories[i]), drops_of("supervised", categories[i])),
                                   0.0));
      if (std::isnan(drops[0][i]) || std::isnan(drops[1][i])) continue;
      ++known;
      numbers += (numbers.empty() ? "" : "; ") + categories[i] + " " + format_points(drops[0][i]) + " / " + format_points(drops[1][i]);
      if (std::isnan(floor)) continue;
      const double sup_share = drops[0][i] / sup_gain, ssl_share = drops[1][i] / ssl_gain;
      worse_share += ssl_share > sup_share;
      shares += (shares.empty() ? "" : "; ") + categories[i] + " " + std::to_string(std::lround(100 * sup_share)) +
                "% / " + std::to_string(std::lround(100 * ssl_share)) + "%";
    }
    std::string text = "mean drop supervised / " + study.method_name() + ", both by linear probe: " + numbers;
    if (!shares.empty()) {
      text += ". Share of the gain over a random encoder (" + format_points(floor) + "%) lost: " + shares +
              " (" + study.method_name() + " worse in " + std::to_string(worse_share) + " of " + std::to_string(known) + ")";
    }
    report.findings.push_back(
        {"quality", "SimCLR suffers more than supervised learning under every corruption", text, all_of(checks)});
  }
  // The downsampling factors of the preset ("downsample:F"): the strongest and the
  // mildest, by F (not by the drop measured, which would pick the result it tests).
  std::string strongest_downsampling, mildest_downsampling;
  double strongest_factor = 0.0, mildest_factor = 0.0;
  // The kind and factor of a corruption come from its parser (data/corrupt.h).
  auto is_downsampling = [](const std::string& category) {
    const data::Corruption kind = data::parse_corruption(category).kind;
    return kind == data::Corruption::downsample2 || kind == data::Corruption::downsample4;
  };
  for (const std::string& category : categories) {
    if (!is_downsampling(category)) continue;
    const double factor = data::parse_corruption(category).strength;
    if (strongest_downsampling.empty() || factor > strongest_factor) strongest_downsampling = category, strongest_factor = factor;
    if (mildest_downsampling.empty() || factor < mildest_factor) mildest_downsampling = category, mildest_factor = factor;
  }
  {
    std::vector<Check> checks;
    std::string numbers;
    for (std::size_t i = 0; i < categories.size() && !strongest_downsampling.empty(); ++i) {
      if (is_downsampling(categories[i])) continue;
      checks.push_back(check_above(strongest_downsampling + " − " + categories[i] + " " + study.method_name() + " drop",
                                   difference(drops_of("simclr", strongest_downsampling), drops_of("simclr", categories[i])),
                                   0.0));
      numbers += "; " + categories[i] + " " + format_points(drops[1][i]);
    }
    Finding f{"quality", "Losing resolution (downsampling) hurts SimCLR by far the most",
              strongest_downsampling.empty()
                  ? "no downsampling among the preset's corruptions"
                  : "mean " + study.method_name() + " drop: " + strongest_downsampling + " " +
                        format_points(drop("simclr", strongest_downsampling)) + numbers,
              all_of(checks)};
    if (strongest_downsampling.empty()) f.check.text = "needs a downsample:F corruption and another kind";
    report.findings.push_back(f);
  }
  {
    std::string noise_name;
    for (const std::string& category : categories) {
      if (data::parse_corruption(category).kind == data::Corruption::salt_pepper && noise_name.empty()) noise_name = category;
    }
    Finding f{"quality", "Added high-frequency noise (salt-and-pepper) costs SimCLR little, less than downsampling",
              noise_name.empty() || mildest_downsampling.empty()
                  ? "needs a salt_pepper and a downsample corruption in the preset"
                  : "mean " + study.method_name() + " drop: " + noise_name + " " + format_points(drop("simclr", noise_name)) + ", " +
                        mildest_downsampling + " (the mildest downsampling) " +
                        format_points(drop("simclr", mildest_downsampling)),
              {}};
    if (!noise_name.empty() && !mildest_downsampling.empty()) {
      const BySeed noise = drops_of("simclr", noise_name);
      f.check = all_of({check_below(noise_name + " " + study.method_name() + " drop", noise, kLittlePoints),
                        check_below(noise_name + " − " + mildest_downsampling + " " + study.method_name() + " drop",
                                    difference(noise, drops_of("simclr", mildest_downsampling)), 0.0)});
    }
    report.findings.push_back(f);
  }
  const std::string probe_text =
      (probe_labels > 0 ? std::to_string(probe_labels) + " class-balanced" : std::string("all the")) + " clean labelled images";
  report.markdown =
      "Pretraining images of " + dataset +
      " corrupted (strengths in docs/corruptions.md), evaluation on clean test images. " + study.method_name() +
      " and supervised training each learn from the corrupted images; both are then frozen and scored by a linear probe trained on " +
      probe_text + " (the findings compare these). The same probe on a randomly initialised encoder, the floor "
      "with no pretraining at all, scores " + format_stat(stat_of(accuracy["random"]["none"])) +
      "%. The supervised network's own accuracy on the clean test images (trained end to end on corrupted ones) is the "
      "last pair of columns. Test top-1 (%) and the drop against clean pretraining, in points. Table: "
      "`quality/drops.csv`.\n\n" +
      table_with_plot(table, plotted, "drops per corruption", study.output_link("quality", "drops.png"));
  return report;
}

}  // namespace nanossl
