// Label hierarchies of any depth: validation of every level's map and of nesting,
// and accuracy_by_level scoring fine predictions at each level.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "commands/evaluation.h"
#include "data/dataset.h"

namespace nanossl {
namespace {

using data::LabelHierarchy;
using data::LabelLevel;

// Six species under two levels: "coarse" {mammal, bird} above "order" {felid,
// canid, songbird}.
LabelHierarchy three_levels() {
  LabelHierarchy h;
  h.fine_names = {"lion", "tiger", "wolf", "fox", "robin", "wren"};
  h.levels = {{"coarse", {"mammal", "bird"}, {0, 0, 0, 0, 1, 1}},
              {"order", {"felid", "canid", "songbird"}, {0, 0, 1, 1, 2, 2}}};
  return h;
}

std::string validation_error(const LabelHierarchy& h) {
  try {
    h.validate("zoo");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

void expect_error(const LabelHierarchy& h, const std::vector<std::string>& parts) {
  const std::string message = validation_error(h);
  ASSERT_FALSE(message.empty()) << "accepted";
  EXPECT_NE(message.find("[zoo]"), std::string::npos) << message;
  for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

TEST(LabelHierarchy, ThreeLevelsAreValidAndNamedCoarsestFirst) {
  const LabelHierarchy h = three_levels();
  EXPECT_NO_THROW(h.validate("zoo"));
  EXPECT_EQ(h.level_names(), (std::vector<std::string>{"coarse", "order", "fine"}));
  EXPECT_EQ(h.num_classes("coarse"), 2);
  EXPECT_EQ(h.num_classes("order"), 3);
  EXPECT_EQ(h.num_classes("fine"), 6);
  EXPECT_THROW(h.num_classes("genus"), std::invalid_argument);
  // The two-level accessors read the coarsest level.
  EXPECT_TRUE(h.has_coarse());
  EXPECT_EQ(h.num_coarse(), 2);
  EXPECT_EQ(h.coarse_names()[1], "bird");
  EXPECT_EQ(h.fine_to_coarse()[3], 0);
}

TEST(LabelHierarchy, FineOnlyHasNoCoarseLevel) {
  LabelHierarchy h;
  h.fine_names = {"a", "b"};
  EXPECT_NO_THROW(h.validate("zoo"));
  EXPECT_FALSE(h.has_coarse());
  EXPECT_EQ(h.num_coarse(), 0);
  EXPECT_EQ(h.level_names(), (std::vector<std::string>{"fine"}));
  EXPECT_THROW(h.coarse(), std::logic_error);
}

TEST(LabelHierarchy, RefusesAMapOfTheWrongLengthNamingTheLevel) {
  LabelHierarchy h = three_levels();
  h.levels[1].of_fine.pop_back();
  expect_error(h, {"level 'order'", "maps 5 fine classes, expected 6"});
}

TEST(LabelHierarchy, RefusesAClassOutsideTheLevelNamingTheFineClass) {
  LabelHierarchy h = three_levels();
  h.levels[1].of_fine[4] = 3;
  expect_error(h, {"level 'order'", "fine class 'robin' maps to class 3, outside [0, 3)"});
  h = three_levels();
  h.levels[0].of_fine[0] = -1;
  expect_error(h, {"level 'coarse'", "'lion'"});
}

TEST(LabelHierarchy, RefusesLevelsThatAreNotNested) {
  LabelHierarchy h = three_levels();
  h.levels[1].of_fine = {0, 0, 1, 1, 2, 1};  // canid holds wolf (mammal) and wren (bird)
  expect_error(h, {"level 'order' is not nested in 'coarse'", "'canid'", "'wolf' (in 'mammal')",
                   "'wren' (in 'bird')"});
}

TEST(LabelHierarchy, RefusesBadLevelNames) {
  LabelHierarchy h = three_levels();
  h.levels[1].name = "fine";
  expect_error(h, {"other than 'fine'"});
  h = three_levels();
  h.levels[1].name = "coarse";
  expect_error(h, {"'coarse' appears twice"});
  h = three_levels();
  h.levels[0].name = "kingdom";
  expect_error(h, {"coarsest level", "must be named 'coarse'"});
  h = three_levels();
  h.levels[1].class_names.clear();
  expect_error(h, {"level 'order' has no classes"});
}

TEST(AccuracyByLevel, ScoresHandComputedPredictionsAtEveryLevel) {
  const LabelHierarchy h = three_levels();
  //                         truth     prediction  fine  order  coarse
  const std::vector<std::int64_t> labels = {0, 1, 2, 3, 4, 5, 0, 2};
  const std::vector<std::int64_t> predicted = {
      0,  // lion  -> lion    right  right  right
      0,  // tiger -> lion    wrong  right  right
      3,  // wolf  -> fox     wrong  right  right
      3,  // fox   -> fox     right  right  right
      5,  // robin -> wren    wrong  right  right
      0,  // wren  -> lion    wrong  wrong  wrong
      2,  // lion  -> wolf    wrong  wrong  right
      1,  // wolf  -> tiger   wrong  wrong  right
  };
  const Json by_level = accuracy_by_level(predicted, labels, h);
  ASSERT_EQ(by_level.size(), 3u);
  EXPECT_DOUBLE_EQ(by_level.at("fine").get<double>(), 100.0 * 2 / 8);
  EXPECT_DOUBLE_EQ(by_level.at("order").get<double>(), 100.0 * 5 / 8);
  EXPECT_DOUBLE_EQ(by_level.at("coarse").get<double>(), 100.0 * 7 / 8);
}

TEST(AccuracyByLevel, FineOnlyAndOutOfRangePredictions) {
  LabelHierarchy flat;
  flat.fine_names = {"a", "b"};
  const Json by_level = accuracy_by_level({0, 0}, {0, 1}, flat);
  EXPECT_EQ(by_level.size(), 1u);
  EXPECT_DOUBLE_EQ(by_level.at("fine").get<double>(), 50.0);
  EXPECT_THROW(accuracy_by_level({2}, {0}, flat), std::invalid_argument);
  EXPECT_THROW(accuracy_by_level({}, {}, flat), std::invalid_argument);
}

}  // namespace
}  // namespace nanossl
