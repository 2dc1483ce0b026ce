// `shapes`: a procedural dataset of geometric shapes with fill textures on noisy
// backgrounds, each image a pure function of (seed, index): random position, size,
// rotation, texture scale and phase, intensities (colours when 3 channels), noise.
#pragma once
#include <cstdint>
#include <string>

#include "data/dataset.h"

namespace nanossl::data {

// Shapes (in this order):
//   0 circle, 1 ellipse, 2 triangle, 3 square, 4 pentagon, 5 star, 6 cross, 7 heart
// Textures (the shape's fill):
//   0 solid, 1 stripes, 2 checker, 3 dots
// Fine class = shape * 4 + texture, named "shape/texture" (32 classes). Levels above,
// coarsest first: "coarse", the outline (0 curved: circle, ellipse, heart; 1
// straight: the rest), then "shape" (the 8 shapes). The label of image i is i % 32,
// so every run of 32 consecutive indices holds each class once.
// Shapes are rasterised from exact signed distances with analytic anti-aliasing
// (coverage = clamp(0.5 - distance in pixels)); see docs/procedural-data.md.
class ShapesDataset final : public Dataset {
 public:
  static constexpr int kNumShapes = 8;
  static constexpr int kNumTextures = 4;
  static constexpr int kNumClasses = kNumShapes * kNumTextures;

  // channels 1 (grey levels) or 3 (random colours of the same luminance ranges).
  ShapesDataset(std::int64_t size, std::uint64_t seed, int image_size = 32, int channels = 1);

  std::string name() const override { return "shapes"; }
  std::int64_t size() const override { return size_; }
  Image image(std::int64_t index) const override;
  std::int64_t label(std::int64_t index) const override;
  const LabelHierarchy& hierarchy() const override { return hierarchy_; }
  int channels() const override { return channels_; }
  int height() const override { return image_size_; }
  int width() const override { return image_size_; }

 private:
  std::int64_t size_;
  std::uint64_t seed_;
  int image_size_;
  int channels_;
  LabelHierarchy hierarchy_;
};

}  // namespace nanossl::data
