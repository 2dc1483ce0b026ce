// PNG decoding and encoding. This is the only file that compiles stb_image (PNG
// only, no stdio, sides capped at kMaxImageSide) and stb_image_write. The pixel
// count in the IHDR header and every chunk length are checked before stb_image
// allocates anything. Both stb libraries are compiled static (no symbol clashes).
#include <climits>
#include <cstring>
#include <stdexcept>

#include "data/codec.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_MAX_DIMENSIONS nanossl::data::kMaxImageSide
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_STATIC
#define STB_IMAGE_WRITE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb_image.h>
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace nanossl::data {

namespace {

std::uint32_t big_endian32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::runtime_error png_error(const std::string& source, const std::string& what) {
  return std::runtime_error("[png] " + source + ": " + what);
}

// Rejects images whose IHDR declares too many pixels, before any decoding.
void check_header_size(const std::uint8_t* bytes, std::size_t size, const std::string& source) {
  if (size < 24 || std::memcmp(bytes + 12, "IHDR", 4) != 0) return;  // stb_image reports the corruption
  const std::uint64_t width = big_endian32(bytes + 16), height = big_endian32(bytes + 20);
  if (width == 0 || height == 0) {
    throw png_error(source, "corrupt PNG: image " + std::to_string(width) + "x" + std::to_string(height) +
                                " has no pixels");
  }
  if (width * height > static_cast<std::uint64_t>(kMaxPixels) || width > static_cast<std::uint64_t>(kMaxImageSide) ||
      height > static_cast<std::uint64_t>(kMaxImageSide)) {
    throw png_error(source, "image " + std::to_string(width) + "x" + std::to_string(height) + " exceeds the " +
                                std::to_string(kMaxPixels) + "-pixel limit (at most " +
                                std::to_string(kMaxImageSide) + " per side)");
  }
}

// Walks the chunk list: every chunk's declared length must fit in the bytes that
// remain. stb_image trusts IDAT lengths and grows its buffer to them, so without
// this a 100-byte file can make it allocate 2 GB.
void check_chunks(const std::uint8_t* bytes, std::size_t size, const std::string& source) {
  std::size_t offset = 8;
  while (offset + 8 <= size) {
    const std::uint64_t length = big_endian32(bytes + offset);
    const std::string type(reinterpret_cast<const char*>(bytes + offset + 4), 4);
    const std::uint64_t remaining = size - offset - 8;
    if (length + 4 > remaining) {
      throw png_error(source, "corrupt PNG: chunk at offset " + std::to_string(offset) + " declares " +
                                  std::to_string(length) + " data bytes, only " + std::to_string(remaining) +
                                  " bytes remain");
    }
    if (type == "IEND") return;
    offset += 8 + length + 4;
  }
}

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* p = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

}  // namespace

Image decode_png(const std::uint8_t* bytes, std::size_t size, const std::string& source) {
  if (size > static_cast<std::size_t>(INT_MAX)) throw png_error(source, "file of " + std::to_string(size) + " bytes is too large");
  if (sniff_format(bytes, size) != ImageFormat::png) throw png_error(source, "not a PNG file (bad signature)");
  check_header_size(bytes, size, source);
  check_chunks(bytes, size, source);
  const int length = static_cast<int>(size);
  int width = 0, height = 0, components = 0;
  if (!stbi_info_from_memory(bytes, length, &width, &height, &components)) {
    throw png_error(source, std::string("corrupt PNG: ") + stbi_failure_reason());
  }
  const int channels = components <= 2 ? 1 : 3;  // gray(+alpha) -> 1, colour(+alpha) -> 3
  stbi_uc* decoded = stbi_load_from_memory(bytes, length, &width, &height, &components, channels);
  if (decoded == nullptr) throw png_error(source, std::string("corrupt PNG: ") + stbi_failure_reason());
  Image image;
  try {
    image = from_interleaved(decoded, channels, height, width);
  } catch (...) {
    stbi_image_free(decoded);
    throw;
  }
  stbi_image_free(decoded);
  return image;
}

std::vector<std::uint8_t> encode_png(const Image& image) {
  check_encodable(image, "png");
  const std::vector<std::uint8_t> interleaved = to_interleaved(image);
  std::vector<std::uint8_t> out;
  if (!stbi_write_png_to_func(append_bytes, &out, image.width, image.height, image.channels,
                                   interleaved.data(), image.width * image.channels)) {
    throw std::runtime_error("[png] encoding a " + std::to_string(image.width) + "x" +
                             std::to_string(image.height) + " image failed");
  }
  return out;
}

}  // namespace nanossl::data
