// JPEG decoding and encoding through libjpeg-turbo's TurboJPEG API (2.1: the
// tjDecompressHeader3 / tjDecompress2 / tjCompress2 calls). The header is read and
// its size checked before any pixel buffer exists; warnings (truncated data,
// corrupt entropy segments) are errors, as in PIL's default. Colour encodes with
// 4:2:0 chroma subsampling, as PIL does, so JPEG corruptions match torchvision's.
#include <turbojpeg.h>

#include <stdexcept>

#include "data/codec.h"

namespace nanossl::data {

namespace {

// Owns a TurboJPEG handle; one per call, so decoding is safe from any thread.
struct TurboHandle {
  tjhandle handle;
  explicit TurboHandle(tjhandle h) : handle(h) {}
  TurboHandle(const TurboHandle&) = delete;
  TurboHandle& operator=(const TurboHandle&) = delete;
  ~TurboHandle() {
    if (handle != nullptr) tjDestroy(handle);
  }
};

std::runtime_error jpeg_error(const std::string& source, const std::string& what) {
  return std::runtime_error("[jpeg] " + source + ": " + what);
}

}  // namespace

Image decode_jpeg(const std::uint8_t* bytes, std::size_t size, const std::string& source) {
  if (sniff_format(bytes, size) != ImageFormat::jpeg) throw jpeg_error(source, "not a JPEG file (bad signature)");
  if (size > 0xffffffffull) throw jpeg_error(source, "file of " + std::to_string(size) + " bytes is too large");
  TurboHandle decoder(tjInitDecompress());
  if (decoder.handle == nullptr) throw jpeg_error(source, std::string("cannot start the decoder: ") + tjGetErrorStr2(nullptr));
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  const auto length = static_cast<unsigned long>(size);
  if (tjDecompressHeader3(decoder.handle, bytes, length, &width, &height, &subsampling, &colorspace) != 0) {
    throw jpeg_error(source, std::string("corrupt JPEG header: ") + tjGetErrorStr2(decoder.handle));
  }
  if (width <= 0 || height <= 0 || width > kMaxImageSide || height > kMaxImageSide ||
      static_cast<std::int64_t>(width) * height > kMaxPixels) {
    throw jpeg_error(source, "image " + std::to_string(width) + "x" + std::to_string(height) + " exceeds the " +
                                 std::to_string(kMaxPixels) + "-pixel limit (at most " +
                                 std::to_string(kMaxImageSide) + " per side)");
  }
  const int channels = colorspace == TJCS_GRAY ? 1 : 3;
  const int format = channels == 1 ? TJPF_GRAY : TJPF_RGB;
  std::vector<std::uint8_t> interleaved(static_cast<std::size_t>(channels) * width * height);
  if (tjDecompress2(decoder.handle, bytes, length, interleaved.data(), width, width * channels, height, format,
                    TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0) {
    throw jpeg_error(source, std::string("corrupt JPEG: ") + tjGetErrorStr2(decoder.handle));
  }
  return from_interleaved(interleaved.data(), channels, height, width);
}

std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality) {
  if (quality < 1 || quality > 100) {
    throw std::invalid_argument("[jpeg] quality " + std::to_string(quality) + " is outside 1..100");
  }
  check_encodable(image, "jpeg");
  const std::vector<std::uint8_t> interleaved = to_interleaved(image);
  TurboHandle encoder(tjInitCompress());
  if (encoder.handle == nullptr) throw std::runtime_error(std::string("[jpeg] cannot start the encoder: ") + tjGetErrorStr2(nullptr));
  const bool gray = image.channels == 1;
  unsigned char* jpeg = nullptr;
  unsigned long jpeg_size = 0;
  const int status = tjCompress2(encoder.handle, interleaved.data(), image.width, image.width * image.channels,
                                 image.height, gray ? TJPF_GRAY : TJPF_RGB, &jpeg, &jpeg_size,
                                 gray ? TJSAMP_GRAY : TJSAMP_420, quality, TJFLAG_ACCURATEDCT);
  if (status != 0) {
    const std::string reason = tjGetErrorStr2(encoder.handle);
    if (jpeg != nullptr) tjFree(jpeg);
    throw std::runtime_error("[jpeg] encoding a " + std::to_string(image.width) + "x" +
                             std::to_string(image.height) + " image failed: " + reason);
  }
  std::vector<std::uint8_t> out(jpeg, jpeg + jpeg_size);
  tjFree(jpeg);
  return out;
}

}  // namespace nanossl::data
