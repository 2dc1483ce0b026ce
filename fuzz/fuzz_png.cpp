// libFuzzer target for the PNG decoder (stb_image behind our IHDR size check):
// any input must decode or throw a std::exception, never crash or leak.
#include <cstddef>
#include <cstdint>
#include <exception>

#include "data/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    nanossl::data::decode_png(data, size, "fuzz.png");
  } catch (const std::exception&) {
  }
  return 0;
}
