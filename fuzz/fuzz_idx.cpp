// libFuzzer target for the IDX parser, plain and gzipped: any input must parse
// or throw a std::exception; a parsed array must hold what its header declares.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>

#include "data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const nanossl::data::IdxArray array = nanossl::data::parse_idx(data, size, "fuzz.idx");
    std::int64_t total = 1;
    for (std::int64_t d : array.dims) total *= d;
    if (static_cast<std::size_t>(total) != array.data.size()) std::abort();
  } catch (const std::exception&) {
  }
  return 0;
}
