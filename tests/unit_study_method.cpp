// studies/: the `method` setting. Every pretraining a study plans takes it; a run's
// name leaves out the keys its method does not read, so a SimCLR run keeps the name
// it had before MoCo and BYOL existed (the hash of its configuration without
// method, moco.* and byol.*), and a moco.* setting does not split SimCLR runs.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "commands/presets.h"
#include "studies/runner.h"
#include "test_util.h"

namespace nanossl {
namespace {

StudySettings smoke_settings() { return config_from_json<StudySettings>(load_preset("study-smoke"), "study-smoke"); }

// The name runner.cpp gave a pretraining before the method keys (and precision) existed.
std::string name_before_methods(const std::string& out, const PretrainRun& run) {
  Json config = config_to_json(run.config);
  for (const char* key : {"// about", "log_every", "checkpoint_every", "workers", "stop_after_steps", "detect_anomaly",
                          "method", "moco", "byol", "precision"}) {
    config.erase(key);
  }
  const std::string key = "pretrain\n" + config.dump() + "\n\n";
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : key) hash = (hash ^ c) * 1099511628211ull;
  char name[32];
  std::snprintf(name, sizeof name, "-%016llx", static_cast<unsigned long long>(hash));
  return out + "/runs/pretrain" + name;
}

TEST(StudyMethod, SimclrRunsKeepTheirNames) {
  nanossl::testing::TempDir dir;
  Study study(dir.path, smoke_settings(), false);
  EXPECT_EQ(study.method(), "simclr");
  EXPECT_EQ(study.method_name(), "SimCLR");
  PretrainRun run = study.pretrain("shapes:320", 80, 320, "none", 0);
  EXPECT_EQ(run.config.method, "simclr");
  EXPECT_EQ(study.run_dir(run), name_before_methods(dir.path, run));
  run.config.moco.queue_size = 256;  // read by MoCo only
  run.config.byol.momentum = 0.9;    // read by BYOL only
  EXPECT_EQ(study.run_dir(run), name_before_methods(dir.path, run));
}

TEST(StudyMethod, EveryPretrainingTakesTheMethod) {
  nanossl::testing::TempDir dir;
  StudySettings settings = smoke_settings();
  const std::string simclr_dir = Study(dir.path, settings, false).run_dir(
      Study(dir.path, settings, false).pretrain("shapes:320", 80, 320, "none", 0));
  settings.method = "moco";
  Study study(dir.path, settings, false);
  EXPECT_EQ(study.method_name(), "MoCo v2");
  PretrainRun run = study.pretrain("shapes:320", 80, 320, "none", 0);
  EXPECT_EQ(run.config.method, "moco");
  EXPECT_NE(run.what.find("MoCo v2 pretraining"), std::string::npos) << run.what;
  const std::string moco_dir = study.run_dir(run);
  EXPECT_NE(moco_dir, simclr_dir);
  run.config.byol.momentum = 0.9;  // not MoCo's: the same run
  EXPECT_EQ(study.run_dir(run), moco_dir);
  run.config.moco.queue_size = 256;  // MoCo's: another run
  EXPECT_NE(study.run_dir(run), moco_dir);
  // The pool and shorter-budget pretrainings of the domain study take it too.
  EXPECT_EQ(study.pretrain("pool:shapes:320+glyphs:320", 160, 640, "none", 1, "shapes:320", 3).config.method, "moco");
  settings.method = "vicreg";
  nanossl::testing::expect_error([&] { Study(dir.path, settings, false).method_name(); }, {"method", "vicreg"});
}

}  // namespace
}  // namespace nanossl
