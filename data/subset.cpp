// Fixed nested subsets: Fisher-Yates permutations keyed by the seed (KeyedRandom,
// purpose kPurposeSubset), whose prefixes are the subsets, and the dataset view
// that exposes one of them.
#include "data/subset.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "data/keyed_random.h"

namespace nanossl::data {

namespace {

// The `view` slot of the subset keys separates the three permutations drawn here.
constexpr std::uint64_t kViewWholeDataset = 0;  // index slot 0
constexpr std::uint64_t kViewOneClass = 1;      // index slot = the class
constexpr std::uint64_t kViewClassOrder = 2;    // index slot 0

// Uniform integer in [0, n) with 48 random bits (two draws). KeyedRandom::below
// uses one 24-bit draw, which favours some values by up to n / 2^24: 6% at n = 1M.
std::int64_t uniform_below(KeyedRandom& random, std::int64_t n) {
  const double u = random.uniform() + random.uniform() * (1.0 / 16777216.0);  // < 1
  const auto v = static_cast<std::int64_t>(u * static_cast<double>(n));
  return v < n ? v : n - 1;
}

// The first `count` entries of a forward Fisher-Yates shuffle of `items`: step i
// swaps item i with a uniform pick from [i, n), so the prefix is final after
// `count` steps and does not depend on how far the shuffle would go on.
std::vector<std::int64_t> permutation_prefix(std::vector<std::int64_t> items, std::int64_t count,
                                             KeyedRandom random) {
  const auto n = static_cast<std::int64_t>(items.size());
  for (std::int64_t i = 0; i < std::min(count, n - 1); ++i) {
    const std::int64_t j = i + uniform_below(random, n - i);
    std::swap(items[i], items[j]);
  }
  items.resize(static_cast<std::size_t>(std::min(count, n)));
  return items;
}

std::vector<std::int64_t> iota(std::int64_t n) {
  std::vector<std::int64_t> items(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) items[i] = i;
  return items;
}

void validate_sizes(const Dataset& base, const std::vector<std::int64_t>& sizes) {
  const std::string owner = "[nested_subsets] dataset " + base.name() + ": ";
  if (sizes.empty()) throw std::invalid_argument(owner + "no subset sizes given");
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    if (sizes[k] <= 0) {
      throw std::invalid_argument(owner + "subset size " + std::to_string(sizes[k]) + " is not positive");
    }
    if (sizes[k] > base.size()) {
      throw std::invalid_argument(owner + "subset size " + std::to_string(sizes[k]) + " is larger than the " +
                                  std::to_string(base.size()) + " images of the dataset");
    }
    if (k > 0 && sizes[k] <= sizes[k - 1]) {
      throw std::invalid_argument(owner + "subset sizes must be strictly increasing, got " +
                                  std::to_string(sizes[k - 1]) + " then " + std::to_string(sizes[k]));
    }
  }
}

std::vector<std::vector<std::int64_t>> random_subsets(const Dataset& base, const std::vector<std::int64_t>& sizes,
                                                      std::uint64_t seed) {
  const std::vector<std::int64_t> order = permutation_prefix(
      iota(base.size()), sizes.back(), KeyedRandom(seed, kPurposeSubset, 0, 0, kViewWholeDataset));
  std::vector<std::vector<std::int64_t>> subsets;
  for (const std::int64_t n : sizes) subsets.emplace_back(order.begin(), order.begin() + n);
  return subsets;
}

std::vector<std::vector<std::int64_t>> balanced_subsets(const Dataset& base, const std::vector<std::int64_t>& sizes,
                                                        std::uint64_t seed) {
  const std::int64_t num_classes = base.hierarchy().num_fine();
  if (num_classes <= 0) {
    throw std::invalid_argument("[nested_subsets] dataset " + base.name() + " has no classes to balance");
  }
  std::vector<std::vector<std::int64_t>> members(static_cast<std::size_t>(num_classes));
  for (std::int64_t i = 0; i < base.size(); ++i) {
    const std::int64_t label = base.label(i);
    if (label < 0 || label >= num_classes) {
      throw std::out_of_range("[nested_subsets] dataset " + base.name() + ": image " + std::to_string(i) +
                              " has label " + std::to_string(label) + ", outside [0, " +
                              std::to_string(num_classes) + ")");
    }
    members[label].push_back(i);
  }
  // rank[c] < n % C means class c gets one of the n % C left-over images.
  const std::vector<std::int64_t> class_order =
      permutation_prefix(iota(num_classes), num_classes, KeyedRandom(seed, kPurposeSubset, 0, 0, kViewClassOrder));
  std::vector<std::int64_t> rank(static_cast<std::size_t>(num_classes));
  for (std::int64_t r = 0; r < num_classes; ++r) rank[class_order[r]] = r;
  auto per_class = [&](std::int64_t n, std::int64_t c) { return n / num_classes + (rank[c] < n % num_classes); };

  // The largest subset asks the most of every class (counts never decrease with n).
  std::vector<std::vector<std::int64_t>> orders(static_cast<std::size_t>(num_classes));
  for (std::int64_t c = 0; c < num_classes; ++c) {
    const std::int64_t needed = per_class(sizes.back(), c);
    const auto available = static_cast<std::int64_t>(members[c].size());
    if (needed > available) {
      throw std::invalid_argument("[nested_subsets] dataset " + base.name() + ": class '" +
                                  base.hierarchy().fine_names[c] + "' (" + std::to_string(c) + ") has " +
                                  std::to_string(available) + " images, a class-balanced subset of " +
                                  std::to_string(sizes.back()) + " needs " + std::to_string(needed));
    }
    orders[c] = permutation_prefix(std::move(members[c]), needed,
                                   KeyedRandom(seed, kPurposeSubset, 0, static_cast<std::uint64_t>(c), kViewOneClass));
  }
  std::vector<std::vector<std::int64_t>> subsets;
  for (const std::int64_t n : sizes) {
    std::vector<std::int64_t> subset;
    subset.reserve(static_cast<std::size_t>(n));
    for (std::int64_t c = 0; c < num_classes; ++c) {
      subset.insert(subset.end(), orders[c].begin(), orders[c].begin() + per_class(n, c));
    }
    subsets.push_back(std::move(subset));
  }
  return subsets;
}

}  // namespace

SubsetDataset::SubsetDataset(DatasetPtr base, std::vector<std::int64_t> indices, std::string name)
    : base_(std::move(base)), indices_(std::move(indices)), name_(std::move(name)) {
  if (!base_) throw std::invalid_argument("[subset " + name_ + "] base dataset is null");
  std::vector<bool> seen(static_cast<std::size_t>(base_->size()), false);
  for (const std::int64_t index : indices_) {
    if (index < 0 || index >= base_->size()) {
      throw std::out_of_range("[subset " + name_ + "] index " + std::to_string(index) + " is outside [0, " +
                              std::to_string(base_->size()) + ") of dataset " + base_->name());
    }
    if (seen[index]) {
      throw std::invalid_argument("[subset " + name_ + "] index " + std::to_string(index) + " appears twice");
    }
    seen[index] = true;
  }
}

Image SubsetDataset::image(std::int64_t index) const {
  check_index(*this, index);
  return base_->image(indices_[index]);
}

std::int64_t SubsetDataset::label(std::int64_t index) const {
  check_index(*this, index);
  return base_->label(indices_[index]);
}

std::vector<std::vector<std::int64_t>> nested_subsets(const Dataset& base, const std::vector<std::int64_t>& sizes,
                                                      std::uint64_t seed, bool class_balanced) {
  validate_sizes(base, sizes);
  std::vector<std::vector<std::int64_t>> subsets =
      class_balanced ? balanced_subsets(base, sizes, seed) : random_subsets(base, sizes, seed);
  for (auto& subset : subsets) std::sort(subset.begin(), subset.end());
  return subsets;
}

std::vector<std::int64_t> labeled_subset(const Dataset& base, std::int64_t per_class, std::uint64_t seed) {
  if (per_class <= 0) {
    throw std::invalid_argument("[labeled_subset] dataset " + base.name() + ": " + std::to_string(per_class) +
                                " images per class is not positive");
  }
  return nested_subsets(base, {per_class * base.hierarchy().num_fine()}, seed, true)[0];
}

}  // namespace nanossl::data
