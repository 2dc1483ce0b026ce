// A dataset is an indexable collection of labelled images. Everything in data/
// (readers, procedural generators, subsets, pools, corruptions) is a Dataset, so
// they compose: a corrupted nested subset of a pool is just three wrappers.
// Implementations must be safe to call from several loader threads at once.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/image.h"

namespace nanossl::data {

// Fine classes and, where the dataset has one, a coarser level above them
// (Fashion-MNIST 10 -> 5, CIFAR-100 100 -> 20, glyphs 62 -> 3).
struct LabelHierarchy {
  std::vector<std::string> fine_names;
  std::vector<std::string> coarse_names;   // empty: no coarse level
  std::vector<std::int64_t> fine_to_coarse;  // one entry per fine class

  std::int64_t num_fine() const { return static_cast<std::int64_t>(fine_names.size()); }
  std::int64_t num_coarse() const { return static_cast<std::int64_t>(coarse_names.size()); }
  bool has_coarse() const { return !coarse_names.empty(); }
  // Throws unless every fine class maps to a valid coarse class (or there is none).
  void validate(const std::string& owner) const;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  // Short identifier, used in errors and run names ("fashion/train", "glyphs").
  virtual std::string name() const = 0;
  virtual std::int64_t size() const = 0;
  // Image `index` in [0, size()); the same bytes on every call.
  virtual Image image(std::int64_t index) const = 0;
  // Fine label of image `index`, in [0, hierarchy().num_fine()).
  virtual std::int64_t label(std::int64_t index) const = 0;
  virtual const LabelHierarchy& hierarchy() const = 0;
  // The shape every image has, or 0 where sizes vary (image folders).
  virtual int channels() const = 0;
  virtual int height() const = 0;
  virtual int width() const = 0;
};

using DatasetPtr = std::shared_ptr<const Dataset>;

// Throws "[dataset NAME] index 12 is outside [0, 10)" unless index is valid.
void check_index(const Dataset& dataset, std::int64_t index);

}  // namespace nanossl::data
