// `shapes`: each shape is an exact signed distance function in the shape's unit
// frame (polygons with Quilez's polygon distance, circles, an ellipse, a heart as
// a union); coverage = clamp(0.5 - distance in pixels) anti-aliases the outline,
// and the same trick anti-aliases the stripe, checker and dot fill textures.
#include "data/shapes.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "data/keyed_random.h"

namespace nanossl::data {

namespace {

// Separates this generator's random streams from other generators given the same seed.
constexpr std::uint64_t kShapesSalt = 0x7368617065730002ull;
constexpr double kPi = 3.14159265358979323846;

constexpr const char* kShapeNames[ShapesDataset::kNumShapes] = {"circle", "ellipse",  "triangle", "square",
                                                                "pentagon", "star", "cross", "heart"};
constexpr const char* kTextureNames[ShapesDataset::kNumTextures] = {"solid", "stripes", "checker", "dots"};
// The coarsest level: does the outline have a curved part (circle, ellipse, heart:
// discs and arcs) or only straight edges (the polygons, the star and the cross)?
constexpr const char* kOutlineNames[2] = {"curved", "straight"};
constexpr int kOutlineOfShape[ShapesDataset::kNumShapes] = {0, 0, 1, 1, 1, 1, 1, 0};

struct Vec2 {
  double x, y;
};

std::vector<Vec2> regular_polygon(int sides, double radius, double start_angle) {
  std::vector<Vec2> v;
  for (int i = 0; i < sides; ++i) {
    const double a = start_angle + 2 * kPi * i / sides;
    v.push_back({radius * std::cos(a), radius * std::sin(a)});
  }
  return v;
}

std::vector<Vec2> star_outline() {
  std::vector<Vec2> v;
  for (int i = 0; i < 10; ++i) {
    const double a = kPi / 2 + kPi * i / 5, r = i % 2 == 0 ? 1.0 : 0.42;
    v.push_back({r * std::cos(a), r * std::sin(a)});
  }
  return v;
}

std::vector<Vec2> cross_outline() {
  const double w = 0.3, l = 0.95;
  return {{w, w}, {w, l}, {-w, l}, {-w, w}, {-l, w}, {-l, -w}, {-w, -w}, {-w, -l}, {w, -l}, {w, -w}, {l, -w}, {l, w}};
}

// The heart is a diamond (a square on its corner) with a disc on each upper side.
constexpr double kHeartSide = 1.1, kHeartLift = 0.09;
std::vector<Vec2> heart_diamond() {
  const double h = kHeartSide / std::sqrt(2.0), bottom = -0.95 + kHeartLift;
  return {{0, bottom}, {h, bottom + h}, {0, bottom + 2 * h}, {-h, bottom + h}};
}

// The polygon outlines in the unit frame (y up), built once; empty for the round shapes.
const std::vector<Vec2>& outline(int shape) {
  static const std::array<std::vector<Vec2>, ShapesDataset::kNumShapes> outlines = {
      std::vector<Vec2>{},
      std::vector<Vec2>{},
      regular_polygon(3, 1.0, kPi / 2),
      regular_polygon(4, 0.95, kPi / 4),
      regular_polygon(5, 0.92, kPi / 2),
      star_outline(),
      cross_outline(),
      heart_diamond()};
  return outlines[static_cast<std::size_t>(shape)];
}

// Signed distance to a simple polygon (negative inside), after Inigo Quilez.
double polygon_distance(const std::vector<Vec2>& v, Vec2 p) {
  double d = (p.x - v[0].x) * (p.x - v[0].x) + (p.y - v[0].y) * (p.y - v[0].y);
  double sign = 1;
  const std::size_t n = v.size();
  for (std::size_t i = 0, j = n - 1; i < n; j = i, ++i) {
    const Vec2 e{v[j].x - v[i].x, v[j].y - v[i].y}, w{p.x - v[i].x, p.y - v[i].y};
    const double t = std::clamp((w.x * e.x + w.y * e.y) / (e.x * e.x + e.y * e.y), 0.0, 1.0);
    const Vec2 b{w.x - e.x * t, w.y - e.y * t};
    d = std::min(d, b.x * b.x + b.y * b.y);
    const bool above = p.y >= v[i].y, below = p.y < v[j].y, left = e.x * w.y > e.y * w.x;
    if ((above && below && left) || (!above && !below && !left)) sign = -sign;
  }
  return sign * std::sqrt(d);
}

// Approximate signed distance to the ellipse with semi-axes (a, b) (Quilez's bound).
double ellipse_distance(Vec2 p, double a, double b) {
  const double k0 = std::hypot(p.x / a, p.y / b), k1 = std::hypot(p.x / (a * a), p.y / (b * b));
  return k1 > 1e-9 ? k0 * (k0 - 1.0) / k1 : -std::min(a, b);
}

// Signed distance, in units of the shape's radius, from point p of the unit frame.
double shape_distance(int shape, Vec2 p, double ellipse_minor) {
  switch (shape) {
    case 0: return std::hypot(p.x, p.y) - 0.8;
    case 1: return ellipse_distance(p, 1.0, ellipse_minor);
    case 7: {
      const double c = kHeartSide / (2 * std::sqrt(2.0)), cy = -0.95 + kHeartLift + 3 * c;
      const double lobes = std::min(std::hypot(p.x - c, p.y - cy), std::hypot(p.x + c, p.y - cy)) - kHeartSide / 2;
      return std::min(lobes, polygon_distance(outline(shape), p));
    }
    default: return polygon_distance(outline(shape), p);
  }
}

// Anti-aliased square wave of period 1 in u, duty 1/2: 1 on, 0 off.
double stripe(double u, double period_px) {
  const double w = u - std::floor(u) - 0.5;
  return std::clamp(0.5 - (std::abs(w) - 0.25) * period_px, 0.0, 1.0);
}

double texture_value(int texture, double u, double v, double period_px) {
  switch (texture) {
    case 1: return stripe(u, period_px);
    case 2: {
      const double a = stripe(u, period_px), b = stripe(v, period_px);
      return a + b - 2 * a * b;
    }
    case 3: {
      const double wu = u - std::floor(u) - 0.5, wv = v - std::floor(v) - 0.5;
      return std::clamp(0.5 - (std::hypot(wu, wv) - 0.28) * period_px, 0.0, 1.0);
    }
    default: return 0.0;
  }
}

// A colour of luminance `level`: grey, or with a random chroma orthogonal to grey.
std::array<double, 3> colour(double level, int channels, KeyedRandom& rng) {
  const double chroma = rng.uniform(0.0, 0.3), hue = rng.uniform(0.0, 2 * kPi);
  if (channels == 1) return {level, level, level};
  // Two unit vectors orthogonal to (1, 1, 1).
  const double c1 = chroma * std::cos(hue), c2 = chroma * std::sin(hue);
  return {level + c1 * 0.8165, level - c1 * 0.4082 + c2 * 0.7071, level - c1 * 0.4082 - c2 * 0.7071};
}

// n standard normals, both halves of each Box-Muller pair used (pixel noise is
// the generator's main cost).
std::vector<double> normals(std::size_t n, KeyedRandom& rng) {
  std::vector<double> out(n + 1);
  for (std::size_t i = 0; i < n; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(1.0 - rng.uniform())), a = 2 * kPi * rng.uniform();
    out[i] = r * std::cos(a);
    out[i + 1] = r * std::sin(a);
  }
  out.resize(n);
  return out;
}

}  // namespace

ShapesDataset::ShapesDataset(std::int64_t size, std::uint64_t seed, int image_size, int channels)
    : size_(size), seed_(seed), image_size_(image_size), channels_(channels) {
  if (size < 0 || size > (std::int64_t{1} << 32)) {
    throw std::invalid_argument("[shapes] size " + std::to_string(size) + " is outside [0, 2^32]");
  }
  if (image_size < 8 || image_size > 1024) {
    throw std::invalid_argument("[shapes] image size " + std::to_string(image_size) + " is outside [8, 1024]");
  }
  if (channels != 1 && channels != 3) {
    throw std::invalid_argument("[shapes] channels must be 1 or 3, got " + std::to_string(channels));
  }
  // Levels, coarsest first: outline (curved or straight), shape, and the fine shape/texture.
  LabelLevel outline{"coarse", {kOutlineNames[0], kOutlineNames[1]}, {}}, shape{"shape", {}, {}};
  for (int s = 0; s < kNumShapes; ++s) {
    shape.class_names.emplace_back(kShapeNames[s]);
    for (int t = 0; t < kNumTextures; ++t) {
      hierarchy_.fine_names.push_back(std::string(kShapeNames[s]) + "/" + kTextureNames[t]);
      outline.of_fine.push_back(kOutlineOfShape[s]);
      shape.of_fine.push_back(s);
    }
  }
  hierarchy_.levels = {outline, shape};
  hierarchy_.validate(name());
}

std::int64_t ShapesDataset::label(std::int64_t index) const {
  check_index(*this, index);
  return index % kNumClasses;
}

Image ShapesDataset::image(std::int64_t index) const {
  const std::int64_t cls = label(index);
  const int shape = static_cast<int>(cls / kNumTextures), texture = static_cast<int>(cls % kNumTextures);
  KeyedRandom rng(seed_ ^ kShapesSalt, kPurposeGenerate, 0, static_cast<std::uint64_t>(index));
  const int S = image_size_;

  // Geometry, in pixels: radius, centre (the shape stays inside), rotation.
  const double radius = rng.uniform(0.26, 0.40) * S;
  const double cx = rng.uniform(radius + 1, S - radius - 1), cy = rng.uniform(radius + 1, S - radius - 1);
  const double angle = rng.uniform(0.0, 2 * kPi);
  const double ellipse_minor = rng.uniform(0.45, 0.6);
  // Texture: period in pixels, orientation and phase.
  const double period = std::max(3.0, rng.uniform(3.5, 6.0) * S / 32.0);
  const double texture_angle = rng.uniform(0.0, kPi);
  const double phase_u = rng.uniform(), phase_v = rng.uniform();

  // Luminances: shape vs background at least 0.3 apart, texture vs shape at least
  // 0.25 and texture vs background at least 0.15 (rejection, bounded; then a fixed triple).
  double background = 0.1, foreground = 0.9, second = 0.45;
  for (int attempt = 0; attempt < 32; ++attempt) {
    const double b = rng.uniform(), f = rng.uniform(), t = rng.uniform();
    if (std::abs(f - b) >= 0.3 && std::abs(t - f) >= 0.25 && std::abs(t - b) >= 0.15) {
      background = b, foreground = f, second = t;
      break;
    }
  }
  const auto bg = colour(background, channels_, rng), fg = colour(foreground, channels_, rng),
             tx = colour(second, channels_, rng);
  // Background clutter: a lighting gradient and one faint long-wave sinusoid; then noise.
  const double gradient_x = rng.uniform(-0.15, 0.15), gradient_y = rng.uniform(-0.15, 0.15);
  const double wave_amplitude = rng.uniform(0.0, 0.08), wave_length = rng.uniform(0.5, 1.5) * S;
  const double wave_angle = rng.uniform(0.0, kPi), wave_phase = rng.uniform(0.0, 2 * kPi);
  const double noise = rng.uniform(0.02, 0.12);

  const double cs = std::cos(angle), sn = std::sin(angle);
  const double tcs = std::cos(texture_angle), tsn = std::sin(texture_angle);
  const double wcs = std::cos(wave_angle) * 2 * kPi / wave_length, wsn = std::sin(wave_angle) * 2 * kPi / wave_length;
  const double reach = radius + 1.0;  // beyond it the coverage is 0
  Image out = make_image(channels_, S, S);
  const std::vector<double> pixel_noise = normals(out.size(), rng);
  for (int y = 0; y < S; ++y) {
    for (int x = 0; x < S; ++x) {
      const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      double coverage = 0, pattern = 0;
      if (dx * dx + dy * dy < reach * reach) {
        // Into the unit frame: undo the rotation, flip to y up, divide by the radius.
        const Vec2 p{(cs * dx + sn * dy) / radius, (sn * dx - cs * dy) / radius};
        coverage = std::clamp(0.5 - shape_distance(shape, p, ellipse_minor) * radius, 0.0, 1.0);
        if (coverage > 0 && texture != 0) {
          const double u = (tcs * dx + tsn * dy) / period + phase_u, v = (tcs * dy - tsn * dx) / period + phase_v;
          pattern = texture_value(texture, u, v, period);
        }
      }
      const double light = gradient_x * ((x + 0.5) / S - 0.5) + gradient_y * ((y + 0.5) / S - 0.5) +
                           wave_amplitude * std::sin(wcs * x + wsn * y + wave_phase);
      for (int c = 0; c < channels_; ++c) {
        const double inside = fg[c] + (tx[c] - fg[c]) * pattern;
        const double grain = noise * pixel_noise[(static_cast<std::size_t>(c) * S + y) * S + x];
        const double v = bg[c] + (inside - bg[c]) * coverage + light + grain;
        out.at(c, y, x) = static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
      }
    }
  }
  return out;
}

}  // namespace nanossl::data
