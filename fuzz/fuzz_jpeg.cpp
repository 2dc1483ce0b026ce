// libFuzzer target for the JPEG decoder (libjpeg-turbo behind our header checks)
// and the format dispatch: any input must decode or throw a std::exception.
#include <cstddef>
#include <cstdint>
#include <exception>

#include "data/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    nanossl::data::decode_image(data, size, "fuzz.jpg");
  } catch (const std::exception&) {
  }
  return 0;
}
