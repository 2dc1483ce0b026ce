// Parsing and printing device names ("cpu", "cuda:1").
#include "tensor/device.h"

#include <stdexcept>

#include "base/error.h"

namespace nanossl {

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0) {
    std::size_t used = 0;
    int index = -1;
    try {
      index = std::stoi(text.substr(5), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used > 0 && used == text.size() - 5 && index >= 0) return cuda(index);
  }
  op_error("device", "cannot parse '" + text + "': expected cpu, cuda or cuda:N");
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

}  // namespace nanossl
