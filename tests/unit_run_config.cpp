// Typed run configurations: parsing refuses unknown keys and wrong types by name,
// defaults fill what a preset leaves out, overrides reach any key, JSON round-trips,
// and every shipped preset resolves.
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "commands/builders.h"
#include "commands/presets.h"
#include "commands/run_config.h"
#include "studies/settings.h"
#include "test_util.h"
#include "toy_dataset.h"

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

// Found while writing fuzz/fuzz_config.cpp: nlohmann's dump() and copy recurse once
// per level, so a preset (or a --set value) of a few hundred KB of nested arrays
// overflowed the stack (SIGSEGV) while its error message was built; a number
// beyond a double (1e400) escaped as a nlohmann exception instead of a [config]
// error. Both are now refused when the text is parsed.
TEST(RunConfig, DeepNestingHugeNumbersAndBadUtf8AreConfigErrorsNotCrashes) {
  const std::size_t depth = 1'000'000;
  const std::string nested = std::string(depth, '[') + std::string(depth, ']');
  expect_error([&] { parse_config_json(R"({"model": )" + nested + "}", "preset x.json"); },
               {"[config] preset x.json: JSON nested deeper than 64 levels"});
  try {
    resolve_config<TrainConfig>("train-smoke", {"model=" + nested});
    ADD_FAILURE() << "no error for a deeply nested override";
  } catch (const std::invalid_argument& e) {  // the override quoted in 100 characters, not 2 MB
    const std::string message = e.what();
    EXPECT_NE(message.find("[config] override 'model=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["), std::string::npos);
    EXPECT_NE(message.find("...': value: JSON nested deeper than 64 levels"), std::string::npos) << message.substr(0, 300);
    EXPECT_LT(message.size(), 300u);
  }
  expect_error([] { parse_config_json(R"({"optimizer": {"lr": 1e400}})", "preset x.json"); },
               {"[config] preset x.json: invalid JSON", "number overflow"});
  expect_error([] { resolve_config<TrainConfig>("train-smoke", {"optimizer.lr=1e400"}); },
               {"[config] override 'optimizer.lr=1e400'", "number overflow"});
  // Found by fuzz_config: a bare word that is not UTF-8 escaped as a nlohmann
  // type_error (and, set on a string key, would have failed writing config.json).
  expect_error([] { resolve_config<TrainConfig>("train-smoke", {"dataset=\x83\xee"}); },
               {"[config] override 'dataset=", "value is not valid UTF-8"});
  // Comments stay allowed in a preset, and 64 levels are still read (and refused for what they are).
  EXPECT_EQ(parse_config_json("// about\n{\"epochs\": 2}", "x").at("epochs"), 2);
  expect_error([] { config_from_json<TrainConfig>(parse_config_json(R"({"model": [[[1]]]})", "x"), "x"); },
               {"model: expected an object, got [[[1]]]"});
}

// A JSON object holding `value` at the dotted path `key` ("model.width" -> {"model": {"width": v}}).
Json at_path(const std::string& key, const Json& value) {
  const std::size_t dot = key.find('.');
  if (dot == std::string::npos) return Json{{key, value}};
  return Json{{key.substr(0, dot), at_path(key.substr(dot + 1), value)}};
}

// For every range-limited key of Config: a value just outside each end is refused
// naming the key, the value and the range; a closed end itself is accepted.
template <class Config>
int check_every_range(const char* type) {
  int checked = 0;
  for (const ConfigKey& key : config_keys<Config>()) {
    if (!key.range.limited()) continue;
    SCOPED_TRACE(std::string(type) + " " + key.key);
    const bool integer = key.type != "number", list = key.type == "list of integers";
    auto as_json = [&](double v) {
      Json value = integer ? Json(static_cast<std::int64_t>(v)) : Json(v);
      return at_path(key.key, list ? Json::array({value}) : value);
    };
    const double step = integer ? 1.0 : 1e-3;
    std::vector<double> outside;
    if (std::isfinite(key.range.min)) outside.push_back(key.range.min_open ? key.range.min : key.range.min - step);
    if (std::isfinite(key.range.max)) outside.push_back(key.range.max + step);
    for (double v : outside) {
      expect_error([&] { config_from_json<Config>(as_json(v), "test"); },
                   {"[config] " + key.key + ": ", "is out of range (" + key.range.text() + ")"});
      ++checked;
    }
    if (std::isfinite(key.range.min) && !key.range.min_open) {
      EXPECT_NO_THROW(config_from_json<Config>(as_json(key.range.min), ""));
    }
    if (std::isfinite(key.range.max)) {
      EXPECT_NO_THROW(config_from_json<Config>(as_json(key.range.max), ""));
    }
  }
  return checked;
}

TEST(RunConfig, EveryRangeIsEnforcedAtBothEnds) {
  EXPECT_GE(check_every_range<TrainConfig>("TrainConfig"), 20);
  EXPECT_GE(check_every_range<PretrainConfig>("PretrainConfig"), 20);
  EXPECT_GE(check_every_range<ProbeConfig>("ProbeConfig"), 8);
  EXPECT_GE(check_every_range<KnnConfig>("KnnConfig"), 3);
  EXPECT_GE(check_every_range<StudySettings>("StudySettings"), 10);
}

TEST(RunConfig, DefaultsAreInsideTheirRanges) {
  // Written out and read back, every default passes its own range check.
  const TrainConfig train;
  const PretrainConfig pretrain;
  const ProbeConfig probe;
  const KnnConfig knn;
  const StudySettings study;
  EXPECT_NO_THROW(config_from_json<TrainConfig>(config_to_json(train), "defaults"));
  EXPECT_NO_THROW(config_from_json<PretrainConfig>(config_to_json(pretrain), "defaults"));
  EXPECT_NO_THROW(config_from_json<ProbeConfig>(config_to_json(probe), "defaults"));
  EXPECT_NO_THROW(config_from_json<KnnConfig>(config_to_json(knn), "defaults"));
  EXPECT_NO_THROW(config_from_json<StudySettings>(config_to_json(study), "defaults"));
}

TEST(RunConfig, AnOutOfRangeOverrideNamesKeyValueAndRange) {
  expect_error([] { resolve_config<TrainConfig>("train-smoke", {"batch_size=0"}); },
               {"batch_size: 0 is out of range (at least 1)"});
  expect_error([] { resolve_config<PretrainConfig>("pretrain-smoke", {"optimizer.lr=-0.1"}); },
               {"optimizer.lr: -0.1 is out of range (above 0)"});
  expect_error([] { resolve_config<PretrainConfig>("pretrain-smoke", {"augment.crop_scale_min=1.5"}); },
               {"crop_scale_min: 1.5 is out of range ((0, 1])"});
}

// Every preset `nanossl presets` lists resolves into the config of its command and
// says what it is for; and it lists every file of presets/.
TEST(RunConfig, EveryShippedPresetResolves) {
  const std::vector<PresetInfo> presets = list_presets();
  for (const PresetInfo& preset : presets) {
    SCOPED_TRACE(preset.path);
    EXPECT_FALSE(preset.about.empty());
    if (preset.command == "train" || preset.command == "finetune") resolve_config<TrainConfig>(preset.path, {});
    else if (preset.command == "pretrain") resolve_config<PretrainConfig>(preset.path, {});
    else if (preset.command == "linear") resolve_config<ProbeConfig>(preset.path, {});
    else if (preset.command == "knn") resolve_config<KnnConfig>(preset.path, {});
    else if (preset.command == "study") config_from_json<StudySettings>(load_preset("study-" + preset.name), preset.path);
    else ADD_FAILURE() << "a preset of no known command: " << preset.command;
  }
  const auto files = std::distance(std::filesystem::directory_iterator(NANOSSL_SOURCE_DIR "/presets"),
                                   std::filesystem::directory_iterator());
  EXPECT_EQ(static_cast<std::ptrdiff_t>(presets.size()), files);
  EXPECT_GE(presets.size(), 10u);
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

TEST(RunConfig, PretrainingViewsTakeTheCropSize) {
  const auto images = testing::toy_dataset("toy", 2, 4, /*channels=*/1, /*side=*/32);
  PretrainConfig config;
  config.loop.batch_size = 4;
  data::LoaderConfig loader = pretraining_loader_config(config, *images, Device::parse("cpu"));
  EXPECT_EQ(loader.out_size, 32);  // 0: the images' own side
  EXPECT_EQ(loader.views, 2);
  EXPECT_EQ(loader.augmentation, data::Augmentation::simclr);
  EXPECT_DOUBLE_EQ(loader.simclr.crop_scale_min, config.augment.crop_scale_min);
  config.augment.crop_size = 24;
  loader = pretraining_loader_config(config, *images, Device::parse("cpu"));
  EXPECT_EQ(loader.out_size, 24);
  // The views really come out at that side.
  data::Loader views(images, loader);
  views.start(0);
  const std::optional<data::Batch> batch = views.next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->images.shape(), (Shape{4, 1, 24, 24}));
  EXPECT_EQ(batch->images2.shape(), (Shape{4, 1, 24, 24}));
  config.augment.blur = "sometimes";
  expect_error([&] { pretraining_loader_config(config, *images, Device::parse("cpu")); }, {"augment.blur", "sometimes"});
}

}  // namespace
}  // namespace nanossl
