// Typed run configurations: parsing refuses unknown keys and wrong types by name,
// defaults fill what a preset leaves out, overrides reach any key, JSON round-trips,
// and every shipped preset resolves.
#include <filesystem>
#include <map>
#include <string>

#include "commands/presets.h"
#include "commands/run_config.h"
#include "studies/settings.h"
#include "test_util.h"

namespace nanossl {
namespace {

using testing::expect_error;

TEST(RunConfig, MissingKeysTakeTheDefaults) {
  const TrainConfig config = config_from_json<TrainConfig>(Json::parse(R"({"dataset": "shapes:64"})"), "test");
  EXPECT_EQ(config.dataset, "shapes:64");
  EXPECT_EQ(config.model.depth, 18);
  EXPECT_EQ(config.optimizer.name, "sgd");
  EXPECT_EQ(config.loop.batch_size, 128);
  const PretrainConfig pretrain = config_from_json<PretrainConfig>(Json::object(), "test");
  EXPECT_EQ(pretrain.optimizer.name, "lars");
  EXPECT_DOUBLE_EQ(pretrain.schedule.warmup_epochs, 0.5);
  EXPECT_EQ(pretrain.loop.epochs, 5);
}

TEST(RunConfig, UnknownKeysAreRefusedByTheirPath) {
  expect_error([] { config_from_json<TrainConfig>(Json::parse(R"({"epoch": 3})"), "preset x"); },
               {"[config] epoch: unknown key", "epochs", "preset x"});
  expect_error([] { config_from_json<TrainConfig>(Json::parse(R"({"model": {"widht": 8}})"), "preset x"); },
               {"model.widht: unknown key", "keys of model", "width"});
}

TEST(RunConfig, WrongTypesAreRefusedByTheirPath) {
  expect_error([] { config_from_json<TrainConfig>(Json::parse(R"({"model": {"width": "wide"}})"), ""); },
               {"model.width: expected an integer, got \"wide\""});
  expect_error([] { config_from_json<TrainConfig>(Json::parse(R"({"epochs": 2.5})"), ""); },
               {"epochs: expected an integer"});
  expect_error([] { config_from_json<PretrainConfig>(Json::parse(R"({"temperature": true})"), ""); },
               {"temperature: expected a number"});
  expect_error([] { config_from_json<TrainConfig>(Json::parse(R"({"model": 3})"), ""); },
               {"model: expected an object"});
  expect_error([] { config_from_json<StudySettings>(Json::parse(R"({"quantity": {"labels": [1, "x"]}})"), ""); },
               {"quantity.labels: expected a list of integers"});
}

TEST(RunConfig, IntegersAreAcceptedWhereNumbersAre) {
  const PretrainConfig config = config_from_json<PretrainConfig>(Json::parse(R"({"temperature": 1})"), "");
  EXPECT_DOUBLE_EQ(config.temperature, 1.0);
}

TEST(RunConfig, JsonRoundTripsEveryField) {
  TrainConfig config;
  config.dataset = "glyphs:100";
  config.model.width = 8;
  config.optimizer.lr = 0.3;
  config.loop.stop_after_steps = 4;
  const Json json = config_to_json(config);
  EXPECT_EQ(json.at("model").at("width"), 8);
  EXPECT_EQ(json.at("stop_after_steps"), 4);  // the loop's keys sit at the top level
  EXPECT_FALSE(json.contains("loop"));
  EXPECT_EQ(config_to_json(config_from_json<TrainConfig>(json, "")), json);
}

TEST(RunConfig, OverridesReachAnyKeyAndRefuseTyposAndTypes) {
  const TrainConfig config = resolve_config<TrainConfig>("train-smoke", {"model.width=8", "augmentation=none"});
  EXPECT_EQ(config.model.width, 8);
  EXPECT_EQ(config.augmentation, "none");
  EXPECT_EQ(config.dataset, "shapes:320");  // from the preset
  expect_error([] { resolve_config<TrainConfig>("train-smoke", {"model.widht=8"}); },
               {"override 'model.widht=8'", "no such key"});
  expect_error([] { resolve_config<TrainConfig>("train-smoke", {"epochs=many"}); },
               {"override 'epochs=many'", "holds a number, got a string"});
  expect_error([] { resolve_config<TrainConfig>("train-smoke", {"epochs"}); }, {"is not key=value"});
  expect_error([] { resolve_config<TrainConfig>("no-such-preset", {}); }, {"no preset named 'no-such-preset'"});
}

TEST(RunConfig, EveryShippedPresetResolves) {
  int presets = 0;
  for (const auto& entry : std::filesystem::directory_iterator(NANOSSL_SOURCE_DIR "/presets")) {
    const std::string name = entry.path().stem().string(), path = entry.path().string();
    SCOPED_TRACE(path);
    ++presets;
    if (name.rfind("train-", 0) == 0 || name.rfind("finetune-", 0) == 0) resolve_config<TrainConfig>(path, {});
    else if (name.rfind("pretrain-", 0) == 0) resolve_config<PretrainConfig>(path, {});
    else if (name.rfind("linear-", 0) == 0) resolve_config<ProbeConfig>(path, {});
    else if (name.rfind("knn-", 0) == 0) resolve_config<KnnConfig>(path, {});
    else if (name.rfind("study-", 0) == 0) config_from_json<StudySettings>(load_preset(path), path);
    else ADD_FAILURE() << "a preset of no known command: " << path;
  }
  EXPECT_GE(presets, 10);
}

TEST(RunConfig, EveryKeyIsListedWithItsTypeAndDefault) {
  std::map<std::string, ConfigKey> keys;
  for (const ConfigKey& key : config_keys<PretrainConfig>()) keys[key.key] = key;
  ASSERT_TRUE(keys.count("optimizer.lr"));
  EXPECT_EQ(keys["optimizer.lr"].type, "number");
  EXPECT_EQ(keys["optimizer.lr"].default_value, "0.075");
  EXPECT_FALSE(keys["optimizer.lr"].help.empty());
  ASSERT_TRUE(keys.count("epochs"));  // the loop's keys are listed at the top level
  EXPECT_EQ(keys["epochs"].type, "integer");
  EXPECT_EQ(keys["epochs"].default_value, "5");
  for (const auto& [name, key] : keys) EXPECT_EQ(name.rfind("loop.", 0), std::string::npos) << name;
  // the same number of keys as the JSON form has leaves
  std::size_t leaves = 0;
  const Json json = config_to_json(PretrainConfig{});
  for (const auto& [name, value] : json.items()) leaves += value.is_object() ? value.size() : 1;
  EXPECT_EQ(keys.size(), leaves);
}

}  // namespace
}  // namespace nanossl
