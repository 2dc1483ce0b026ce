// A small in-memory dataset for the data-layer tests: image i is a constant
// plane whose value encodes i, with the labels and hierarchy the test asks for.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"

namespace nanossl::testing {

class ToyDataset final : public data::Dataset {
 public:
  ToyDataset(std::string name, std::vector<std::int64_t> labels, data::LabelHierarchy hierarchy, int channels = 1,
             int side = 8)
      : name_(std::move(name)), labels_(std::move(labels)), hierarchy_(std::move(hierarchy)), channels_(channels),
        side_(side) {}

  std::string name() const override { return name_; }
  std::int64_t size() const override { return static_cast<std::int64_t>(labels_.size()); }
  data::Image image(std::int64_t index) const override {
    data::check_index(*this, index);
    return data::make_image(channels_, side_, side_, static_cast<std::uint8_t>(index % 251));
  }
  std::int64_t label(std::int64_t index) const override {
    data::check_index(*this, index);
    return labels_[index];
  }
  const data::LabelHierarchy& hierarchy() const override { return hierarchy_; }
  int channels() const override { return channels_; }
  int height() const override { return side_; }
  int width() const override { return side_; }

 private:
  std::string name_;
  std::vector<std::int64_t> labels_;
  data::LabelHierarchy hierarchy_;
  int channels_, side_;
};

// `classes` fine classes named c0, c1, ... with `per_class` images each, labels
// cycling 0, 1, ..., classes-1; class k maps to coarse class k % 2 ("even", "odd").
inline std::shared_ptr<ToyDataset> toy_dataset(const std::string& name, std::int64_t classes, std::int64_t per_class,
                                               int channels = 1, int side = 8) {
  data::LabelHierarchy hierarchy;
  data::LabelLevel parity{"coarse", {"even", "odd"}, {}};
  for (std::int64_t c = 0; c < classes; ++c) {
    hierarchy.fine_names.push_back(std::string("c").append(std::to_string(c)));
    parity.of_fine.push_back(c % 2);
  }
  hierarchy.levels = {parity};
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < classes * per_class; ++i) labels.push_back(i % classes);
  return std::make_shared<ToyDataset>(name, std::move(labels), std::move(hierarchy), channels, side);
}

}  // namespace nanossl::testing
