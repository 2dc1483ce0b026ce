// Fixed, nested subsets of a dataset: the paper's pretraining subsets (50k inside
// 125k inside ... 1M, the same images in every experiment) and its labeled subsets
// (k images per class). One seeded permutation per dataset (or per class) whose
// prefixes are the subsets; see docs/subsets.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace nanossl::data {

// The images `indices` of `base`, in that order, with base's labels and hierarchy.
// Indices must lie in [0, base->size()) and be distinct.
class SubsetDataset final : public Dataset {
 public:
  SubsetDataset(DatasetPtr base, std::vector<std::int64_t> indices, std::string name);

  std::string name() const override { return name_; }
  std::int64_t size() const override { return static_cast<std::int64_t>(indices_.size()); }
  Image image(std::int64_t index) const override;
  std::int64_t label(std::int64_t index) const override;
  const LabelHierarchy& hierarchy() const override { return base_->hierarchy(); }
  int channels() const override { return base_->channels(); }
  int height() const override { return base_->height(); }
  int width() const override { return base_->width(); }

  const std::vector<std::int64_t>& indices() const { return indices_; }  // into base
  const DatasetPtr& base() const { return base_; }

 private:
  DatasetPtr base_;
  std::vector<std::int64_t> indices_;
  std::string name_;
};

// Index lists for sizes n1 < n2 < ... (each positive, at most base.size()): subset k
// contains subset k-1, and the same (base, sizes, seed) always gives the same
// indices, whatever the thread count. Each list is sorted ascending (reads the base
// in file order; loaders shuffle anyway).
//
// class_balanced = false: subset k is the first n_k entries of one permutation of
// [0, base.size()). class_balanced = true: each fine class has its own permutation,
// and subset k takes n_k / C images from every class, the n_k % C left over going
// one each to the first classes of a seeded class order (so counts differ by at
// most one, and still nest). Throws naming the class that has too few images.
//
// A subset of size n does not depend on the other sizes asked for: the 500 of
// {500, 1000} are the 500 of {500}.
std::vector<std::vector<std::int64_t>> nested_subsets(const Dataset& base, const std::vector<std::int64_t>& sizes,
                                                      std::uint64_t seed, bool class_balanced);

// `per_class` images of every fine class (the labeled subsets of the evaluation),
// nested across per_class for the same seed: nested_subsets(base, {per_class * C},
// seed, true)[0].
std::vector<std::int64_t> labeled_subset(const Dataset& base, std::int64_t per_class, std::uint64_t seed);

}  // namespace nanossl::data
