// libFuzzer target for the CIFAR record parser, both layouts (CIFAR-10's one
// label byte, CIFAR-100's two): any input must parse or throw a std::exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>

#include "data/cifar.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (int label_bytes : {1, 2}) {
    try {
      nanossl::data::CifarRecords records;
      nanossl::data::parse_cifar(data, size, "fuzz.bin", label_bytes, label_bytes == 1 ? 10 : 100, 20, records);
      if (records.pixels.size() != static_cast<std::size_t>(records.count()) * nanossl::data::kCifarPixels) std::abort();
    } catch (const std::exception&) {
    }
  }
  return 0;
}
