// libFuzzer target for the safetensors reader and the checkpoint loader on top of
// it. Any input must parse or throw a std::exception. An input that parses from
// memory (parse_safetensors) is also written as the state.safetensors of a real
// checkpoint directory and read back from the file, which must give the same
// tensors and metadata (the two entry points share one reader); then
// load_checkpoint reads that directory (format version, per-tensor and header
// CRC-32s, the integers of the training state, the step against the directory
// name), which must load or throw.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <string>

#include "nn/checkpoint.h"
#include "nn/safetensors.h"

namespace {

using namespace nanossl;
namespace fs = std::filesystem;

std::string g_root;        // this process's temporary directory
std::string g_checkpoint;  // g_root/checkpoints/step-000000007, a valid checkpoint
std::string g_state;       // its state.safetensors, overwritten with each input

void remove_root() {
  std::error_code ec;
  fs::remove_all(g_root, ec);
}

bool same(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end()) return false;
    const Tensor& u = it->second;
    if (t.dtype() != u.dtype() || t.shape() != u.shape() || t.nbytes() != u.nbytes()) return false;
    if (t.nbytes() > 0 && std::memcmp(t.data_ptr(), u.data_ptr(), t.nbytes()) != 0) return false;
  }
  return true;
}

void write_input(const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(g_state.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(g_state.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  std::string name = std::string(base) + "/nanossl-fuzz-safetensors-XXXXXX";
  if (::mkdtemp(name.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  g_root = name;
  std::atexit(remove_root);
  // A small valid checkpoint; each input replaces its state file.
  nn::TrainingState state;
  state.step = 7;
  state.epoch = 1;
  state.config_json = R"({"epochs":2})";
  state.optimizer["momentum.fc.weight"] = Tensor::zeros({2, 3});
  nn::save_checkpoint(g_root, {{"fc.weight", Tensor::ones({2, 3})}, {"fc.bias", Tensor::zeros({2})}}, state);
  g_checkpoint = g_root + "/checkpoints/step-000000007";
  g_state = g_checkpoint + "/state.safetensors";
  nn::load_checkpoint(g_checkpoint);  // the fixture itself must load
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
  try {
    tensors = nn::parse_safetensors(data, size, "fuzz.safetensors", &metadata);
  } catch (const std::exception&) {
    return 0;
  }
  // What was allocated is what the input holds: the data section tiles the file.
  std::size_t bytes = 0;
  for (const auto& [name, t] : tensors) bytes += t.nbytes();
  if (bytes > size) std::abort();

  write_input(data, size);
  std::map<std::string, std::string> file_metadata;
  if (!same(tensors, nn::load_safetensors(g_state, &file_metadata)) || file_metadata != metadata) {
    std::fprintf(stderr, "parse_safetensors and load_safetensors disagree\n");
    std::abort();
  }
  try {
    const nn::LoadedCheckpoint loaded = nn::load_checkpoint(g_checkpoint);
    if (!same(loaded.state.optimizer, tensors) || loaded.state.step != 7) std::abort();
  } catch (const std::exception&) {
  }
  return 0;
}
