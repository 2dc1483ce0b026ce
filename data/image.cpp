// Small image utilities shared by readers, generators, corruptions and
// augmentations: conversions between bytes and floats, padding, resizing.
#include "data/image.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "data/dataset.h"
#include "data/keyed_random.h"

namespace nanossl::data {

Image make_image(int channels, int height, int width, std::uint8_t fill) {
  if (channels <= 0 || height <= 0 || width <= 0) {
    throw std::invalid_argument("[image] invalid size " + std::to_string(channels) + "x" +
                                std::to_string(height) + "x" + std::to_string(width));
  }
  Image image{channels, height, width, {}};
  image.pixels.assign(static_cast<std::size_t>(channels) * height * width, fill);
  return image;
}

FloatImage to_float(const Image& image) {
  FloatImage out{image.channels, image.height, image.width, std::vector<float>(image.pixels.size())};
  for (std::size_t i = 0; i < image.pixels.size(); ++i) out.pixels[i] = image.pixels[i] * (1.0f / 255.0f);
  return out;
}

Image to_bytes(const FloatImage& image) {
  Image out{image.channels, image.height, image.width, std::vector<std::uint8_t>(image.pixels.size())};
  for (std::size_t i = 0; i < image.pixels.size(); ++i) {
    const float v = std::clamp(image.pixels[i], 0.0f, 1.0f);
    out.pixels[i] = static_cast<std::uint8_t>(std::lround(v * 255.0f));
  }
  return out;
}

Image pad_to(const Image& image, int height, int width) {
  Image out = make_image(image.channels, height, width, 0);
  const int dy = (height - image.height) / 2, dx = (width - image.width) / 2;
  for (int c = 0; c < image.channels; ++c) {
    for (int y = 0; y < height; ++y) {
      const int sy = y - dy;
      if (sy < 0 || sy >= image.height) continue;
      for (int x = 0; x < width; ++x) {
        const int sx = x - dx;
        if (sx >= 0 && sx < image.width) out.at(c, y, x) = image.at(c, sy, sx);
      }
    }
  }
  return out;
}

FloatImage resize_bilinear(const FloatImage& image, int height, int width) {
  if (height <= 0 || width <= 0) throw std::invalid_argument("[resize] invalid target size");
  FloatImage out{image.channels, height, width,
                 std::vector<float>(static_cast<std::size_t>(image.channels) * height * width)};
  const float sy = static_cast<float>(image.height) / height, sx = static_cast<float>(image.width) / width;
  for (int y = 0; y < height; ++y) {
    // Pixel centres map to pixel centres (align_corners = false).
    const float fy = std::clamp((y + 0.5f) * sy - 0.5f, 0.0f, static_cast<float>(image.height - 1));
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, image.height - 1);
    const float wy = fy - y0;
    for (int x = 0; x < width; ++x) {
      const float fx = std::clamp((x + 0.5f) * sx - 0.5f, 0.0f, static_cast<float>(image.width - 1));
      const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, image.width - 1);
      const float wx = fx - x0;
      for (int c = 0; c < image.channels; ++c) {
        const float top = image.at(c, y0, x0) * (1 - wx) + image.at(c, y0, x1) * wx;
        const float bottom = image.at(c, y1, x0) * (1 - wx) + image.at(c, y1, x1) * wx;
        out.at(c, y, x) = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

std::vector<std::uint8_t> to_interleaved(const Image& image) {
  const std::size_t plane = static_cast<std::size_t>(image.height) * image.width;
  std::vector<std::uint8_t> out(image.pixels.size());
  for (std::size_t i = 0; i < plane; ++i)
    for (int c = 0; c < image.channels; ++c) out[i * image.channels + c] = image.pixels[c * plane + i];
  return out;
}

Image from_interleaved(const std::uint8_t* pixels, int channels, int height, int width) {
  Image image = make_image(channels, height, width);
  const std::size_t plane = static_cast<std::size_t>(height) * width;
  for (std::size_t i = 0; i < plane; ++i)
    for (int c = 0; c < channels; ++c) image.pixels[c * plane + i] = pixels[i * channels + c];
  return image;
}

void check_encodable(const Image& image, const char* codec) {
  if ((image.channels != 1 && image.channels != 3) || image.height <= 0 || image.width <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.channels) * image.height * image.width) {
    throw std::invalid_argument(std::string("[") + codec + "] cannot encode an image of " +
                                std::to_string(image.channels) + "x" + std::to_string(image.height) + "x" +
                                std::to_string(image.width) + " with " + std::to_string(image.pixels.size()) +
                                " bytes");
  }
}

Image with_channels(const Image& image, int channels) {
  if (channels == image.channels) return image;
  if (channels == 3 && image.channels == 1) {
    Image out = make_image(3, image.height, image.width);
    const std::size_t plane = image.pixels.size();
    for (int c = 0; c < 3; ++c) std::copy(image.pixels.begin(), image.pixels.end(), out.pixels.begin() + c * plane);
    return out;
  }
  if (channels == 1 && image.channels == 3) {
    Image out = make_image(1, image.height, image.width);
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) {
        const double luma = 0.299 * image.at(0, y, x) + 0.587 * image.at(1, y, x) + 0.114 * image.at(2, y, x);
        out.at(0, y, x) = static_cast<std::uint8_t>(std::lround(std::min(luma, 255.0)));
      }
    }
    return out;
  }
  throw std::invalid_argument("[image] cannot convert " + std::to_string(image.channels) + " channels to " +
                              std::to_string(channels));
}

void check_index(const Dataset& dataset, std::int64_t index) {
  if (index < 0 || index >= dataset.size()) {
    throw std::out_of_range("[dataset " + dataset.name() + "] index " + std::to_string(index) +
                            " is outside [0, " + std::to_string(dataset.size()) + ")");
  }
}

double KeyedRandom::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace nanossl::data
