// Pools of domains (fixed subsets of several datasets, concatenated, labelled by
// domain) and the coarse-label view used to score granularity.
#include "data/domain_pool.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "data/subset.h"

namespace nanossl::data {

PoolDataset::PoolDataset(std::vector<DatasetPtr> parts, std::vector<std::int64_t> counts, std::uint64_t seed,
                         std::string name, bool class_balanced)
    : parts_(std::move(parts)), offsets_{0}, name_(std::move(name)) {
  const std::string owner = "[pool " + name_ + "] ";
  if (parts_.empty()) throw std::invalid_argument(owner + "no parts given");
  if (counts.size() != parts_.size()) {
    throw std::invalid_argument(owner + std::to_string(parts_.size()) + " parts but " +
                                std::to_string(counts.size()) + " counts");
  }
  for (std::size_t p = 0; p < parts_.size(); ++p) {
    if (!parts_[p]) throw std::invalid_argument(owner + "part " + std::to_string(p) + " is null");
    const Dataset& part = *parts_[p];
    if (part.channels() != parts_[0]->channels()) {
      throw std::invalid_argument(owner + "parts disagree on channels: " + parts_[0]->name() + " has " +
                                  std::to_string(parts_[0]->channels()) + ", " + part.name() + " has " +
                                  std::to_string(part.channels()));
    }
    if (counts[p] <= 0 || counts[p] > part.size()) {
      throw std::invalid_argument(owner + "count " + std::to_string(counts[p]) + " for part " + part.name() +
                                  " is outside [1, " + std::to_string(part.size()) + "]");
    }
    chosen_.push_back(nested_subsets(part, {counts[p]}, seed, class_balanced)[0]);
    offsets_.push_back(offsets_.back() + counts[p]);
    hierarchy_.fine_names.push_back(part.name());
  }
  channels_ = parts_[0]->channels();
  auto common = [&](auto side) {
    const int first = side(*parts_[0]);
    for (const auto& part : parts_) {
      if (side(*part) != first) return 0;
    }
    return first;
  };
  height_ = common([](const Dataset& d) { return d.height(); });
  width_ = common([](const Dataset& d) { return d.width(); });
}

std::int64_t PoolDataset::part_of(std::int64_t index) const {
  check_index(*this, index);
  // offsets_ = {0, c0, c0+c1, ...}: the part is the last offset <= index.
  return std::upper_bound(offsets_.begin(), offsets_.end(), index) - offsets_.begin() - 1;
}

std::int64_t PoolDataset::index_in_part(std::int64_t index) const {
  const std::int64_t part = part_of(index);
  return chosen_[part][index - offsets_[part]];
}

Image PoolDataset::image(std::int64_t index) const { return parts_[part_of(index)]->image(index_in_part(index)); }

std::int64_t PoolDataset::label(std::int64_t index) const { return part_of(index); }

CoarseLabelView::CoarseLabelView(DatasetPtr base) : base_(std::move(base)) {
  if (!base_) throw std::invalid_argument("[coarse view] base dataset is null");
  const LabelHierarchy& fine = base_->hierarchy();
  if (!fine.has_coarse()) {
    throw std::invalid_argument("[coarse view] dataset " + base_->name() + " has no coarse labels");
  }
  fine.validate(base_->name());
  hierarchy_.fine_names = fine.coarse_names();
}

std::int64_t CoarseLabelView::label(std::int64_t index) const {
  const std::int64_t fine = base_->label(index);
  const auto& map = base_->hierarchy().fine_to_coarse();
  if (fine < 0 || fine >= static_cast<std::int64_t>(map.size())) {
    throw std::out_of_range("[coarse view " + base_->name() + "] image " + std::to_string(index) +
                            " has fine label " + std::to_string(fine) + ", outside [0, " +
                            std::to_string(map.size()) + ")");
  }
  return map[fine];
}

}  // namespace nanossl::data
