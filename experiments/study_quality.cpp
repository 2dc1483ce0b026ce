// The data-quality study (STUDIES.md, study 3): the pretraining images are
// corrupted (salt-and-pepper, JPEG, resize down and up, downsampling 2x and 4x),
// the evaluation images are clean. SimCLR + linear probe and supervised training
// each lose some accuracy against their clean-pretrained selves; the paper found
// SimCLR loses more under every corruption, and most when resolution is lost.
#include <cmath>
#include <filesystem>
#include <map>

#include "data/registry.h"
#include "experiments/run.h"
#include "experiments/study.h"
#include "experiments/training.h"

namespace nanossl {
StudyReport run_quality_study(Study& study) {
  const Json& s = study.settings().at("quality");
  const std::string dataset = config_string(s, "dataset");
  const std::int64_t size = data::open_dataset(dataset, data::Split::train)->size();
  const std::int64_t images = config_int(s, "images"), labels = config_int(s, "labels");
  std::vector<std::string> corruptions = {"none"};
  for (const auto& c : s.at("corruptions")) corruptions.push_back(c.get<std::string>());

  // accuracy[method][corruption] over seeds; methods "simclr", "supervised"
  std::map<std::string, std::map<std::string, std::vector<double>>> accuracy;
  for (int seed = 0; seed < study.seeds(); ++seed) {
    for (const std::string& corruption : corruptions) {
      if (auto r = study.result(study.supervised(dataset, labels, size, corruption, seed))) {
        accuracy["supervised"][corruption].push_back(top1_of(*r));
      }
      const auto encoder = study.finished_dir(study.pretrain(dataset, images, size, corruption, seed));
      if (!encoder) continue;
      if (auto r = study.result(study.linear(*encoder, dataset, labels, seed))) {
        accuracy["simclr"][corruption].push_back(top1_of(*r));
      }
    }
  }
  auto mean = [&](const std::string& method, const std::string& corruption) {
    const Stat stat = stat_of(accuracy[method][corruption]);
    return stat.empty() ? std::nan("") : stat.mean;
  };
  auto drop = [&](const std::string& method, const std::string& corruption) {
    return mean(method, "none") - mean(method, corruption);
  };

  const std::string dir = study.out() + "/quality";
  std::filesystem::create_directories(dir);
  Table table;
  table.columns = {"pretraining images", "supervised top-1", "supervised drop", "SimCLR top-1", "SimCLR drop"};
  std::vector<std::string> categories;
  std::vector<std::vector<double>> drops(2);
  for (const std::string& corruption : corruptions) {
    table.add({corruption == "none" ? "clean" : corruption, format_stat(stat_of(accuracy["supervised"][corruption])),
               corruption == "none" ? "" : format_points(drop("supervised", corruption)),
               format_stat(stat_of(accuracy["simclr"][corruption])),
               corruption == "none" ? "" : format_points(drop("simclr", corruption))});
    if (corruption == "none") continue;
    categories.push_back(corruption);
    drops[0].push_back(drop("supervised", corruption));
    drops[1].push_back(drop("simclr", corruption));
  }
  table.write_csv(dir + "/drops.csv");
  const bool plotted = bar_plot(dir + "/drops.png", "Drop in clean top-1 when pretraining on corrupted " + dataset,
                                "points lost vs clean pretraining", categories, {"supervised", "SimCLR + linear"}, drops);

  StudyReport report;
  report.name = "quality";
  {
    int worse = 0, known = 0;
    std::string numbers;
    for (std::size_t i = 0; i < categories.size(); ++i) {
      if (std::isnan(drops[0][i]) || std::isnan(drops[1][i])) continue;
      ++known;
      worse += drops[1][i] > drops[0][i];
      numbers += (numbers.empty() ? "" : "; ") + categories[i] + " " + format_points(drops[0][i]) + " / " + format_points(drops[1][i]);
    }
    Finding f{"quality", "SimCLR suffers more than supervised learning under every corruption",
              "drop supervised / SimCLR: " + numbers + " (SimCLR worse in " + std::to_string(worse) + " of " +
                  std::to_string(known) + ")",
              std::nullopt};
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
              complete ? "largest SimCLR drop: " + categories[worst] + " (" + format_points(drops[1][worst]) + " points)" : "–",
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
              "SimCLR drop: salt-and-pepper " + format_points(noise) + ", smallest downsampling drop " +
                  format_points(lowest_resolution_drop),
              std::nullopt};
    if (!std::isnan(noise) && !std::isnan(lowest_resolution_drop)) f.agrees = noise < lowest_resolution_drop;
    report.findings.push_back(f);
  }
  report.markdown =
      "Pretraining images of " + dataset +
      " corrupted (strengths in docs/corruptions.md), evaluation on clean test images: SimCLR + linear probe on clean "
      "labelled images, and supervised training on the corrupted images. Test top-1 (%) and the drop against clean "
      "pretraining, in points. Table: `quality/drops.csv`.\n\n" +
      table.markdown() + "\n" +
      plot_markdown(plotted, "drops per corruption", "quality/drops.png");
  return report;
}

}  // namespace nanossl
