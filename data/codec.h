// Image file codecs. PNG decoding goes through stb_image compiled in exactly one
// file (data/png.cpp, STBI_ONLY_PNG, STBI_NO_STDIO, STBI_MAX_DIMENSIONS); JPEG
// goes through libjpeg-turbo, never stb_image (Debian 12's stb_image 2.27 corrupts
// the heap on some malformed JPEGs). Encoders use stb_image_write (PNG) and
// libjpeg-turbo (JPEG). Every decoder checks the header's pixel count against
// kMaxPixels before any large allocation, and every error is a
// std::runtime_error naming `source` (a file name) and what was wrong.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/image.h"

namespace nanossl::data {

constexpr std::int64_t kMaxImageSide = 16384;
constexpr std::int64_t kMaxPixels = 64LL * 1024 * 1024;

enum class ImageFormat { png, jpeg, unknown };
ImageFormat sniff_format(const std::uint8_t* bytes, std::size_t size);

// Decodes to 1 channel (grayscale files) or 3 (anything with colour; alpha dropped).
Image decode_png(const std::uint8_t* bytes, std::size_t size, const std::string& source);
Image decode_jpeg(const std::uint8_t* bytes, std::size_t size, const std::string& source);
Image decode_image(const std::uint8_t* bytes, std::size_t size, const std::string& source);

std::vector<std::uint8_t> encode_png(const Image& image);
std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality);  // quality 1..100

// Reads a whole file; throws "[read] cannot open PATH: No such file or directory".
std::vector<std::uint8_t> read_file(const std::string& path);
// Writes atomically (temporary file then rename).
void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes);

}  // namespace nanossl::data
