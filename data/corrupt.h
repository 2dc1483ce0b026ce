// Image corruptions for the data-quality study: the paper corrupts the pretraining
// images (salt-and-pepper, JPEG, resize, downsample 2x/4x) and evaluates on clean
// ones. Strengths are parsed from text ("jpeg:10"); defaults and their reasons are
// in docs/corruptions.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/keyed_random.h"

namespace nanossl::data {

enum class Corruption { none, salt_pepper, jpeg, resize, downsample2, downsample4, gaussian_blur, gaussian_noise };

// What `strength` means, and the valid range, per kind:
//   none            0 ("none")
//   salt_pepper     probability p in (0, 1] that a pixel becomes 0 or 255 ("salt_pepper:0.05")
//   jpeg            quality, an integer in [1, 100] ("jpeg:10")
//   resize          factor f in (0, 1): bilinear to f times the size and back ("resize:0.75")
//   downsample2/4   the factor, 2 or 4: area average down, bilinear up ("downsample:2")
//   gaussian_blur   sigma in pixels, in (0, 10] ("blur:1")
//   gaussian_noise  sigma in [0, 1] units, in (0, 1] ("noise:0.1")
struct CorruptionSpec {
  Corruption kind = Corruption::none;
  double strength = 0.0;

  bool operator==(const CorruptionSpec&) const = default;
};

// Parses "kind" (default strength) or "kind:strength"; kinds are none, salt_pepper,
// jpeg, resize, downsample, blur, noise. Throws naming the text and what is valid.
CorruptionSpec parse_corruption(const std::string& text);
// The inverse of parse_corruption: "salt_pepper:0.05", "downsample:4", "none".
std::string to_string(const CorruptionSpec& spec);
// Throws (naming the spec and the valid range) unless the strength suits the kind.
void validate(const CorruptionSpec& spec);
// The documented default strength of each kind (docs/corruptions.md).
CorruptionSpec default_corruption(Corruption kind);
// The paper's five corruptions at their default strengths, in its order:
// salt_pepper, jpeg, resize, downsample 2x, downsample 4x.
std::vector<CorruptionSpec> quality_study_corruptions();

// The corrupted image, same shape as `image`. Salt-and-pepper and noise draw from
// `random` (one draw per pixel, resp. per value, in C H W order); the others are
// deterministic.
Image corrupt(const Image& image, const CorruptionSpec& spec, KeyedRandom& random);

// `base` with every image corrupted; image i's corruption is drawn from
// KeyedRandom(seed, kPurposeCorrupt, 0, i), so it is the same in every epoch and on
// every thread. Labels and hierarchy are base's. Named "BASE+SPEC".
class CorruptedDataset final : public Dataset {
 public:
  CorruptedDataset(DatasetPtr base, CorruptionSpec spec, std::uint64_t seed);

  std::string name() const override { return base_->name() + "+" + to_string(spec_); }
  std::int64_t size() const override { return base_->size(); }
  Image image(std::int64_t index) const override;
  std::int64_t label(std::int64_t index) const override { return base_->label(index); }
  const LabelHierarchy& hierarchy() const override { return base_->hierarchy(); }
  int channels() const override { return base_->channels(); }
  int height() const override { return base_->height(); }
  int width() const override { return base_->width(); }

  const CorruptionSpec& spec() const { return spec_; }

 private:
  DatasetPtr base_;
  CorruptionSpec spec_;
  std::uint64_t seed_;
};

}  // namespace nanossl::data
