// The data-domain study (docs/protocol.md, study 2): SimCLR pretrained on each domain
// (fashion, glyphs, shapes, and any user dataset), each encoder probed on every
// domain (the matrix); pools of two and of all domains (half the in-domain size
// from each part, as the paper's 250k per dataset) against in-domain pretraining
// at equal size (and at half size with `half_size`); and the probe on the concatenated features of two
// encoders from different domains. All encoders see images as `channels` channels,
// so grey and colour domains mix.
#include <cmath>
#include <map>

#include "data/registry.h"
#include "studies/studies.h"

namespace nanossl {
namespace {

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : separator) + part;
  return text;
}

}  // namespace

StudyReport run_domain_study(Study& study) {
  const DomainSettings& s = study.settings().domain;
  const std::vector<std::string>& domains = s.datasets;
  const std::int64_t images = s.images, per_class = s.labels_per_class;
  const std::int64_t steps = s.pretrain_steps;  // 0: the pretrain section's
  if (images <= 0 || images % 2 != 0) throw std::invalid_argument("[study domain] images must be a positive even number");
  std::map<std::string, std::int64_t> sizes, labels;
  for (const auto& d : domains) {
    const auto train = data::open_dataset(d, data::Split::train);
    sizes[d] = train->size();
    labels[d] = per_class * train->hierarchy().num_fine();
  }
  // dataset_size: of the domain, or of the whole pool (every part at full size), so
  // that `n` is a subset of it, and a domain at its full size is the encoder the
  // other studies train on it.
  auto pretrain = [&](const std::string& dataset, std::int64_t n, std::int64_t dataset_size, int seed,
                      const std::string& monitor) {
    PretrainRun run = study.pretrain(dataset, n, dataset_size, "none", seed, monitor, steps);
    run.config.channels = s.channels;
    return study.finished_dir(run);
  };
  auto probe = [&](const std::string& encoder, const std::string& dataset, int seed, const std::string& encoder2 = "") {
    ProbeRun run = study.linear(encoder, dataset, labels[dataset], seed, encoder2);
    run.config.eval.channels = s.channels;
    const auto r = study.result(run);
    return r ? top1_of(*r) : std::nan("");
  };
  // Pools: every pair, and all domains when there are more than two.
  std::vector<std::vector<std::string>> pools;
  for (std::size_t a = 0; a < domains.size(); ++a) {
    for (std::size_t b = a + 1; b < domains.size(); ++b) pools.push_back({domains[a], domains[b]});
  }
  if (domains.size() > 2) pools.push_back(domains);

  // acc[row][eval domain][seed]. Rows: "<d>" (pretrained on d at `images`),
  // "supervised", "half <d>", "pool <a+b>", "concat <d>+<other>".
  std::map<std::string, std::map<std::string, BySeed>> acc;
  auto add = [&](int seed, const std::string& row, const std::string& column, double value) {
    if (!std::isnan(value)) acc[row][column][seed] = value;
  };
  for (int seed = 0; seed < study.seeds(); ++seed) {
    std::map<std::string, std::string> full;
    for (const auto& d : domains) {
      if (auto r = study.result(study.supervised(d, labels[d], sizes[d], "none", seed))) add(seed, "supervised", d, top1_of(*r));
      const auto encoder = pretrain(d, images, sizes[d], seed, "");
      if (!encoder) continue;
      full[d] = *encoder;
      for (const auto& e : domains) add(seed, d, e, probe(*encoder, e, seed));
      if (!s.half_size) continue;
      if (const auto half = pretrain(d, images / 2, sizes[d], seed, "")) add(seed, "half " + d, d, probe(*half, d, seed));
    }
    for (const auto& pool : pools) {
      const auto n = static_cast<std::int64_t>(pool.size()) * (images / 2);
      std::int64_t pool_size = 0;
      for (const auto& part : pool) pool_size += sizes[part];
      const auto encoder = pretrain("pool:" + join(pool, "+"), n, pool_size, seed, pool.front());
      if (!encoder) continue;
      for (const auto& e : pool) add(seed, "pool " + join(pool, "+"), e, probe(*encoder, e, seed));
    }
    for (const auto& d : domains) {
      for (const auto& other : domains) {
        if (other == d || !full.count(d) || !full.count(other)) continue;
        add(seed, "concat " + d + "+" + other, d, probe(full[d], d, seed, full[other]));
      }
    }
  }
  auto mean = [&](const std::string& row, const std::string& column) {
    return stat_of(acc[row][column]).mean_or_nan();
  };

  const std::string dir = study.output_dir("domain");
  // ---- the matrix ----
  Table matrix;
  matrix.columns = {"pretrain \\ eval"};
  for (const auto& e : domains) matrix.columns.push_back(e);
  std::vector<std::vector<double>> heat;
  std::vector<std::string> heat_rows;
  for (const auto& d : domains) {
    std::vector<std::string> row = {d};
    heat.emplace_back();
    for (const auto& e : domains) {
      row.push_back(format_stat(stat_of(acc[d][e])));
      heat.back().push_back(mean(d, e));
    }
    matrix.add(row);
    heat_rows.push_back(study.method_name() + " " + d);
  }
  {
    std::vector<std::string> row = {"supervised"};
    heat.emplace_back();
    for (const auto& e : domains) {
      row.push_back(format_stat(stat_of(acc["supervised"][e])));
      heat.back().push_back(mean("supervised", e));
    }
    matrix.add(row);
    heat_rows.push_back("supervised");
  }
  matrix.write_csv(dir + "/matrix.csv");
  const bool plotted = heat_map(dir + "/matrix.png", "Linear probe top-1 (%): pretraining domain x evaluation domain",
                                heat_rows, domains, heat);
  // ---- pools ----
  Table pooled;
  pooled.columns = {"pretraining set", "images"};
  for (const auto& e : domains) pooled.columns.push_back("eval " + e);
  auto pool_row = [&](const std::string& name, const std::string& key_prefix, std::int64_t n, bool in_domain) {
    std::vector<std::string> row = {name, std::to_string(n)};
    for (const auto& e : domains) row.push_back(format_stat(stat_of(acc[in_domain ? key_prefix + e : key_prefix][e])));
    pooled.add(row);
  };
  if (s.half_size) pool_row("in-domain, half size", "half ", images / 2, true);
  pool_row("in-domain, equal size", "", images, true);
  for (const auto& pool : pools) {
    pool_row("pool " + join(pool, " + "), "pool " + join(pool, "+"),
             static_cast<std::int64_t>(pool.size()) * (images / 2), false);
  }
  pooled.write_csv(dir + "/pools.csv");
  // ---- concatenation ----
  Table concat;
  concat.columns = {"eval", "in-domain encoder", "+ encoder of", "concatenated", "gain (points)"};
  std::vector<BySeed> gains;  // per pair, per seed
  for (const auto& d : domains) {
    for (const auto& other : domains) {
      if (other == d) continue;
      const double alone = mean(d, d), both = mean("concat " + d + "+" + other, d);
      concat.add({d, format_points(alone), other, format_points(both), format_points(both - alone)});
      gains.push_back(difference(acc["concat " + d + "+" + other][d], acc[d][d]));
    }
  }
  concat.write_csv(dir + "/concat.csv");

  StudyReport report;
  report.name = "domain";
  {
    // In-domain beats every other pretraining domain, on every evaluation domain:
    // each pair is a paired test, and all must hold.
    std::vector<Check> checks;
    std::vector<std::string> numbers;
    for (const auto& e : domains) {
      double best = -1.0;
      std::string best_row;
      for (const auto& d : domains) {
        const double v = mean(d, e);
        if (!std::isnan(v) && v > best) best = v, best_row = d;
        if (d != e) checks.push_back(check_above(e + ": in-domain − " + d, difference(acc[e][e], acc[d][e]), 0.0));
      }
      numbers.push_back(e + ": in-domain " + format_points(mean(e, e)) + ", best " +
                        (best_row.empty() ? "–" : best_row + " " + format_points(best)));
    }
    report.findings.push_back({"domain", "In-domain pretraining gives the best probe on every evaluation domain",
                               join(numbers, "; "), all_of(checks)});
  }
  {
    // "Does not beat" is tested as: the pool's advantage lies below "little" (a
    // margin is needed: no interval can show an advantage of exactly zero or less).
    std::vector<Check> checks;
    std::vector<std::string> numbers;
    for (const auto& pool : pools) {
      for (const auto& e : pool) {
        const std::string row = "pool " + join(pool, "+");
        checks.push_back(check_below(join(pool, "+") + " − in-domain on " + e, difference(acc[row][e], acc[e][e]),
                                     kLittlePoints));
        numbers.push_back(join(pool, "+") + " on " + e + " " + format_points(mean(row, e)) + " vs " +
                          format_points(mean(e, e)));
      }
    }
    report.findings.push_back(
        {"domain",
         "Pooling other domains into the pretraining set does not beat in-domain data of the same size (a more "
         "diverse set is not a more general representation)",
         join(numbers, "; "), all_of(checks)});
  }
  {
    const BySeed gain = mean_per_seed(gains);
    report.findings.push_back(
        {"domain", "Concatenating the features of two encoders from different domains gains little (they are redundant)",
         "mean gain of the concatenation over the in-domain encoder: " + format_points(estimate_of(gain).mean) +
             " points over " + std::to_string(gains.size()) + " pairs",
         check_below("concatenation gain (mean over pairs)", gain, kLittlePoints)});
  }
  report.markdown =
      study.method_name() + " pretrained on " + std::to_string(images) + " images of each domain (" + join(domains, ", ") +
      "), probed with " + std::to_string(per_class) +
      " labels per class of each domain; supervised is trained on the same labels. Test top-1 (%), mean ± std over "
      "seeds. Tables: `domain/matrix.csv`, `domain/pools.csv`, `domain/concat.csv`.\n\n### Pretraining domain × "
      "evaluation domain\n\n" +
      table_with_plot(matrix, plotted, "domain matrix", study.output_link("domain", "matrix.png")) + "\n" +
      "### Pools against in-domain data\n\nEach pool takes " + std::to_string(images / 2) +
      " images from each of its domains" +
      (s.half_size ? std::string(" (the in-domain half-size set is inside it)") : std::string()) + ".\n\n" + pooled.markdown() +
      "\n### Concatenated representations\n\n" + concat.markdown();
  return report;
}

}  // namespace nanossl
