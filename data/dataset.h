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

// One level of a label hierarchy above the fine classes: its name (also its key in
// "test_top1_by_level", e.g. "coarse", "shape"), its class names, and the class of
// every fine class at this level.
struct LabelLevel {
  std::string name;
  std::vector<std::string> class_names;
  std::vector<std::int64_t> of_fine;  // one entry per fine class

  std::int64_t num_classes() const { return static_cast<std::int64_t>(class_names.size()); }
};

// Fine classes and, where the dataset has them, levels above them, coarsest first
// (Fashion-MNIST 10 -> 5, CIFAR-100 100 -> 20, glyphs 62 -> 3: one level; shapes
// 32 -> 8 -> 2: two). The coarsest level is always named "coarse", so "coarse"
// means the same in every result whatever the depth.
struct LabelHierarchy {
  std::vector<std::string> fine_names;
  std::vector<LabelLevel> levels;  // coarsest first; empty: fine classes only

  std::int64_t num_fine() const { return static_cast<std::int64_t>(fine_names.size()); }
  bool has_coarse() const { return !levels.empty(); }
  // The coarsest level; throws when there is none.
  const LabelLevel& coarse() const;
  std::int64_t num_coarse() const { return has_coarse() ? coarse().num_classes() : 0; }
  const std::vector<std::string>& coarse_names() const { return coarse().class_names; }
  const std::vector<std::int64_t>& fine_to_coarse() const { return coarse().of_fine; }
  // Every level's name, coarsest first, ending with "fine".
  std::vector<std::string> level_names() const;
  // Classes at `level` ("fine" or a level's name); throws naming the level when unknown.
  std::int64_t num_classes(const std::string& level) const;
  // Throws naming `owner` and the level unless every level is well formed: a unique
  // name other than "fine" (the first "coarse"), a valid class for every fine
  // class, and nested: fine classes that share a class at one level share one at
  // every coarser level.
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
