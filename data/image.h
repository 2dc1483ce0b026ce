// Images as the data layer passes them around: 8-bit planar CHW (`Image`, what
// readers and generators produce) and float planar CHW in [0, 1] (`FloatImage`,
// what augmentations work on and batches are made of).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nanossl::data {

struct Image {
  int channels = 0, height = 0, width = 0;  // C H W; channels is 1 or 3
  std::vector<std::uint8_t> pixels;         // C*H*W bytes, plane after plane

  std::uint8_t& at(int c, int y, int x) { return pixels[(static_cast<std::size_t>(c) * height + y) * width + x]; }
  std::uint8_t at(int c, int y, int x) const { return pixels[(static_cast<std::size_t>(c) * height + y) * width + x]; }
  std::size_t size() const { return pixels.size(); }
};

Image make_image(int channels, int height, int width, std::uint8_t fill = 0);

struct FloatImage {
  int channels = 0, height = 0, width = 0;
  std::vector<float> pixels;  // C*H*W values in [0, 1]

  float& at(int c, int y, int x) { return pixels[(static_cast<std::size_t>(c) * height + y) * width + x]; }
  float at(int c, int y, int x) const { return pixels[(static_cast<std::size_t>(c) * height + y) * width + x]; }
};

FloatImage to_float(const Image& image);     // byte / 255
Image to_bytes(const FloatImage& image);     // round(clamp(v, 0, 1) * 255)
// Zero-pads (or centre-crops) to height x width; Fashion-MNIST's 28 -> 32.
Image pad_to(const Image& image, int height, int width);
// Bilinear resize (align corners off, as PIL/torchvision's antialias-free path).
FloatImage resize_bilinear(const FloatImage& image, int height, int width);
// Codecs store pixels interleaved (RGBRGB...); Image is planar. Both directions:
std::vector<std::uint8_t> to_interleaved(const Image& image);
Image from_interleaved(const std::uint8_t* pixels, int channels, int height, int width);
// Throws "[CODEC] cannot encode an image of CxHxW with N bytes" unless `image` is a
// well-formed 1- or 3-channel image.
void check_encodable(const Image& image, const char* codec);
// 1 -> 3 channels by repeating the plane; 3 -> 1 by ITU-R 601 luma.
Image with_channels(const Image& image, int channels);

}  // namespace nanossl::data
