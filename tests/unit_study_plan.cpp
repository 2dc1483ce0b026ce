// studies/: what the quick preset plans. Its budget (docs/main-domain.md) rests on
// the studies sharing encoders: the clean shapes encoder at full size is one run
// for the quantity study (its largest), the quality study (clean), the domain
// study (in-domain shapes) and the granularity study. A change that splits it
// (a key set by one driver and not another) would add pretrainings per seed
// without any test failing, so the planned runs are counted here.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "commands/presets.h"
#include "studies/studies.h"
#include "test_util.h"

namespace nanossl {
namespace {

StudySettings quick_settings() { return config_from_json<StudySettings>(load_preset("study-quick"), "study-quick"); }

// Every run the four studies would train in an empty directory, by kind.
std::map<std::string, int> planned_runs(const StudySettings& settings) {
  nanossl::testing::TempDir dir;
  const PlotsOff no_plots;  // a planner's tables are thrown away
  StudyProgress progress;
  const std::string scratch = dir.path + "/.plan";
  for (auto* driver : {run_quantity_study, run_domain_study, run_quality_study, run_granularity_study}) {
    Study full = Study::planner(dir.path, settings, "", progress, scratch);
    driver(full);
    Study half = Study::planner(dir.path, half_budget(settings), "half-budget", progress, scratch);
    driver(half);
  }
  return progress.pending_by_kind();
}

TEST(StudyPlan, QuickPresetSharesTheShapesEncoderBetweenStudies) {
  StudySettings settings = quick_settings();
  settings.seeds = 2;
  const std::map<std::string, int> runs = planned_runs(settings);
  // Per seed: quantity 3 sizes, quality 2 corruptions, domain glyphs and the
  // shapes+glyphs pool; the shapes encoder at full size is shared by all four.
  EXPECT_EQ(runs.at("pretrain"), 2 * 7);
  // Per seed: quantity 4 label sizes (all labels = quality's clean run =
  // granularity's), quality 2 corrupted, domain glyphs at 10 per class (shapes at
  // 10 per class = quantity's 320).
  EXPECT_EQ(runs.at("train"), 2 * 7);
  EXPECT_EQ(runs.at("finetune"), 2 * 4);
  // Per seed: quantity 3 encoders x 4 label sizes; quality the random floor, the 3
  // supervised trunks and the 2 corrupted encoders (the clean one's probe on all
  // labels is quantity's, and granularity's); domain 4 cells of the matrix, 2 pool
  // probes and 2 concatenations, less shapes on shapes (quantity's 320).
  EXPECT_EQ(runs.at("linear"), 2 * 25);
  // The half-budget pass: the same runs at the first seed only (scale_trend_seeds
  // 1), but for those that are the full pass's own: the random floor (it has no
  // budget), and supervised training on all labels (600 steps and 300 are both
  // one epoch of 60,000 images) with the probes of its 3 trunks.
  EXPECT_EQ(runs.at("half-budget pretrain"), 7);
  EXPECT_EQ(runs.at("half-budget train"), 7 - 3);
  EXPECT_EQ(runs.at("half-budget finetune"), 4);
  EXPECT_EQ(runs.at("half-budget linear"), 25 - 1 - 3);
}

TEST(StudyPlan, ScaleTrendSeedsZeroRunsTheHalfBudgetAtEverySeed) {
  StudySettings settings = quick_settings();
  settings.seeds = 2;
  settings.scale_trend_seeds = 0;
  const std::map<std::string, int> runs = planned_runs(settings);
  EXPECT_EQ(runs.at("half-budget pretrain"), runs.at("pretrain"));
  EXPECT_EQ(runs.at("half-budget linear"), runs.at("linear") - 2 * 4);  // as above, at each seed
}

TEST(StudyPlan, DomainHalfSizeAddsOnePretrainingPerDomain) {
  StudySettings settings = quick_settings();
  settings.seeds = 1;
  const int without = planned_runs(settings).at("pretrain");
  settings.domain.half_size = true;
  EXPECT_EQ(planned_runs(settings).at("pretrain"), without + 2);  // shapes and glyphs at 30,000
}

// A pretraining on all of a dataset is one run whether it is asked as 0 or as the size.
TEST(StudyPlan, AllImagesIsOneRunHoweverAsked) {
  nanossl::testing::TempDir dir;
  const Study study(dir.path, quick_settings(), false);
  EXPECT_EQ(study.run_dir(study.pretrain("shapes", 0, 60000, "none", 0)),
            study.run_dir(study.pretrain("shapes", 60000, 60000, "none", 0)));
  EXPECT_NE(study.run_dir(study.pretrain("shapes", 0, 60000, "none", 0)),
            study.run_dir(study.pretrain("shapes", 30000, 60000, "none", 0)));
}

// min_epochs lengthens only the runs whose steps make fewer epochs: all 60,000
// labels (one epoch of 600 steps) train for 3, 320 labels keep their 300 epochs.
TEST(StudyPlan, MinEpochsLengthensOnlyTheLargeLabelledSets) {
  nanossl::testing::TempDir dir;
  StudySettings settings = quick_settings();
  settings.supervised.min_epochs = 3;
  const Study study(dir.path, settings, false);
  EXPECT_EQ(study.supervised("shapes", 60000, 60000, "none", 0).config.loop.epochs, 3);
  EXPECT_EQ(study.supervised("shapes", 320, 60000, "none", 0).config.loop.epochs, 300);
  settings.supervised.min_epochs = 0;
  EXPECT_EQ(Study(dir.path, settings, false).supervised("shapes", 60000, 60000, "none", 0).config.loop.epochs, 1);
}

// precision is semantic (a bf16 run is another run), but its default is left out
// of a run's name, so fp32 runs keep the names they had before the key existed.
TEST(StudyPlan, Bf16IsAnotherRunAndFp32KeepsItsName) {
  nanossl::testing::TempDir dir;
  StudySettings settings = quick_settings();
  const std::string fp32 = Study(dir.path, settings, false).run_dir(Study(dir.path, settings, false).pretrain("shapes", 0, 60000, "none", 0));
  PretrainRun run = Study(dir.path, settings, false).pretrain("shapes", 0, 60000, "none", 0);
  Json without = config_to_json(run.config);
  ASSERT_TRUE(without.contains("precision"));
  run.config.loop.precision = "bf16";
  EXPECT_NE(Study(dir.path, settings, false).run_dir(run), fp32);
}

}  // namespace
}  // namespace nanossl
