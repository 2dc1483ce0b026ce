// What a benchmark says about the machine: the CPU it ran on, for every figure it
// prints (the model name, the family and model numbers, since a cloud "AMD EPYC"
// hides whether it is Zen 4, family 25, or Zen 5, family 26, and the vector
// extensions that decide the peak), and the process's resident memory.
#pragma once
#include <fstream>
#include <string>

namespace nanossl::bench {

inline std::string cpu_description() {
  std::ifstream info("/proc/cpuinfo");
  std::string line, name = "unknown CPU", family, model;
  auto value = [](const std::string& text) {
    const auto colon = text.find(':');
    return colon == std::string::npos ? std::string() : text.substr(text.find_first_not_of(' ', colon + 1));
  };
  while (std::getline(info, line)) {
    if (line.rfind("model name", 0) == 0) name = value(line);
    else if (line.rfind("cpu family", 0) == 0) family = value(line);
    else if (line.rfind("model", 0) == 0 && line.rfind("model name", 0) != 0) model = value(line);
    else if (line.empty() && !family.empty()) break;  // the first processor is enough
  }
  std::string text = name;
  if (!family.empty()) text += " (family " + family + " model " + model + ")";
  __builtin_cpu_init();
  text += __builtin_cpu_supports("avx512f") ? ", AVX-512" : __builtin_cpu_supports("avx2") ? ", AVX2" : "";
  if (__builtin_cpu_supports("avx512bf16")) text += " with BF16";
  return text;
}

// A field of /proc/self/status in MiB: "VmRSS" (resident now) or "VmHWM" (the
// high-water mark); -1 where it cannot be read.
inline double resident_mib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;  // kB
  }
  return -1.0;
}

}  // namespace nanossl::bench
