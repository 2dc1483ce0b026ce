// `glyphs`: characters rendered with stb_truetype. The glyph outline is moved
// through a random affine map in font units and rasterised (anti-aliased) at twice
// the output resolution, thickened or thinned by a pixel there, box-filtered down,
// then composited with random intensities, a lighting gradient and Gaussian noise.
#include "data/glyphs.h"

#define STB_TRUETYPE_IMPLEMENTATION
#include <stb_truetype.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "data/keyed_random.h"

namespace nanossl::data {

namespace {

// Separates this generator's random streams from other generators given the same seed.
constexpr std::uint64_t kGlyphsSalt = 0x676C797068730001ull;
constexpr const char* kFontFolders[] = {"/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation2",
                                        "/usr/share/fonts/truetype/freefont"};
constexpr const char* kFontPackages = "fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf";

std::string font_folders_list() {
  std::string list;
  for (const char* folder : kFontFolders) list += (list.empty() ? "" : ", ") + std::string(folder);
  return list;
}

// 3x3 grey-level dilation (max) or erosion (min) of a side x side bitmap, separably.
void morph3x3(std::vector<std::uint8_t>& pixels, int side, bool dilate) {
  std::vector<std::uint8_t> rows(pixels.size());
  const auto pick = [dilate](std::uint8_t a, std::uint8_t b) { return dilate ? std::max(a, b) : std::min(a, b); };
  for (int y = 0; y < side; ++y) {
    const std::uint8_t* in = &pixels[static_cast<std::size_t>(y) * side];
    std::uint8_t* out = &rows[static_cast<std::size_t>(y) * side];
    for (int x = 0; x < side; ++x) {
      std::uint8_t v = in[x];
      if (x > 0) v = pick(v, in[x - 1]);
      if (x + 1 < side) v = pick(v, in[x + 1]);
      out[x] = v;
    }
  }
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      std::uint8_t v = rows[static_cast<std::size_t>(y) * side + x];
      if (y > 0) v = pick(v, rows[static_cast<std::size_t>(y - 1) * side + x]);
      if (y + 1 < side) v = pick(v, rows[static_cast<std::size_t>(y + 1) * side + x]);
      pixels[static_cast<std::size_t>(y) * side + x] = v;
    }
  }
}

}  // namespace

// One parsed font: its bytes (which `info` points into) and per-character metrics.
struct GlyphsDataset::Font {
  std::string path;
  std::vector<unsigned char> bytes;
  stbtt_fontinfo info{};
  int glyph[kNumClasses] = {};
  float cap_height = 0;  // height of 'H' in font units
  float stem = 0;        // vertical stem width of 'l' in font units
};

std::vector<std::string> default_font_paths() {
  std::vector<std::string> paths;
  for (const char* folder : kFontFolders) {
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
      if (entry.is_regular_file() && entry.path().extension() == ".ttf") paths.push_back(entry.path().string());
    }
  }
  if (paths.empty()) {
    throw std::runtime_error("[glyphs] no TrueType fonts found in " + font_folders_list() +
                             "; install the Debian packages " + kFontPackages);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

char GlyphsDataset::character(std::int64_t label) {
  if (label < 0 || label >= kNumClasses) {
    throw std::out_of_range("[glyphs] class " + std::to_string(label) + " is outside [0, 62)");
  }
  if (label < 10) return static_cast<char>('0' + label);
  if (label < 36) return static_cast<char>('A' + (label - 10));
  return static_cast<char>('a' + (label - 36));
}

GlyphsDataset::GlyphsDataset(std::int64_t size, std::uint64_t seed, int image_size,
                             std::vector<std::string> font_paths)
    : size_(size), seed_(seed), image_size_(image_size) {
  if (size < 0 || size > (std::int64_t{1} << 32)) {
    throw std::invalid_argument("[glyphs] size " + std::to_string(size) + " is outside [0, 2^32]");
  }
  if (image_size < 8 || image_size > 1024) {
    throw std::invalid_argument("[glyphs] image size " + std::to_string(image_size) + " is outside [8, 1024]");
  }
  if (font_paths.empty()) {
    throw std::invalid_argument("[glyphs] empty font list; the default fonts live in " + font_folders_list() +
                                " (Debian packages " + kFontPackages + ")");
  }
  for (const std::string& path : font_paths) {
    auto font = std::make_unique<Font>();
    font->path = path;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      throw std::runtime_error("[glyphs] cannot read font file '" + path + "'; the default fonts live in " +
                               font_folders_list() + " (Debian packages " + kFontPackages + ")");
    }
    font->bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    const int offset = font->bytes.size() >= 12 ? stbtt_GetFontOffsetForIndex(font->bytes.data(), 0) : -1;
    if (offset < 0 || !stbtt_InitFont(&font->info, font->bytes.data(), offset)) {
      throw std::runtime_error("[glyphs] '" + path + "' is not a TrueType font stb_truetype can parse");
    }
    for (int c = 0; c < kNumClasses; ++c) {
      font->glyph[c] = stbtt_FindGlyphIndex(&font->info, character(c));
      if (font->glyph[c] == 0) {
        throw std::runtime_error("[glyphs] font '" + path + "' has no glyph for '" + character(c) + "'");
      }
    }
    int x0, y0, x1, y1;
    if (!stbtt_GetCodepointBox(&font->info, 'H', &x0, &y0, &x1, &y1) || y1 <= 0) {
      throw std::runtime_error("[glyphs] font '" + path + "' has an empty 'H'");
    }
    font->cap_height = static_cast<float>(y1);
    // The stem of 'l', measured across the row 40% down a 100-pixel rendering.
    const float probe_scale = 100.0f / font->cap_height;
    int w = 0, h = 0;
    unsigned char* bitmap = stbtt_GetCodepointBitmap(&font->info, probe_scale, probe_scale, 'l', &w, &h, nullptr, nullptr);
    int ink = 0;
    if (bitmap != nullptr) {
      for (int x = 0; x < w; ++x) ink += bitmap[(h * 2 / 5) * w + x] >= 128 ? 1 : 0;
      stbtt_FreeBitmap(bitmap, nullptr);
    }
    font->stem = static_cast<float>(std::max(ink, 1)) / probe_scale;
    fonts_.push_back(std::move(font));
  }

  for (int c = 0; c < kNumClasses; ++c) hierarchy_.fine_names.emplace_back(1, character(c));
  LabelLevel kind{"coarse", {"digit", "upper", "lower"}, {}};
  for (int c = 0; c < kNumClasses; ++c) kind.of_fine.push_back(c < 10 ? 0 : c < 36 ? 1 : 2);
  hierarchy_.levels = {kind};
  hierarchy_.validate(name());
}

GlyphsDataset::~GlyphsDataset() = default;

std::int64_t GlyphsDataset::num_fonts() const { return static_cast<std::int64_t>(fonts_.size()); }

std::int64_t GlyphsDataset::label(std::int64_t index) const {
  check_index(*this, index);
  return index % kNumClasses;
}

Image GlyphsDataset::image(std::int64_t index) const {
  const std::int64_t cls = label(index);
  KeyedRandom rng(seed_ ^ kGlyphsSalt, kPurposeGenerate, 0, static_cast<std::uint64_t>(index));
  const Font& font = *fonts_[static_cast<std::size_t>(rng.below(num_fonts()))];
  const int glyph = font.glyph[cls];
  const int S = image_size_, side = 2 * S;  // rasterised at twice the output size

  // Geometry: capital height as a fraction of the image, anisotropy, rotation, shear, shift.
  const double scale = rng.uniform(0.45, 0.65) * S / font.cap_height;  // output pixels per font unit
  const double aspect = std::exp(rng.uniform(std::log(0.85), std::log(1.15)));
  const double angle = rng.uniform(-0.21, 0.21);  // about +-12 degrees
  const double shear = rng.uniform(-0.2, 0.2);
  const double shift_x = rng.uniform(-0.08, 0.08) * S, shift_y = rng.uniform(-0.08, 0.08) * S;
  // M = rotation * shear * diag(aspect, 1), in y-up coordinates, per unit of `scale`.
  const double cs = std::cos(angle), sn = std::sin(angle);
  const double m00 = cs * aspect, m01 = cs * shear - sn, m10 = sn * aspect, m11 = sn * shear + cs;

  // The outline, centred on the glyph's horizontal middle and half the capital
  // height (so capitals and digits sit in the middle, lower case a little lower).
  stbtt_vertex* vertices = nullptr;
  const int num_vertices = stbtt_GetGlyphShape(&font.info, glyph, &vertices);
  int x0, y0, x1, y1;
  stbtt_GetGlyphBox(&font.info, glyph, &x0, &y0, &x1, &y1);
  const double anchor_x = 0.5 * (x0 + x1), anchor_y = 0.5 * font.cap_height;
  const auto move = [&](stbtt_vertex_type& vx, stbtt_vertex_type& vy) {
    const double px = vx - anchor_x, py = vy - anchor_y;
    vx = static_cast<stbtt_vertex_type>(std::lround(m00 * px + m01 * py));
    vy = static_cast<stbtt_vertex_type>(std::lround(m10 * px + m11 * py));
  };
  for (int i = 0; i < num_vertices; ++i) {
    move(vertices[i].x, vertices[i].y);
    move(vertices[i].cx, vertices[i].cy);
    move(vertices[i].cx1, vertices[i].cy1);
  }
  std::vector<std::uint8_t> hires(static_cast<std::size_t>(side) * side, 0);
  stbtt__bitmap target{side, side, side, hires.data()};
  const auto render_scale = static_cast<float>(2.0 * scale);
  // invert = 1 flips font y-up into image y-down; the centre lands at (S + 2 dx, S + 2 dy).
  stbtt_Rasterize(&target, 0.35f, vertices, num_vertices, render_scale, render_scale,
                  static_cast<float>(S + 2 * shift_x), static_cast<float>(S + 2 * shift_y), 0, 0, 1, nullptr);
  stbtt_FreeShape(&font.info, vertices);

  // Stroke width: one high-resolution pixel (half an output pixel) thicker or
  // thinner; thin only where the stem stays at least 3 such pixels wide.
  const double stroke = rng.uniform();
  if (stroke < 0.3) {
    morph3x3(hires, side, true);
  } else if (stroke < 0.5 && font.stem * render_scale >= 5.0) {
    morph3x3(hires, side, false);
  }

  // Intensities: contrast of at least 0.35 either polarity, a linear lighting
  // gradient, and Gaussian noise of random strength.
  const double contrast = rng.uniform(0.35, 0.9);
  const double low = rng.uniform(0.0, 1.0 - contrast);
  const bool dark_on_light = rng.bernoulli(0.5);
  const double foreground = dark_on_light ? low : low + contrast;
  const double background = dark_on_light ? low + contrast : low;
  const double gradient_x = rng.uniform(-0.15, 0.15), gradient_y = rng.uniform(-0.15, 0.15);
  const double noise = rng.uniform(0.01, 0.08);

  Image out = make_image(1, S, S);
  for (int y = 0; y < S; ++y) {
    const std::uint8_t* row0 = &hires[static_cast<std::size_t>(2 * y) * side];
    const std::uint8_t* row1 = row0 + side;
    for (int x = 0; x < S; ++x) {
      const double coverage = (row0[2 * x] + row0[2 * x + 1] + row1[2 * x] + row1[2 * x + 1]) * (1.0 / 1020.0);
      double v = background + (foreground - background) * coverage;
      v += gradient_x * ((x + 0.5) / S - 0.5) + gradient_y * ((y + 0.5) / S - 0.5);
      v += noise * rng.normal();
      out.at(0, y, x) = static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
    }
  }
  return out;
}

}  // namespace nanossl::data
