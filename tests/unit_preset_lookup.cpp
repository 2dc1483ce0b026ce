// Where named presets come from (commands/presets.h): the installed share dir
// beside the executable first, then the source tree's presets/; an explicit path is
// read as given; an unknown name's error says where it looked. No install needed:
// the lookup is a function of the candidate directories, built here in a temp dir.
#include <filesystem>
#include <string>
#include <vector>

#include "commands/presets.h"
#include "test_util.h"

namespace nanossl {
namespace {

using testing::expect_error;
using testing::TempDir;

TEST(PresetLookup, InstalledShareDirBesideTheExecutableComesFirst) {
  const std::vector<std::string> candidates = preset_dir_candidates("/opt/x/bin/nanossl", "/src/presets");
  ASSERT_EQ(candidates.size(), 2u);
  EXPECT_EQ(candidates[0], "/opt/x/share/nanossl/presets");
  EXPECT_EQ(candidates[1], "/src/presets");
  // An unknown executable (no /proc) leaves only the source tree.
  EXPECT_EQ(preset_dir_candidates("", "/src/presets"), std::vector<std::string>{"/src/presets"});
}

TEST(PresetLookup, TheFirstCandidateThatExistsIsUsed) {
  TempDir tmp;
  const std::string installed = tmp.file("prefix/share/nanossl/presets"), source = tmp.file("src/presets");
  const std::vector<std::string> candidates = preset_dir_candidates(tmp.file("prefix/bin/nanossl"), source);
  std::filesystem::create_directories(source);
  EXPECT_EQ(find_preset_dir(candidates), source);  // a build-tree binary: no share dir beside it
  std::filesystem::create_directories(installed);
  EXPECT_EQ(find_preset_dir(candidates), installed);  // installed: its own copy, even with the source present
  std::filesystem::remove_all(tmp.file("src"));
  std::filesystem::remove_all(tmp.file("prefix"));
  expect_error([&] { find_preset_dir(candidates); },
               {"[config] no presets directory: looked in " + installed + ", then " + source});
}

// This test binary lives in build/tests/: no share dir beside it, so the source
// tree's presets are read, and an unknown name lists both places.
TEST(PresetLookup, TheTestBinaryReadsTheSourceTreeAndNamesWhereItLooked) {
  EXPECT_TRUE(std::filesystem::equivalent(preset_dir(), NANOSSL_SOURCE_DIR "/presets"));
  const std::vector<std::string> candidates = preset_dir_candidates();
  ASSERT_EQ(candidates.size(), 2u);
  EXPECT_NE(candidates[0].find("/share/nanossl/presets"), std::string::npos);
  expect_error([] { load_preset("no-such-preset"); },
               {"no preset named 'no-such-preset'", candidates[0] + ", then " + candidates[1]});
}

TEST(PresetLookup, AnExplicitPathIsReadAsGiven) {
  TempDir tmp;
  const std::string path = tmp.file("mine.json");
  std::filesystem::copy_file(NANOSSL_SOURCE_DIR "/presets/train-smoke.json", path);
  EXPECT_EQ(load_preset(path), load_preset("train-smoke"));
  expect_error([&] { load_preset(tmp.file("missing.json")); }, {"cannot open preset " + tmp.file("missing.json")});
}

}  // namespace
}  // namespace nanossl
