// Nested fixed subsets, class-balanced and labeled subsets, pools of domains and the
// coarse-label view: nesting, determinism, balance, and the errors they throw.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "data/domain_pool.h"
#include "data/subset.h"
#include "toy_dataset.h"

namespace nanossl::data {
namespace {

using testing::toy_dataset;

bool contains_all(const std::vector<std::int64_t>& outer, const std::vector<std::int64_t>& inner) {
  return std::includes(outer.begin(), outer.end(), inner.begin(), inner.end());  // both sorted
}

std::map<std::int64_t, std::int64_t> class_counts(const Dataset& base, const std::vector<std::int64_t>& subset) {
  std::map<std::int64_t, std::int64_t> counts;
  for (const std::int64_t i : subset) ++counts[base.label(i)];
  return counts;
}

template <typename Error, typename Body>
std::string message_of(Body body) {
  try {
    body();
  } catch (const Error& error) {
    return error.what();
  }
  ADD_FAILURE() << "no exception thrown";
  return "";
}

TEST(NestedSubsets, EachSubsetContainsThePreviousAndHasItsSize) {
  const auto base = toy_dataset("toy", 10, 100);
  for (const bool balanced : {false, true}) {
    const auto subsets = nested_subsets(*base, {50, 125, 250, 500, 1000}, 7, balanced);
    ASSERT_EQ(subsets.size(), 5u);
    const std::vector<std::int64_t> sizes = {50, 125, 250, 500, 1000};
    for (std::size_t k = 0; k < subsets.size(); ++k) {
      EXPECT_EQ(static_cast<std::int64_t>(subsets[k].size()), sizes[k]);
      EXPECT_TRUE(std::is_sorted(subsets[k].begin(), subsets[k].end()));
      EXPECT_EQ(std::set<std::int64_t>(subsets[k].begin(), subsets[k].end()).size(), subsets[k].size());
      EXPECT_GE(subsets[k].front(), 0);
      EXPECT_LT(subsets[k].back(), base->size());
      if (k > 0) {
        EXPECT_TRUE(contains_all(subsets[k], subsets[k - 1])) << "subset " << k << " balanced " << balanced;
      }
    }
  }
}

TEST(NestedSubsets, SameSeedSameImagesDifferentSeedDifferentImages) {
  const auto base = toy_dataset("toy", 10, 100);
  for (const bool balanced : {false, true}) {
    const auto a = nested_subsets(*base, {100, 300}, 11, balanced);
    const auto b = nested_subsets(*base, {100, 300}, 11, balanced);
    const auto c = nested_subsets(*base, {100, 300}, 12, balanced);
    EXPECT_EQ(a, b);
    EXPECT_NE(a[0], c[0]);
    EXPECT_NE(a[1], c[1]);
  }
}

TEST(NestedSubsets, ASubsetDoesNotDependOnTheOtherSizesAskedFor) {
  const auto base = toy_dataset("toy", 10, 100);
  for (const bool balanced : {false, true}) {
    const auto alone = nested_subsets(*base, {250}, 3, balanced);
    const auto with_others = nested_subsets(*base, {40, 250, 900}, 3, balanced);
    EXPECT_EQ(alone[0], with_others[1]);
  }
}

TEST(NestedSubsets, RandomSubsetIsNotBiasedTowardsLowIndices) {
  const auto base = toy_dataset("toy", 10, 100);
  const auto subset = nested_subsets(*base, {500}, 5, false)[0];
  const auto low = std::count_if(subset.begin(), subset.end(), [](std::int64_t i) { return i < 500; });
  EXPECT_GT(low, 200);
  EXPECT_LT(low, 300);
}

TEST(NestedSubsets, ClassBalanceIsExactWhereDivisible) {
  const auto base = toy_dataset("toy", 10, 100);
  const auto subsets = nested_subsets(*base, {50, 250, 1000}, 9, true);
  const std::vector<std::int64_t> per_class = {5, 25, 100};
  for (std::size_t k = 0; k < subsets.size(); ++k) {
    const auto counts = class_counts(*base, subsets[k]);
    ASSERT_EQ(counts.size(), 10u);
    for (const auto& [label, count] : counts) EXPECT_EQ(count, per_class[k]) << "class " << label;
  }
}

TEST(NestedSubsets, RemaindersAreSpreadOneEachAndStillNest) {
  const auto base = toy_dataset("toy", 10, 100);
  const auto subsets = nested_subsets(*base, {53, 57, 59}, 4, true);
  for (std::size_t k = 0; k < subsets.size(); ++k) {
    const auto counts = class_counts(*base, subsets[k]);
    ASSERT_EQ(counts.size(), 10u);
    std::int64_t with_extra = 0;
    for (const auto& [label, count] : counts) {
      EXPECT_TRUE(count == 5 || count == 6) << "class " << label << " has " << count;
      with_extra += count == 6;
    }
    EXPECT_EQ(with_extra, static_cast<std::int64_t>(subsets[k].size()) - 50);
    if (k > 0) {
      EXPECT_TRUE(contains_all(subsets[k], subsets[k - 1]));
    }
  }
}

TEST(NestedSubsets, RejectsSizesNotIncreasingTooLargeOrNotPositive) {
  const auto base = toy_dataset("toy", 10, 100);
  EXPECT_NE(message_of<std::invalid_argument>([&] { nested_subsets(*base, {100, 100}, 1, false); })
                .find("strictly increasing"),
            std::string::npos);
  EXPECT_NE(message_of<std::invalid_argument>([&] { nested_subsets(*base, {200, 100}, 1, true); })
                .find("strictly increasing"),
            std::string::npos);
  const std::string too_large = message_of<std::invalid_argument>([&] { nested_subsets(*base, {10, 1001}, 1, false); });
  EXPECT_NE(too_large.find("1001"), std::string::npos);
  EXPECT_NE(too_large.find("toy"), std::string::npos);
  EXPECT_THROW(nested_subsets(*base, {0, 10}, 1, false), std::invalid_argument);
  EXPECT_THROW(nested_subsets(*base, {}, 1, false), std::invalid_argument);
}

TEST(NestedSubsets, BalancedErrorNamesTheClassWithTooFewImages) {
  LabelHierarchy hierarchy;
  hierarchy.fine_names = {"cat", "dog", "newt"};
  std::vector<std::int64_t> labels;
  for (int i = 0; i < 40; ++i) labels.push_back(i % 2);  // 20 cats, 20 dogs
  for (int i = 0; i < 3; ++i) labels.push_back(2);        // 3 newts
  const auto base = std::make_shared<testing::ToyDataset>("pets", labels, hierarchy);
  EXPECT_EQ(nested_subsets(*base, {9}, 1, true)[0].size(), 9u);  // 3 of each: fine
  const std::string message = message_of<std::invalid_argument>([&] { nested_subsets(*base, {9, 30}, 1, true); });
  EXPECT_NE(message.find("'newt'"), std::string::npos) << message;
  EXPECT_NE(message.find("pets"), std::string::npos) << message;
  EXPECT_NE(message.find("has 3 images"), std::string::npos) << message;
}

TEST(LabeledSubset, TakesKPerClassNestedAcrossK) {
  const auto base = toy_dataset("toy", 10, 100);
  const auto ten = labeled_subset(*base, 10, 21);
  const auto fifty = labeled_subset(*base, 50, 21);
  EXPECT_EQ(ten.size(), 100u);
  for (const auto& [label, count] : class_counts(*base, ten)) EXPECT_EQ(count, 10) << "class " << label;
  for (const auto& [label, count] : class_counts(*base, fifty)) EXPECT_EQ(count, 50) << "class " << label;
  EXPECT_TRUE(contains_all(fifty, ten));
  EXPECT_EQ(ten, nested_subsets(*base, {100}, 21, true)[0]);
  EXPECT_THROW(labeled_subset(*base, 0, 21), std::invalid_argument);
  EXPECT_THROW(labeled_subset(*base, 101, 21), std::invalid_argument);
}

TEST(SubsetDataset, ReadsTheChosenImagesWithTheirLabels) {
  const auto base = toy_dataset("toy", 10, 100);
  const SubsetDataset subset(base, {3, 17, 250}, "toy/3");
  EXPECT_EQ(subset.name(), "toy/3");
  EXPECT_EQ(subset.size(), 3);
  EXPECT_EQ(subset.label(1), base->label(17));
  EXPECT_EQ(subset.image(2).pixels, base->image(250).pixels);
  EXPECT_EQ(&subset.hierarchy(), &base->hierarchy());
  EXPECT_EQ(subset.height(), base->height());
  EXPECT_THROW(subset.image(3), std::out_of_range);
  EXPECT_THROW(subset.label(-1), std::out_of_range);
}

TEST(SubsetDataset, RejectsIndicesOutOfRangeOrRepeated) {
  const auto base = toy_dataset("toy", 10, 100);
  const std::string message = message_of<std::out_of_range>([&] { SubsetDataset(base, {1, 1000}, "bad"); });
  EXPECT_NE(message.find("1000"), std::string::npos) << message;
  EXPECT_THROW(SubsetDataset(base, {-1}, "bad"), std::out_of_range);
  EXPECT_THROW(SubsetDataset(base, {4, 5, 4}, "bad"), std::invalid_argument);
  EXPECT_THROW(SubsetDataset(nullptr, {0}, "bad"), std::invalid_argument);
}

TEST(PoolDataset, MixesPartsInTheStatedCountsLabelledByDomain) {
  const auto a = toy_dataset("alpha", 10, 100);
  const auto b = toy_dataset("beta", 4, 50);
  const PoolDataset pool({a, b}, {300, 120}, 5, "alpha+beta");
  EXPECT_EQ(pool.name(), "alpha+beta");
  EXPECT_EQ(pool.size(), 420);
  EXPECT_EQ(pool.hierarchy().fine_names, (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_FALSE(pool.hierarchy().has_coarse());
  std::vector<std::int64_t> from_a, from_b;
  for (std::int64_t i = 0; i < pool.size(); ++i) {
    const std::int64_t part = pool.label(i);
    ASSERT_TRUE(part == 0 || part == 1);
    EXPECT_EQ(pool.part_of(i), part);
    (part == 0 ? from_a : from_b).push_back(pool.index_in_part(i));
    const auto& source = part == 0 ? *a : *b;
    EXPECT_EQ(pool.image(i).pixels, source.image(pool.index_in_part(i)).pixels);
  }
  EXPECT_EQ(from_a.size(), 300u);
  EXPECT_EQ(from_b.size(), 120u);
  // Each part's images are the in-domain fixed subset of that size and seed.
  EXPECT_EQ(from_a, nested_subsets(*a, {300}, 5, false)[0]);
  EXPECT_EQ(from_b, nested_subsets(*b, {120}, 5, false)[0]);
  EXPECT_THROW(pool.image(420), std::out_of_range);
}

TEST(PoolDataset, IsDeterministicAndNestedAcrossCounts) {
  const auto a = toy_dataset("alpha", 10, 100);
  const auto b = toy_dataset("beta", 4, 50);
  const PoolDataset small({a, b}, {100, 50}, 8, "small");
  const PoolDataset again({a, b}, {100, 50}, 8, "again");
  const PoolDataset large({a, b}, {400, 150}, 8, "large");
  const PoolDataset other_seed({a, b}, {100, 50}, 9, "other");
  std::set<std::pair<std::int64_t, std::int64_t>> small_items, large_items, other_items;
  for (std::int64_t i = 0; i < small.size(); ++i) {
    EXPECT_EQ(small.index_in_part(i), again.index_in_part(i));
    small_items.insert({small.part_of(i), small.index_in_part(i)});
    other_items.insert({other_seed.part_of(i), other_seed.index_in_part(i)});
  }
  for (std::int64_t i = 0; i < large.size(); ++i) large_items.insert({large.part_of(i), large.index_in_part(i)});
  EXPECT_TRUE(std::includes(large_items.begin(), large_items.end(), small_items.begin(), small_items.end()));
  EXPECT_NE(small_items, other_items);
}

TEST(PoolDataset, RejectsBadCountsAndMismatchedChannels) {
  const auto a = toy_dataset("alpha", 10, 100);
  const auto rgb = toy_dataset("rgb", 10, 100, 3);
  EXPECT_THROW(PoolDataset({a}, {100, 5}, 1, "p"), std::invalid_argument);
  EXPECT_THROW(PoolDataset({a}, {1001}, 1, "p"), std::invalid_argument);
  EXPECT_THROW(PoolDataset({a}, {0}, 1, "p"), std::invalid_argument);
  EXPECT_THROW(PoolDataset({}, {}, 1, "p"), std::invalid_argument);
  const std::string message = message_of<std::invalid_argument>([&] { PoolDataset({a, rgb}, {10, 10}, 1, "p"); });
  EXPECT_NE(message.find("channels"), std::string::npos) << message;
  EXPECT_NE(message.find("rgb"), std::string::npos) << message;
}

TEST(PoolDataset, HeightIsZeroWhenPartsDisagree) {
  const PoolDataset pool({toy_dataset("small", 2, 10, 1, 8), toy_dataset("big", 2, 10, 1, 16)}, {5, 5}, 1, "p");
  EXPECT_EQ(pool.height(), 0);
  EXPECT_EQ(pool.width(), 0);
  EXPECT_EQ(pool.channels(), 1);
}

TEST(CoarseLabelView, RelabelsWithCoarseClassesAndKeepsImages) {
  const auto base = toy_dataset("toy", 10, 20);
  const CoarseLabelView view(base);
  EXPECT_EQ(view.name(), "toy/coarse");
  EXPECT_EQ(view.size(), base->size());
  EXPECT_EQ(view.hierarchy().fine_names, (std::vector<std::string>{"even", "odd"}));
  EXPECT_FALSE(view.hierarchy().has_coarse());
  for (std::int64_t i = 0; i < view.size(); ++i) {
    EXPECT_EQ(view.label(i), base->label(i) % 2);
    EXPECT_LT(view.label(i), view.hierarchy().num_fine());
  }
  EXPECT_EQ(view.image(13).pixels, base->image(13).pixels);
}

TEST(CoarseLabelView, RejectsADatasetWithoutCoarseLabels) {
  LabelHierarchy flat;
  flat.fine_names = {"a", "b"};
  const auto base = std::make_shared<testing::ToyDataset>("flat", std::vector<std::int64_t>{0, 1}, flat);
  const std::string message = message_of<std::invalid_argument>([&] { CoarseLabelView{base}; });
  EXPECT_NE(message.find("flat"), std::string::npos) << message;
}

}  // namespace
}  // namespace nanossl::data
