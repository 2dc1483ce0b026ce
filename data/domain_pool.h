// Label views for the domain and granularity studies: a pool mixing several
// datasets in stated counts (the paper's 250k iNat21 + 250k ImageNet), and the
// same images relabelled with their coarse classes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace nanossl::data {

// counts[p] images of parts[p], for every part, one part after the other. The
// images of part p are nested_subsets(*parts[p], {counts[p]}, seed, class_balanced)
// — exactly the in-domain subset of that size and seed, so a pool contains the
// subsets that single-domain runs with the same seed pretrain on, and a pool with
// larger counts contains one with smaller counts.
//
// Pools are for pretraining, where labels are unused, but every image keeps a
// valid label: the index of its part (its domain). The hierarchy's fine names are
// the parts' names; it has no coarse level. All parts must have the same number of
// channels; height and width are 0 (varying) unless all parts agree.
class PoolDataset final : public Dataset {
 public:
  PoolDataset(std::vector<DatasetPtr> parts, std::vector<std::int64_t> counts, std::uint64_t seed, std::string name,
              bool class_balanced = false);

  std::string name() const override { return name_; }
  std::int64_t size() const override { return offsets_.back(); }
  Image image(std::int64_t index) const override;
  std::int64_t label(std::int64_t index) const override;  // the part (domain)
  const LabelHierarchy& hierarchy() const override { return hierarchy_; }
  int channels() const override { return channels_; }
  int height() const override { return height_; }
  int width() const override { return width_; }

  // Which image of which part pool image `index` is.
  std::int64_t part_of(std::int64_t index) const;
  std::int64_t index_in_part(std::int64_t index) const;

 private:
  std::vector<DatasetPtr> parts_;
  std::vector<std::vector<std::int64_t>> chosen_;  // per part, indices into it
  std::vector<std::int64_t> offsets_;              // prefix sums of the counts, from 0
  LabelHierarchy hierarchy_;
  std::string name_;
  int channels_ = 0, height_ = 0, width_ = 0;
};

// The images of `base` labelled with their coarse classes: label = fine_to_coarse
// of base's label, and the hierarchy is the coarse level alone (as fine names, no
// coarse level above). Throws if base has no coarse level. Named "BASE/coarse".
class CoarseLabelView final : public Dataset {
 public:
  explicit CoarseLabelView(DatasetPtr base);

  std::string name() const override { return base_->name() + "/coarse"; }
  std::int64_t size() const override { return base_->size(); }
  Image image(std::int64_t index) const override { return base_->image(index); }
  std::int64_t label(std::int64_t index) const override;
  const LabelHierarchy& hierarchy() const override { return hierarchy_; }
  int channels() const override { return base_->channels(); }
  int height() const override { return base_->height(); }
  int width() const override { return base_->width(); }

 private:
  DatasetPtr base_;
  LabelHierarchy hierarchy_;
};

}  // namespace nanossl::data
