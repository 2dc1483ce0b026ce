// The task-granularity study (docs/protocol.md, study 4): classifiers trained on the
// finest labels, their predictions scored at every level of the label hierarchy
// (a prediction is right at the coarse level when it falls in the right coarse
// class). The paper found SimCLR's deficit against supervised training grows with
// granularity: near zero at the coarsest level, about 30 points at species.
#include <cmath>
#include <map>

#include "data/registry.h"
#include "studies/studies.h"

namespace nanossl {
StudyReport run_granularity_study(Study& study) {
  const GranularitySettings& s = study.settings().granularity;
  const std::int64_t labels = s.labels;
  const std::vector<std::string> levels = {"coarse", "fine"};  // coarsest first

  StudyReport report;
  report.name = "granularity";
  const std::string dir = study.output_dir("granularity");
  Table table;
  table.columns = {"dataset", "level", "classes", "supervised", study.method_name() + " + linear", "gap (points)"};
  std::vector<Series> series;
  std::string numbers;
  std::vector<Check> checks;  // per dataset: the gap grows from coarse to fine
  for (const GranularityDataset& entry : s.datasets) {
    const std::string& dataset = entry.name;
    const std::int64_t images = entry.images;
    const data::DatasetPtr train = data::open_dataset(dataset, data::Split::train);
    if (!train->hierarchy().has_coarse()) continue;  // one level: nothing to compare
    // accuracy[method][level][seed]
    std::map<std::string, std::map<std::string, BySeed>> accuracy;
    for (int seed = 0; seed < study.seeds(); ++seed) {
      if (auto r = study.result(study.supervised(dataset, labels, train->size(), "none", seed))) {
        for (const auto& level : levels) accuracy["supervised"][level][seed] = top1_of(*r, level);
      }
      const auto encoder = study.finished_dir(study.pretrain(dataset, images, train->size(), "none", seed));
      if (!encoder) continue;
      if (auto r = study.result(study.linear(*encoder, dataset, labels, seed))) {
        for (const auto& level : levels) accuracy["simclr"][level][seed] = top1_of(*r, level);
      }
    }
    std::map<std::string, double> gap;       // mean supervised − SimCLR per level
    std::map<std::string, BySeed> gap_by_seed;
    Series sup{dataset + " supervised", {}}, ssl{dataset + " " + study.method_name(), {}};
    for (std::size_t l = 0; l < levels.size(); ++l) {
      const std::string& level = levels[l];
      const Stat a = stat_of(accuracy["supervised"][level]), b = stat_of(accuracy["simclr"][level]);
      gap_by_seed[level] = difference(accuracy["supervised"][level], accuracy["simclr"][level]);
      gap[level] = estimate_of(gap_by_seed[level]).mean;
      const std::int64_t classes = level == "fine" ? train->hierarchy().num_fine() : train->hierarchy().num_coarse();
      table.add({dataset, level, std::to_string(classes), format_stat(a), format_stat(b), format_points(gap[level])});
      if (!a.empty()) sup.points.push_back({static_cast<double>(l + 1), a.mean});
      if (!b.empty()) ssl.points.push_back({static_cast<double>(l + 1), b.mean});
    }
    series.push_back(sup);
    series.push_back(ssl);
    numbers += (numbers.empty() ? "" : "; ") + dataset + " " + format_points(gap["coarse"]) + " → " + format_points(gap["fine"]);
    checks.push_back(check_above(dataset + " gap growth coarse → fine",
                                 difference(gap_by_seed["fine"], gap_by_seed["coarse"]), 0.0));
  }
  table.write_csv(dir + "/levels.csv");
  const bool plotted = line_plot(dir + "/levels.png", "Top-1 per level of the label hierarchy", "level",
                                 "test top-1 (%)", false, series, levels);
  report.findings.push_back({"granularity",
                             "The gap between supervised training and SimCLR grows with label granularity (about 0 at "
                             "the coarsest level, about 30 points at the finest)",
                             "mean gap supervised − " + study.method_name() + ", coarse → fine: " + numbers, all_of(checks)});
  report.markdown =
      "Classifiers trained on the fine labels, predictions mapped up the label hierarchy and scored at each level. "
      "Test top-1 (%), mean ± std over seeds; the gap is supervised minus " + study.method_name() + ". Table: "
      "`granularity/levels.csv`.\n\n" +
      table_with_plot(table, plotted, "accuracy per level", "granularity/levels.png");
  return report;
}

}  // namespace nanossl
