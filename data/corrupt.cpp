// The corruptions of the data-quality study, their text specs ("jpeg:10"), and the
// dataset wrapper that applies one with a draw fixed per image. Filters work on
// float images in [0, 1] and round back to bytes once at the end.
#include "data/corrupt.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "data/codec.h"

namespace nanossl::data {

namespace {

const char* const kValidSpecs =
    "valid: none, salt_pepper:P (0 < P <= 1), jpeg:Q (integer 1..100), resize:F (0 < F < 1), downsample:2, "
    "downsample:4, blur:SIGMA (0 < SIGMA <= 10 pixels), noise:SIGMA (0 < SIGMA <= 1)";

// Why `spec` is invalid, or "" if it is valid.
std::string range_problem(const CorruptionSpec& spec) {
  const double s = spec.strength;
  switch (spec.kind) {
    case Corruption::none: return s == 0.0 ? "" : "none takes no strength";
    case Corruption::salt_pepper: return s > 0.0 && s <= 1.0 ? "" : "salt_pepper probability must be in (0, 1]";
    case Corruption::jpeg:
      return s >= 1.0 && s <= 100.0 && s == std::floor(s) ? "" : "jpeg quality must be an integer in [1, 100]";
    case Corruption::resize: return s > 0.0 && s < 1.0 ? "" : "resize factor must be in (0, 1)";
    case Corruption::downsample2: return s == 2.0 ? "" : "downsample2 has strength 2";
    case Corruption::downsample4: return s == 4.0 ? "" : "downsample4 has strength 4";
    case Corruption::gaussian_blur: return s > 0.0 && s <= 10.0 ? "" : "blur sigma must be in (0, 10]";
    case Corruption::gaussian_noise: return s > 0.0 && s <= 1.0 ? "" : "noise sigma must be in (0, 1]";
  }
  return "unknown corruption kind";
}

std::string format_number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);  // shortest round trip
  return std::string(buffer, result.ptr);
}

// Each byte is 0 (pepper) with probability p/2 and 255 (salt) with probability p/2;
// one draw per pixel decides all its channels together.
Image salt_and_pepper(const Image& image, double p, KeyedRandom& random) {
  Image out = image;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const double u = random.uniform();
      if (u >= p) continue;
      const std::uint8_t value = u < p / 2 ? 0 : 255;
      for (int c = 0; c < image.channels; ++c) out.at(c, y, x) = value;
    }
  }
  return out;
}

Image jpeg_round_trip(const Image& image, int quality) {
  const std::vector<std::uint8_t> bytes = encode_jpeg(image, quality);
  Image decoded = decode_jpeg(bytes.data(), bytes.size(), "corrupt jpeg:" + std::to_string(quality));
  if (decoded.height != image.height || decoded.width != image.width) {
    throw std::runtime_error("[corrupt jpeg] decoded " + std::to_string(decoded.height) + "x" +
                             std::to_string(decoded.width) + " from a " + std::to_string(image.height) + "x" +
                             std::to_string(image.width) + " image");
  }
  return with_channels(decoded, image.channels);
}

// Mean over each output pixel's source area, PyTorch's adaptive average pooling
// bounds: rows [floor(y H / h), ceil((y + 1) H / h)); k x k blocks when k divides H.
FloatImage area_average(const FloatImage& image, int height, int width) {
  FloatImage out{image.channels, height, width,
                 std::vector<float>(static_cast<std::size_t>(image.channels) * height * width)};
  for (int y = 0; y < height; ++y) {
    const int y0 = y * image.height / height, y1 = ((y + 1) * image.height + height - 1) / height;
    for (int x = 0; x < width; ++x) {
      const int x0 = x * image.width / width, x1 = ((x + 1) * image.width + width - 1) / width;
      for (int c = 0; c < image.channels; ++c) {
        double sum = 0.0;
        for (int sy = y0; sy < y1; ++sy) {
          for (int sx = x0; sx < x1; ++sx) sum += image.at(c, sy, sx);
        }
        out.at(c, y, x) = static_cast<float>(sum / ((y1 - y0) * (x1 - x0)));
      }
    }
  }
  return out;
}

FloatImage downsample(const FloatImage& image, int factor) {
  const FloatImage small = area_average(image, std::max(1, image.height / factor), std::max(1, image.width / factor));
  return resize_bilinear(small, image.height, image.width);
}

FloatImage resize_down_up(const FloatImage& image, double factor) {
  const int height = std::max(1, static_cast<int>(std::lround(image.height * factor)));
  const int width = std::max(1, static_cast<int>(std::lround(image.width * factor)));
  return resize_bilinear(resize_bilinear(image, height, width), image.height, image.width);
}

// Separable Gaussian of radius ceil(3 sigma), normalised, edges clamped.
FloatImage gaussian_blur(const FloatImage& image, double sigma) {
  const int radius = static_cast<int>(std::ceil(3.0 * sigma));
  std::vector<float> kernel(static_cast<std::size_t>(2 * radius + 1));
  double total = 0.0;
  for (int k = -radius; k <= radius; ++k) {
    kernel[k + radius] = static_cast<float>(std::exp(-k * k / (2 * sigma * sigma)));
    total += kernel[k + radius];
  }
  for (float& w : kernel) w = static_cast<float>(w / total);
  auto clamp_x = [&](int x) { return std::clamp(x, 0, image.width - 1); };
  auto clamp_y = [&](int y) { return std::clamp(y, 0, image.height - 1); };

  FloatImage rows = image, out = image;
  for (int c = 0; c < image.channels; ++c) {
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) {
        float sum = 0.0f;
        for (int k = -radius; k <= radius; ++k) sum += kernel[k + radius] * image.at(c, y, clamp_x(x + k));
        rows.at(c, y, x) = sum;
      }
    }
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) {
        float sum = 0.0f;
        for (int k = -radius; k <= radius; ++k) sum += kernel[k + radius] * rows.at(c, clamp_y(y + k), x);
        out.at(c, y, x) = sum;
      }
    }
  }
  return out;
}

// Independent N(0, sigma) on every value (each channel of each pixel); clipped later.
FloatImage gaussian_noise(const FloatImage& image, double sigma, KeyedRandom& random) {
  FloatImage out = image;
  for (float& v : out.pixels) v += static_cast<float>(sigma * random.normal());
  return out;
}

}  // namespace

void validate(const CorruptionSpec& spec) {
  const std::string problem = range_problem(spec);
  if (!problem.empty()) {
    throw std::invalid_argument("[corruption] invalid spec (strength " + format_number(spec.strength) + "): " +
                                problem + "; " + kValidSpecs);
  }
}

CorruptionSpec default_corruption(Corruption kind) {
  switch (kind) {
    case Corruption::none: return {kind, 0.0};
    case Corruption::salt_pepper: return {kind, 0.05};
    case Corruption::jpeg: return {kind, 10.0};
    case Corruption::resize: return {kind, 0.75};
    case Corruption::downsample2: return {kind, 2.0};
    case Corruption::downsample4: return {kind, 4.0};
    case Corruption::gaussian_blur: return {kind, 1.0};
    case Corruption::gaussian_noise: return {kind, 0.1};
  }
  throw std::invalid_argument("[corruption] unknown corruption kind");
}

std::vector<CorruptionSpec> quality_study_corruptions() {
  return {default_corruption(Corruption::salt_pepper), default_corruption(Corruption::jpeg),
          default_corruption(Corruption::resize), default_corruption(Corruption::downsample2),
          default_corruption(Corruption::downsample4)};
}

CorruptionSpec parse_corruption(const std::string& text) {
  auto fail = [&](const std::string& why) {
    return std::invalid_argument("[corruption] invalid spec '" + text + "': " + why + "; " + kValidSpecs);
  };
  const std::size_t colon = text.find(':');
  const std::string kind_text = text.substr(0, colon);
  const bool has_value = colon != std::string::npos;
  double value = 0.0;
  if (has_value) {
    const char* begin = text.data() + colon + 1;
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(begin, end, value);
    if (begin == end || result.ec != std::errc() || result.ptr != end || !std::isfinite(value)) {
      throw fail("'" + std::string(begin, end) + "' is not a number");
    }
  }
  CorruptionSpec spec;
  if (kind_text == "none") {
    if (has_value) throw fail("none takes no strength");
    return spec;
  } else if (kind_text == "salt_pepper") {
    spec.kind = Corruption::salt_pepper;
  } else if (kind_text == "jpeg") {
    spec.kind = Corruption::jpeg;
  } else if (kind_text == "resize") {
    spec.kind = Corruption::resize;
  } else if (kind_text == "blur" || kind_text == "gaussian_blur") {
    spec.kind = Corruption::gaussian_blur;
  } else if (kind_text == "noise" || kind_text == "gaussian_noise") {
    spec.kind = Corruption::gaussian_noise;
  } else if (kind_text == "downsample") {
    if (!has_value) throw fail("downsample needs its factor, 2 or 4");
    if (value != 2.0 && value != 4.0) throw fail("downsample factor must be 2 or 4");
    return {value == 2.0 ? Corruption::downsample2 : Corruption::downsample4, value};
  } else {
    throw fail("unknown corruption '" + kind_text + "'");
  }
  spec.strength = has_value ? value : default_corruption(spec.kind).strength;
  const std::string problem = range_problem(spec);
  if (!problem.empty()) throw fail(problem);
  return spec;
}

std::string to_string(const CorruptionSpec& spec) {
  switch (spec.kind) {
    case Corruption::none: return "none";
    case Corruption::salt_pepper: return "salt_pepper:" + format_number(spec.strength);
    case Corruption::jpeg: return "jpeg:" + format_number(spec.strength);
    case Corruption::resize: return "resize:" + format_number(spec.strength);
    case Corruption::downsample2: return "downsample:2";
    case Corruption::downsample4: return "downsample:4";
    case Corruption::gaussian_blur: return "blur:" + format_number(spec.strength);
    case Corruption::gaussian_noise: return "noise:" + format_number(spec.strength);
  }
  throw std::invalid_argument("[corruption] unknown corruption kind");
}

Image corrupt(const Image& image, const CorruptionSpec& spec, KeyedRandom& random) {
  validate(spec);
  if (image.channels <= 0 || image.height <= 0 || image.width <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.channels) * image.height * image.width) {
    throw std::invalid_argument("[corrupt " + to_string(spec) + "] malformed image " +
                                std::to_string(image.channels) + "x" + std::to_string(image.height) + "x" +
                                std::to_string(image.width) + " with " + std::to_string(image.pixels.size()) +
                                " bytes");
  }
  switch (spec.kind) {
    case Corruption::none: return image;
    case Corruption::salt_pepper: return salt_and_pepper(image, spec.strength, random);
    case Corruption::jpeg: return jpeg_round_trip(image, static_cast<int>(spec.strength));
    case Corruption::resize: return to_bytes(resize_down_up(to_float(image), spec.strength));
    case Corruption::downsample2: return to_bytes(downsample(to_float(image), 2));
    case Corruption::downsample4: return to_bytes(downsample(to_float(image), 4));
    case Corruption::gaussian_blur: return to_bytes(gaussian_blur(to_float(image), spec.strength));
    case Corruption::gaussian_noise: return to_bytes(gaussian_noise(to_float(image), spec.strength, random));
  }
  throw std::invalid_argument("[corrupt] unknown corruption kind");
}

CorruptedDataset::CorruptedDataset(DatasetPtr base, CorruptionSpec spec, std::uint64_t seed)
    : base_(std::move(base)), spec_(spec), seed_(seed) {
  if (!base_) throw std::invalid_argument("[corrupted dataset] base dataset is null");
  validate(spec_);
}

Image CorruptedDataset::image(std::int64_t index) const {
  check_index(*this, index);
  KeyedRandom random(seed_, kPurposeCorrupt, 0, static_cast<std::uint64_t>(index));
  return corrupt(base_->image(index), spec_, random);
}

}  // namespace nanossl::data
