// The augmentation pipeline: parameters are drawn first (draw_simclr_params), then
// applied straight from the 8-bit source into the caller's float buffer (a batch
// tensor's memory), so the hot path allocates nothing but small scratch rows.
// Colour operations follow torchvision.transforms.functional on float tensors.
#include "data/augment.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

namespace nanossl::data {
namespace {

// torchvision's rgb_to_grayscale weights (tensor path).
constexpr float kLumaR = 0.2989f, kLumaG = 0.587f, kLumaB = 0.114f;

float clamp01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

// byte / 255, exactly as to_float computes it.
const float* byte_to_float_table() {
  static const auto table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = static_cast<float>(i) * (1.0f / 255.0f);
    return t;
  }();
  return table.data();
}

void check_probability(double p, const char* name) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw std::invalid_argument(std::string("[simclr] ") + name + " must be in [0, 1], got " + std::to_string(p));
  }
}

void check_image(const Image& image, const char* op) {
  if (image.channels != 1 && image.channels != 3) {
    throw std::invalid_argument(std::string("[") + op + "] images must have 1 or 3 channels, got " +
                                std::to_string(image.channels));
  }
  if (image.height <= 0 || image.width <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.channels) * image.height * image.width) {
    throw std::invalid_argument(std::string("[") + op + "] image of " + std::to_string(image.channels) + "x" +
                                std::to_string(image.height) + "x" + std::to_string(image.width) + " holds " +
                                std::to_string(image.pixels.size()) + " bytes");
  }
}

void check_out_size(int out_size, const char* op) {
  if (out_size <= 0) throw std::invalid_argument(std::string("[") + op + "] invalid output size " + std::to_string(out_size));
}

// Index into [0, n) with reflection at both ends (no edge repeat: -1 -> 1).
int reflect(int i, int n) {
  if (n == 1) return 0;
  const int period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

}  // namespace

void SimclrAugmentConfig::validate() const {
  if (!(crop_scale_min > 0.0 && crop_scale_min <= crop_scale_max && crop_scale_max <= 1.0)) {
    throw std::invalid_argument("[simclr] crop scale must satisfy 0 < min <= max <= 1, got [" +
                                std::to_string(crop_scale_min) + ", " + std::to_string(crop_scale_max) + "]");
  }
  if (!(crop_ratio_min > 0.0 && crop_ratio_min <= crop_ratio_max)) {
    throw std::invalid_argument("[simclr] crop ratio must satisfy 0 < min <= max, got [" +
                                std::to_string(crop_ratio_min) + ", " + std::to_string(crop_ratio_max) + "]");
  }
  if (crop_attempts < 0) throw std::invalid_argument("[simclr] crop_attempts must be >= 0");
  check_probability(flip_p, "flip_p");
  check_probability(jitter_p, "jitter_p");
  check_probability(grayscale_p, "grayscale_p");
  check_probability(blur_p, "blur_p");
  if (!(strength >= 0.0 && 0.2 * strength <= 0.5)) {
    throw std::invalid_argument("[simclr] jitter strength must be in [0, 2.5] (hue 0.2 s <= 0.5), got " +
                                std::to_string(strength));
  }
  if (!(blur_sigma_min > 0.0 && blur_sigma_min <= blur_sigma_max)) {
    throw std::invalid_argument("[simclr] blur sigma must satisfy 0 < min <= max");
  }
  if (!(blur_kernel_fraction > 0.0 && blur_kernel_fraction <= 1.0)) {
    throw std::invalid_argument("[simclr] blur_kernel_fraction must be in (0, 1]");
  }
}

bool SimclrAugmentConfig::blur_enabled(int out_size) const {
  switch (blur) {
    case BlurMode::on: return true;
    case BlurMode::off: return false;
    case BlurMode::automatic: return out_size > 32;
  }
  return false;
}

Augmentation parse_augmentation(const std::string& text) {
  if (text == "none") return Augmentation::none;
  if (text == "supervised") return Augmentation::supervised;
  if (text == "simclr") return Augmentation::simclr;
  throw std::invalid_argument("[augmentation] unknown name '" + text + "' (expected simclr, supervised or none)");
}

std::string to_string(Augmentation augmentation) {
  switch (augmentation) {
    case Augmentation::none: return "none";
    case Augmentation::supervised: return "supervised";
    case Augmentation::simclr: return "simclr";
  }
  return "unknown";
}

CropBox random_resized_crop_box(int height, int width, const SimclrAugmentConfig& config, KeyedRandom& rng) {
  const double area = static_cast<double>(height) * width;
  const double log_lo = std::log(config.crop_ratio_min), log_hi = std::log(config.crop_ratio_max);
  for (int attempt = 0; attempt < config.crop_attempts; ++attempt) {
    const double target = area * rng.uniform(config.crop_scale_min, config.crop_scale_max);
    const double aspect = std::exp(rng.uniform(log_lo, log_hi));
    const int w = static_cast<int>(std::lround(std::sqrt(target * aspect)));
    const int h = static_cast<int>(std::lround(std::sqrt(target / aspect)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const int top = static_cast<int>(rng.below(height - h + 1));
      const int left = static_cast<int>(rng.below(width - w + 1));
      return CropBox{top, left, h, w};
    }
  }
  // Fallback: the largest centred crop whose aspect lies within the range.
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < config.crop_ratio_min) {
    h = std::clamp(static_cast<int>(std::lround(w / config.crop_ratio_min)), 1, height);
  } else if (in_ratio > config.crop_ratio_max) {
    w = std::clamp(static_cast<int>(std::lround(h * config.crop_ratio_max)), 1, width);
  }
  return CropBox{(height - h) / 2, (width - w) / 2, h, w};
}

SimclrParams draw_simclr_params(int height, int width, const SimclrAugmentConfig& config, KeyedRandom& rng,
                                int out_size) {
  SimclrParams p;
  p.crop = random_resized_crop_box(height, width, config, rng);
  p.flip = rng.bernoulli(config.flip_p);
  p.jitter = rng.bernoulli(config.jitter_p);
  const double b = 0.8 * config.strength, h = 0.2 * config.strength;
  const double brightness = rng.uniform(std::max(0.0, 1.0 - b), 1.0 + b);
  const double contrast = rng.uniform(std::max(0.0, 1.0 - b), 1.0 + b);
  const double saturation = rng.uniform(std::max(0.0, 1.0 - b), 1.0 + b);
  const double hue = rng.uniform(-h, h);
  for (int i = 3; i > 0; --i) std::swap(p.order[i], p.order[rng.below(i + 1)]);
  if (p.jitter) {
    p.brightness = brightness;
    p.contrast = contrast;
    p.saturation = saturation;
    p.hue = hue;
  }
  p.grayscale = rng.bernoulli(config.grayscale_p);
  const bool blur = rng.bernoulli(config.blur_p);
  const double sigma = rng.uniform(config.blur_sigma_min, config.blur_sigma_max);
  if (blur && config.blur_enabled(out_size)) {
    int kernel = static_cast<int>(config.blur_kernel_fraction * out_size);
    if (kernel % 2 == 0) ++kernel;
    p.blur_kernel = std::max(kernel, 3);
    p.blur_sigma = sigma;
  }
  return p;
}

void crop_resize_into(const Image& image, const CropBox& box, int out_size, bool flip, float* out) {
  check_image(image, "crop_resize");
  check_out_size(out_size, "crop_resize");
  if (box.height <= 0 || box.width <= 0 || box.top < 0 || box.left < 0 || box.top + box.height > image.height ||
      box.left + box.width > image.width) {
    throw std::invalid_argument("[crop_resize] crop " + std::to_string(box.height) + "x" + std::to_string(box.width) +
                                " at (" + std::to_string(box.top) + ", " + std::to_string(box.left) +
                                ") is outside the " + std::to_string(image.height) + "x" +
                                std::to_string(image.width) + " image");
  }
  const float* to_unit = byte_to_float_table();
  const int S = out_size;
  // Column taps, computed once per call; output column x samples source column
  // x (or S-1-x when flipped).
  thread_local std::vector<int> x0s, x1s;
  thread_local std::vector<float> wxs;
  x0s.resize(S);
  x1s.resize(S);
  wxs.resize(S);
  const float sx = static_cast<float>(box.width) / S, sy = static_cast<float>(box.height) / S;
  for (int x = 0; x < S; ++x) {
    const int src = flip ? S - 1 - x : x;
    const float fx = std::clamp((src + 0.5f) * sx - 0.5f, 0.0f, static_cast<float>(box.width - 1));
    const int x0 = static_cast<int>(fx);
    x0s[x] = box.left + x0;
    x1s[x] = box.left + std::min(x0 + 1, box.width - 1);
    wxs[x] = fx - x0;
  }
  const std::size_t plane = static_cast<std::size_t>(image.height) * image.width;
  for (int y = 0; y < S; ++y) {
    const float fy = std::clamp((y + 0.5f) * sy - 0.5f, 0.0f, static_cast<float>(box.height - 1));
    const int y0 = static_cast<int>(fy);
    const int y1 = std::min(y0 + 1, box.height - 1);
    const float wy = fy - y0;
    for (int c = 0; c < image.channels; ++c) {
      const std::uint8_t* row0 = image.pixels.data() + c * plane + static_cast<std::size_t>(box.top + y0) * image.width;
      const std::uint8_t* row1 = image.pixels.data() + c * plane + static_cast<std::size_t>(box.top + y1) * image.width;
      float* dst = out + (static_cast<std::size_t>(c) * S + y) * S;
      for (int x = 0; x < S; ++x) {
        const float wx = wxs[x];
        const float top = to_unit[row0[x0s[x]]] * (1.0f - wx) + to_unit[row0[x1s[x]]] * wx;
        const float bottom = to_unit[row1[x0s[x]]] * (1.0f - wx) + to_unit[row1[x1s[x]]] * wx;
        dst[x] = top * (1.0f - wy) + bottom * wy;
      }
    }
  }
}

void adjust_brightness(float* pixels, int channels, int plane, double factor) {
  const float f = static_cast<float>(factor);
  const std::size_t n = static_cast<std::size_t>(channels) * plane;
  for (std::size_t i = 0; i < n; ++i) pixels[i] = clamp01(pixels[i] * f);
}

void adjust_contrast(float* pixels, int channels, int plane, double factor) {
  double sum = 0.0;
  if (channels == 3) {
    const float *r = pixels, *g = pixels + plane, *b = pixels + 2 * plane;
    for (int i = 0; i < plane; ++i) sum += kLumaR * r[i] + kLumaG * g[i] + kLumaB * b[i];
  } else {
    for (int i = 0; i < plane; ++i) sum += pixels[i];
  }
  const float f = static_cast<float>(factor);
  const float offset = static_cast<float>((1.0 - factor) * sum / plane);
  const std::size_t n = static_cast<std::size_t>(channels) * plane;
  for (std::size_t i = 0; i < n; ++i) pixels[i] = clamp01(f * pixels[i] + offset);
}

void adjust_saturation(float* pixels, int channels, int plane, double factor) {
  if (channels != 3) throw std::invalid_argument("[saturation] needs 3 channels, got " + std::to_string(channels));
  const float f = static_cast<float>(factor), rest = 1.0f - f;
  float *r = pixels, *g = pixels + plane, *b = pixels + 2 * plane;
  for (int i = 0; i < plane; ++i) {
    const float gray = rest * (kLumaR * r[i] + kLumaG * g[i] + kLumaB * b[i]);
    r[i] = clamp01(f * r[i] + gray);
    g[i] = clamp01(f * g[i] + gray);
    b[i] = clamp01(f * b[i] + gray);
  }
}

// GCC if-converts (and so vectorises) this loop only without -ftrapping-math,
// which changes no value here; the attribute keeps that local to this function,
// so its helpers are written inline (functions with other options do not inline).
[[gnu::optimize("no-trapping-math")]] void adjust_hue(float* pixels, int channels, int plane, double shift) {
  if (channels != 3) throw std::invalid_argument("[hue] needs 3 channels, got " + std::to_string(channels));
  if (!(shift >= -0.5 && shift <= 0.5)) throw std::invalid_argument("[hue] shift must be in [-0.5, 0.5]");
  const float delta = static_cast<float>(shift);
  float *r = pixels, *g = pixels + plane, *b = pixels + 2 * plane;
  // Equal to torchvision's _rgb2hsv / _hsv2rgb up to float rounding
  // (tests/unit_augment.cpp compares them), written without branches.
  for (int i = 0; i < plane; ++i) {
    const float red = r[i], green = g[i], blue = b[i];
    const float gb_max = green > blue ? green : blue, gb_min = green < blue ? green : blue;
    const float maxc = red > gb_max ? red : gb_max, minc = red < gb_min ? red : gb_min;
    const float cr = maxc - minc;
    const bool flat = maxc == minc;
    const float s = cr / (flat ? 1.0f : maxc);
    const float inverse = 1.0f / (flat ? 1.0f : cr);
    const float rc = (maxc - red) * inverse, gc = (maxc - green) * inverse, bc = (maxc - blue) * inverse;
    float h = maxc == red ? bc - gc : (maxc == green ? 2.0f + rc - bc : 4.0f + gc - rc);
    h = h * (1.0f / 6.0f) + 1.0f + delta;  // in [1/3, 7/3): keep the fraction
    h -= static_cast<float>(static_cast<int>(h));
    const float h6 = h * 6.0f, v = maxc, vs = maxc * s;
    // HSV -> RGB in closed form: channel n (5 red, 3 green, 1 blue) is
    // v - v s clamp(min(k, 4 - k), 0, 1) with k = (n + 6h) mod 6.
    float out[3];
    const float offsets[3] = {5.0f, 3.0f, 1.0f};
    for (int n = 0; n < 3; ++n) {
      float k = offsets[n] + h6;
      k = k >= 6.0f ? k - 6.0f : k;
      float ramp = k < 4.0f - k ? k : 4.0f - k;
      ramp = ramp < 0.0f ? 0.0f : (ramp > 1.0f ? 1.0f : ramp);
      out[n] = v - vs * ramp;  // within [0, v]: no clipping needed
    }
    r[i] = out[0];
    g[i] = out[1];
    b[i] = out[2];
  }
}

void to_grayscale_inplace(float* pixels, int channels, int plane) {
  if (channels == 1) return;
  if (channels != 3) throw std::invalid_argument("[grayscale] needs 1 or 3 channels, got " + std::to_string(channels));
  float *r = pixels, *g = pixels + plane, *b = pixels + 2 * plane;
  for (int i = 0; i < plane; ++i) {
    const float gray = clamp01(kLumaR * r[i] + kLumaG * g[i] + kLumaB * b[i]);
    r[i] = gray;
    g[i] = gray;
    b[i] = gray;
  }
}

void gaussian_blur(float* pixels, int channels, int height, int width, double sigma, int kernel) {
  if (kernel <= 0 || kernel % 2 == 0) throw std::invalid_argument("[gaussian_blur] kernel must be odd, got " + std::to_string(kernel));
  if (!(sigma > 0.0)) throw std::invalid_argument("[gaussian_blur] sigma must be positive");
  const int radius = kernel / 2;
  thread_local std::vector<float> weights, scratch;
  weights.resize(kernel);
  double total = 0.0;
  for (int k = 0; k < kernel; ++k) {
    const double x = (k - radius) / sigma;
    weights[k] = static_cast<float>(std::exp(-0.5 * x * x));
    total += weights[k];
  }
  for (float& w : weights) w = static_cast<float>(w / total);
  const std::size_t plane = static_cast<std::size_t>(height) * width;
  scratch.resize(plane);
  for (int c = 0; c < channels; ++c) {
    float* img = pixels + c * plane;
    for (int y = 0; y < height; ++y) {  // rows into scratch
      const float* row = img + static_cast<std::size_t>(y) * width;
      for (int x = 0; x < width; ++x) {
        float acc = 0.0f;
        for (int k = 0; k < kernel; ++k) acc += weights[k] * row[reflect(x + k - radius, width)];
        scratch[static_cast<std::size_t>(y) * width + x] = acc;
      }
    }
    for (int y = 0; y < height; ++y) {  // columns back into the image
      float* dst = img + static_cast<std::size_t>(y) * width;
      for (int x = 0; x < width; ++x) dst[x] = 0.0f;
      for (int k = 0; k < kernel; ++k) {
        const float w = weights[k];
        const float* src = scratch.data() + static_cast<std::size_t>(reflect(y + k - radius, height)) * width;
        for (int x = 0; x < width; ++x) dst[x] += w * src[x];
      }
      for (int x = 0; x < width; ++x) dst[x] = clamp01(dst[x]);
    }
  }
}

void apply_simclr(const Image& image, const SimclrParams& params, int out_size, float* out) {
  crop_resize_into(image, params.crop, out_size, params.flip, out);
  const int channels = image.channels, plane = out_size * out_size;
  if (params.jitter) {
    for (JitterOp op : params.order) {
      switch (op) {
        case JitterOp::brightness: adjust_brightness(out, channels, plane, params.brightness); break;
        case JitterOp::contrast: adjust_contrast(out, channels, plane, params.contrast); break;
        case JitterOp::saturation:
          if (channels == 3) adjust_saturation(out, channels, plane, params.saturation);
          break;
        case JitterOp::hue:
          if (channels == 3) adjust_hue(out, channels, plane, params.hue);
          break;
      }
    }
  }
  if (params.grayscale) to_grayscale_inplace(out, channels, plane);
  if (params.blur_sigma > 0.0) gaussian_blur(out, channels, out_size, out_size, params.blur_sigma, params.blur_kernel);
}

void simclr_view_into(const Image& image, const SimclrAugmentConfig& config, KeyedRandom& rng, int out_size,
                      float* out) {
  check_image(image, "simclr");
  check_out_size(out_size, "simclr");
  apply_simclr(image, draw_simclr_params(image.height, image.width, config, rng, out_size), out_size, out);
}

FloatImage simclr_view(const Image& image, const SimclrAugmentConfig& config, KeyedRandom& rng, int out_size) {
  config.validate();
  check_out_size(out_size, "simclr");
  FloatImage view{image.channels, out_size, out_size,
                  std::vector<float>(static_cast<std::size_t>(std::max(image.channels, 0)) * out_size * out_size)};
  simclr_view_into(image, config, rng, out_size, view.pixels.data());
  return view;
}

void eval_view_into(const Image& image, int out_size, float* out) {
  check_image(image, "eval_view");
  const int side = std::min(image.height, image.width);
  crop_resize_into(image, CropBox{(image.height - side) / 2, (image.width - side) / 2, side, side}, out_size, false, out);
}

FloatImage eval_view(const Image& image, int out_size) {
  check_out_size(out_size, "eval_view");
  FloatImage view{image.channels, out_size, out_size,
                  std::vector<float>(static_cast<std::size_t>(std::max(image.channels, 0)) * out_size * out_size)};
  eval_view_into(image, out_size, view.pixels.data());
  return view;
}

void train_supervised_view_into(const Image& image, const SupervisedAugmentConfig& config, KeyedRandom& rng,
                                int out_size, float* out) {
  if (config.padding < 0) throw std::invalid_argument("[supervised] padding must be >= 0");
  if (!(config.flip_p >= 0.0 && config.flip_p <= 1.0)) throw std::invalid_argument("[supervised] flip_p must be in [0, 1]");
  const int S = out_size, pad = config.padding;
  const std::size_t plane = static_cast<std::size_t>(S) * S;
  thread_local std::vector<float> source;
  source.resize(static_cast<std::size_t>(std::max(image.channels, 0)) * plane);
  eval_view_into(image, S, source.data());  // the image at out_size, as floats
  const int top = static_cast<int>(rng.below(2 * pad + 1)) - pad;
  const int left = static_cast<int>(rng.below(2 * pad + 1)) - pad;
  const bool flip = rng.bernoulli(config.flip_p);
  for (int c = 0; c < image.channels; ++c) {
    for (int y = 0; y < S; ++y) {
      float* dst = out + c * plane + static_cast<std::size_t>(y) * S;
      const int sy = y + top;
      if (sy < 0 || sy >= S) {
        std::fill(dst, dst + S, 0.0f);
        continue;
      }
      const float* src = source.data() + c * plane + static_cast<std::size_t>(sy) * S;
      for (int x = 0; x < S; ++x) {
        const int sx = (flip ? S - 1 - x : x) + left;
        dst[x] = (sx >= 0 && sx < S) ? src[sx] : 0.0f;
      }
    }
  }
}

FloatImage train_supervised_view(const Image& image, const SupervisedAugmentConfig& config, KeyedRandom& rng,
                                 int out_size) {
  check_out_size(out_size, "supervised");
  FloatImage view{image.channels, out_size, out_size,
                  std::vector<float>(static_cast<std::size_t>(std::max(image.channels, 0)) * out_size * out_size)};
  train_supervised_view_into(image, config, rng, out_size, view.pixels.data());
  return view;
}

}  // namespace nanossl::data
