// The task-granularity study (docs/protocol.md, study 4): classifiers trained on the
// finest labels, their predictions scored at every level of the label hierarchy
// (a prediction is right at a level when it falls in the right class of that
// level), coarsest to finest, as many levels as each dataset has. The paper found
// SimCLR's deficit against supervised training grows with granularity: near zero
// at the coarsest level, about 30 points at species.
#include <algorithm>
#include <cmath>
#include <map>

#include "data/registry.h"
#include "studies/studies.h"

namespace nanossl {
StudyReport run_granularity_study(Study& study) {
  const GranularitySettings& s = study.settings().granularity;
  const std::int64_t labels = s.labels;

  StudyReport report;
  report.name = "granularity";
  const std::string dir = study.output_dir("granularity");
  Table table;
  table.columns = {"dataset", "level", "classes", "supervised", study.method_name() + " + linear", "gap (points)"};
  std::vector<Series> series;
  std::string numbers;
  std::vector<Check> checks;  // per dataset: the gap grows from the coarsest level to the finest
  // The plot's x axis: the coarsest level at 1, "fine" at the right end, levels in
  // between at 2, 3, ... so datasets of different depths share the axis.
  std::vector<data::DatasetPtr> train_sets;
  std::size_t depth = 2;
  for (const GranularityDataset& entry : s.datasets) {
    train_sets.push_back(data::open_dataset(entry.name, data::Split::train));
    depth = std::max(depth, train_sets.back()->hierarchy().level_names().size());
  }
  std::vector<std::string> x_names(depth);
  for (std::size_t d = 0; d < s.datasets.size(); ++d) {
    const std::string& dataset = s.datasets[d].name;
    const std::int64_t images = s.datasets[d].images;
    const data::DatasetPtr& train = train_sets[d];
    if (!train->hierarchy().has_coarse()) continue;  // one level: nothing to compare
    const std::vector<std::string> levels = train->hierarchy().level_names();  // coarsest first, "fine" last
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
    std::string measured;  // "coarse 1.0 → shape 2.5 → fine 4.0"
    for (std::size_t l = 0; l < levels.size(); ++l) {
      const std::string& level = levels[l];
      const Stat a = stat_of(accuracy["supervised"][level]), b = stat_of(accuracy["simclr"][level]);
      gap_by_seed[level] = difference(accuracy["supervised"][level], accuracy["simclr"][level]);
      gap[level] = estimate_of(gap_by_seed[level]).mean;
      table.add({dataset, level, std::to_string(train->hierarchy().num_classes(level)), format_stat(a), format_stat(b),
                 format_points(gap[level])});
      const std::size_t x = l + 1 == levels.size() ? depth : l + 1;
      std::string& x_name = x_names[x - 1];
      if (x_name.empty()) x_name = level;
      else if (("/" + x_name + "/").find("/" + level + "/") == std::string::npos) x_name += "/" + level;
      if (!a.empty()) sup.points.push_back({static_cast<double>(x), a.mean});
      if (!b.empty()) ssl.points.push_back({static_cast<double>(x), b.mean});
      measured += (l == 0 ? "" : " → ") + level + " " + format_points(gap[level]);
    }
    series.push_back(sup);
    series.push_back(ssl);
    numbers += (numbers.empty() ? "" : "; ") + dataset + " " + measured;
    // The test stays between the extremes: finest minus coarsest, per seed.
    const std::string& coarsest = levels.front();
    checks.push_back(check_above(dataset + " gap growth " + coarsest + " → fine",
                                 difference(gap_by_seed["fine"], gap_by_seed[coarsest]), 0.0));
  }
  table.write_csv(dir + "/levels.csv");
  const bool plotted = line_plot(dir + "/levels.png", "Top-1 per level of the label hierarchy", "level",
                                 "test top-1 (%)", false, series, x_names);
  report.findings.push_back({"granularity",
                             "The gap between supervised training and SimCLR grows with label granularity (about 0 at "
                             "the coarsest level, about 30 points at the finest)",
                             "mean gap supervised − " + study.method_name() + " per level, coarsest → finest: " + numbers,
                             all_of(checks)});
  report.markdown =
      "Classifiers trained on the fine labels, predictions mapped up the label hierarchy and scored at each level. "
      "Test top-1 (%), mean ± std over seeds; the gap is supervised minus " + study.method_name() + ". Table: "
      "`granularity/levels.csv`.\n\n" +
      table_with_plot(table, plotted, "accuracy per level", study.output_link("granularity", "levels.png"));
  return report;
}

}  // namespace nanossl
