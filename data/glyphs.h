// `glyphs`: a procedural dataset of the 62 characters 0-9, A-Z, a-z rendered from
// the system's TrueType fonts with stb_truetype, each image a pure function of
// (seed, index): random font, size, rotation, shear, stroke width, contrast, noise.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace nanossl::data {

// The .ttf files under /usr/share/fonts/truetype/{dejavu,liberation2,freefont},
// sorted by path. Throws, naming the folders and the Debian packages that fill
// them (fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf), when none exist.
std::vector<std::string> default_font_paths();

// Fine classes: 62 characters in the order 0-9, A-Z, a-z; the label of image i is
// i % 62, so every run of 62 consecutive indices holds each class once (exact
// balance for any prefix or nested subset of size a multiple of 62).
// Coarse classes: 0 digit, 1 upper, 2 lower.
// Image i: 1 channel x image_size x image_size, a character drawn from a font
// picked uniformly among `font_paths`; see docs/procedural-data.md for the ranges.
class GlyphsDataset final : public Dataset {
 public:
  // Reads and parses every font once; the parsed fonts are then only read, so
  // image() may be called from any number of threads. Throws on an empty list, a
  // missing or unparsable file, or a font lacking one of the 62 characters.
  GlyphsDataset(std::int64_t size, std::uint64_t seed, int image_size = 32,
                std::vector<std::string> font_paths = default_font_paths());
  ~GlyphsDataset() override;

  std::string name() const override { return "glyphs"; }
  std::int64_t size() const override { return size_; }
  Image image(std::int64_t index) const override;
  std::int64_t label(std::int64_t index) const override;
  const LabelHierarchy& hierarchy() const override { return hierarchy_; }
  int channels() const override { return 1; }
  int height() const override { return image_size_; }
  int width() const override { return image_size_; }

  std::int64_t num_fonts() const;
  static constexpr int kNumClasses = 62;
  // The character of fine class `label` ('0'..'9', 'A'..'Z', 'a'..'z').
  static char character(std::int64_t label);

 private:
  struct Font;
  std::int64_t size_;
  std::uint64_t seed_;
  int image_size_;
  std::vector<std::unique_ptr<Font>> fonts_;
  LabelHierarchy hierarchy_;
};

}  // namespace nanossl::data
