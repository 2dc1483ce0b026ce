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

  // accuracy[method][corruption] over seeds; methods "supervised" (its frozen
  // trunk + linear probe), "end-to-end" (the supervised network itself), "simclr"
  std::map<std::string, std::map<std::string, std::vector<double>>> accuracy;
  auto probe = [&](const std::string& method, const std::string& corruption, const std::optional<std::string>& encoder,
                   int seed) {
    if (!encoder) return;
    if (auto r = study.result(study.linear(*encoder, dataset, probe_labels, seed))) {
      accuracy[method][corruption].push_back(top1_of(*r));
    }
  };
  for (int seed = 0; seed < study.seeds(); ++seed) {
    probe("random", "none", std::string("random"), seed);  // the floor: no pretraining at all
    for (const std::string& corruption : corruptions) {
      const TrainRun supervised = study.supervised(dataset, labels, size, corruption, seed);
      if (auto r = study.result(supervised)) accuracy["end-to-end"][corruption].push_back(top1_of(*r));
      probe("supervised", corruption, study.finished_dir(supervised), seed);
      probe("simclr", corruption, study.finished_dir(study.pretrain(dataset, images, size, corruption, seed)), seed);
    }
  }
  auto mean = [&](const std::string& method, const std::string& corruption) {
    return stat_of(accuracy[method][corruption]).mean_or_nan();
  };
  auto drop = [&](const std::string& method, const std::string& corruption) {
    return mean(method, "none") - mean(method, corruption);
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
    int worse = 0, known = 0, worse_share = 0;
    std::string numbers, shares;
    for (std::size_t i = 0; i < categories.size(); ++i) {
      if (std::isnan(drops[0][i]) || std::isnan(drops[1][i])) continue;
      ++known;
      worse += drops[1][i] > drops[0][i];
      numbers += (numbers.empty() ? "" : "; ") + categories[i] + " " + format_points(drops[0][i]) + " / " + format_points(drops[1][i]);
      if (std::isnan(floor)) continue;
      const double sup_share = drops[0][i] / sup_gain, ssl_share = drops[1][i] / ssl_gain;
      worse_share += ssl_share > sup_share;
      shares += (shares.empty() ? "" : "; ") + categories[i] + " " + std::to_string(std::lround(100 * sup_share)) +
                "% / " + std::to_string(std::lround(100 * ssl_share)) + "%";
    }
    std::string text = "drop supervised / " + study.method_name() + ", both by linear probe: " + numbers + " (" + study.method_name() + " worse in " +
                       std::to_string(worse) + " of " + std::to_string(known) + ")";
    if (!shares.empty()) {
      text += ". Share of the gain over a random encoder (" + format_points(floor) + "%) lost: " + shares +
              " (" + study.method_name() + " worse in " + std::to_string(worse_share) + " of " + std::to_string(known) + ")";
    }
    Finding f{"quality", "SimCLR suffers more than supervised learning under every corruption", text, std::nullopt};
    if (known == static_cast<int>(categories.size()) && known > 0) f.agrees = worse == known;
    report.findings.push_back(f);
  }
  {
    std::size_t worst = 0;
    bool complete = !categories.empty();
    for (std::size_t i = 0; i < categories.size(); ++i) {
      if (std::isnan(drops[1][i])) complete = false;
      else if (drops[1][i] > drops[1][worst]) worst = i;
    }
    Finding f{"quality", "Losing resolution (downsampling) hurts SimCLR by far the most",
              complete ? "largest " + study.method_name() + " drop: " + categories[worst] + " (" + format_points(drops[1][worst]) + " points)" : "–",
              std::nullopt};
    if (complete) f.agrees = categories[worst].rfind("downsample", 0) == 0;
    report.findings.push_back(f);
  }
  {
    double noise = std::nan(""), lowest_resolution_drop = std::nan("");
    for (std::size_t i = 0; i < categories.size(); ++i) {
      if (categories[i].rfind("salt_pepper", 0) == 0) noise = drops[1][i];
      if (categories[i].rfind("downsample", 0) == 0 &&
          (std::isnan(lowest_resolution_drop) || drops[1][i] < lowest_resolution_drop)) {
        lowest_resolution_drop = drops[1][i];
      }
    }
    Finding f{"quality", "Added high-frequency noise (salt-and-pepper) costs SimCLR little, less than downsampling",
              study.method_name() + " drop: salt-and-pepper " + format_points(noise) + ", smallest downsampling drop " +
                  format_points(lowest_resolution_drop),
              std::nullopt};
    if (!std::isnan(noise) && !std::isnan(lowest_resolution_drop)) f.agrees = noise < lowest_resolution_drop;
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
      table_with_plot(table, plotted, "drops per corruption", "quality/drops.png");
  return report;
}

}  // namespace nanossl
