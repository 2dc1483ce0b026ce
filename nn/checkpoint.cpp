// Checkpoint directories: writing them so that a kill at any instant leaves either
// the old set or the new complete one (tmp directory, fsync, rename), verifying them
// on load with a CRC-32 per tensor and one over the header, and keeping the last K.
#include "nn/checkpoint.h"

#include <fcntl.h>
#include <stdio.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <system_error>

#include "base/file_write.h"
#include "nn/safetensors.h"

namespace nanossl::nn {

namespace fs = std::filesystem;

namespace {

const std::string kWho = "[checkpoint]";
const std::string kHeaderCrcKey = "crc32.__header__";
const std::string kModelFile = "model.safetensors";
const std::string kStateFile = "state.safetensors";

std::runtime_error checkpoint_error(const std::string& where, const std::string& what) {
  return std::runtime_error(kWho + " " + where + ": " + what);
}

std::string hex32(std::uint32_t value) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", value);
  return text;
}

std::uint32_t crc_bytes(std::uint32_t crc, const void* data, std::size_t bytes) {
  const auto* p = static_cast<const Bytef*>(data);
  while (bytes > 0) {  // zlib's crc32 takes a 32-bit length
    const std::size_t chunk = std::min<std::size_t>(bytes, 1u << 30);
    crc = static_cast<std::uint32_t>(::crc32(crc, p, static_cast<uInt>(chunk)));
    p += chunk;
    bytes -= chunk;
  }
  return crc;
}

// zlib's crc32 of a CPU tensor's raw bytes: what Python's zlib.crc32(t.numpy().tobytes()) gives.
std::uint32_t tensor_crc(const Tensor& t) {
  return crc_bytes(static_cast<std::uint32_t>(::crc32(0, nullptr, 0)), t.nbytes() ? t.data_ptr() : nullptr, t.nbytes());
}

// A CRC-32 over the header's meaning: each tensor's name, dtype and shape, and every
// metadata entry but this CRC itself. Fields are length-prefixed, so two different
// headers never give the same text; a flipped header byte that still parses is caught.
std::uint32_t header_crc(const std::map<std::string, Tensor>& tensors, const std::map<std::string, std::string>& meta) {
  std::string text;
  auto field = [&text](const std::string& s) { text += std::to_string(s.size()) + ":" + s + ";"; };
  for (const auto& [name, t] : tensors) {
    field("tensor");
    field(name);
    field(safetensors_dtype_name(t.dtype()));
    field(shape_str(t.shape()));
  }
  for (const auto& [key, value] : meta) {
    if (key == kHeaderCrcKey) continue;
    field("meta");
    field(key);
    field(value);
  }
  return crc_bytes(static_cast<std::uint32_t>(::crc32(0, nullptr, 0)), text.data(), text.size());
}

// Host copies (CUDA tensors are copied once, for both the CRC and the file).
std::map<std::string, Tensor> on_host(const std::map<std::string, Tensor>& tensors, const std::string& what) {
  std::map<std::string, Tensor> host;
  for (const auto& [name, t] : tensors) {
    if (!t.defined()) throw std::invalid_argument(kWho + " " + what + " tensor '" + name + "' is undefined");
    if (name == "__header__") throw std::invalid_argument(kWho + " '__header__' is reserved, not a tensor name");
    host.emplace(name, t.device().is_cpu() ? t : t.to(Device::cpu()));
  }
  return host;
}

bool is_reserved(const std::string& key, const std::vector<std::string>& reserved) {
  return key.rfind("crc32.", 0) == 0 || std::find(reserved.begin(), reserved.end(), key) != reserved.end();
}

const std::vector<std::string> kModelReserved = {"format", "format_version"};
const std::vector<std::string> kStateReserved = {"format_version", "step",       "epoch", "loader_position",
                                                 "rng_seed",       "rng_offset", "config"};

// Adds the caller's entries (refusing reserved keys), then the per-tensor and header CRCs.
std::map<std::string, std::string> with_crcs(std::map<std::string, std::string> meta,
                                             const std::map<std::string, std::string>& caller,
                                             const std::vector<std::string>& reserved,
                                             const std::map<std::string, Tensor>& host) {
  for (const auto& [key, value] : caller) {
    if (is_reserved(key, reserved)) {
      throw std::invalid_argument(kWho + " metadata key '" + key + "' is reserved by the checkpoint format");
    }
    meta[key] = value;
  }
  for (const auto& [name, t] : host) meta["crc32." + name] = hex32(tensor_crc(t));
  meta[kHeaderCrcKey] = hex32(header_crc(host, meta));
  return meta;
}

// Checks the format version and every CRC of one loaded file; one message for all problems.
void verify_file(const std::string& path, const std::map<std::string, Tensor>& tensors,
                 const std::map<std::string, std::string>& meta) {
  auto version = meta.find("format_version");
  if (version == meta.end()) throw checkpoint_error(path, "no \"format_version\" in the metadata (not a nanossl checkpoint?)");
  if (version->second != kCheckpointFormatVersion) {
    throw checkpoint_error(path, "format_version '" + version->second + "', this build reads '" +
                                     kCheckpointFormatVersion + "'");
  }
  std::vector<std::string> problems;
  for (const auto& [name, t] : tensors) {
    auto stored = meta.find("crc32." + name);
    if (stored == meta.end()) {
      problems.push_back("no crc32 stored for tensor '" + name + "'");
    } else if (const std::string computed = hex32(tensor_crc(t)); stored->second != computed) {
      problems.push_back("crc32 mismatch for tensor '" + name + "': stored " + stored->second + ", computed " + computed);
    }
  }
  for (const auto& [key, value] : meta) {
    if (key.rfind("crc32.", 0) == 0 && key != kHeaderCrcKey && tensors.count(key.substr(6)) == 0) {
      problems.push_back("crc32 stored for tensor '" + key.substr(6) + "', which the file does not hold");
    }
  }
  auto stored = meta.find(kHeaderCrcKey);
  if (stored == meta.end()) {
    problems.push_back("no " + kHeaderCrcKey + " in the metadata");
  } else if (const std::string computed = hex32(header_crc(tensors, meta)); stored->second != computed) {
    problems.push_back("header crc32 mismatch (names, shapes, dtypes or metadata altered): stored " + stored->second +
                       ", computed " + computed);
  }
  if (problems.empty()) return;
  std::string message;
  for (const std::string& p : problems) message += (message.empty() ? "" : "; ") + p;
  throw checkpoint_error(path, message);
}

template <class T>
T parse_integer(const std::string& path, const std::map<std::string, std::string>& meta, const std::string& key) {
  auto it = meta.find(key);
  if (it == meta.end()) throw checkpoint_error(path, "no \"" + key + "\" in the metadata");
  T value{};
  const char* end = it->second.data() + it->second.size();
  auto [ptr, ec] = std::from_chars(it->second.data(), end, value);
  if (ec != std::errc() || ptr != end || it->second.empty()) {
    throw checkpoint_error(path, "metadata \"" + key + "\" = '" + it->second + "' is not an integer");
  }
  return value;
}

std::string step_dir_name(std::int64_t step) {
  char text[32];
  std::snprintf(text, sizeof text, "step-%09lld", static_cast<long long>(step));
  return text;
}

// The step of a "step-NNNNNNNNN" name (at least 9 digits), or -1 for anything else.
std::int64_t parse_step_dir(const std::string& name) {
  if (name.size() < 14 || name.rfind("step-", 0) != 0) return -1;
  std::int64_t step = -1;
  const char* end = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(name.data() + 5, end, step);
  if (ec != std::errc() || ptr != end || name[5] == '-' || name[5] == '+') return -1;
  return step;
}

void remove_tree(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) throw checkpoint_error(path.string(), "cannot remove: " + ec.message());
}

// Puts the complete directory `tmp` at `final_dir`, atomically replacing one that exists.
void install_directory(const fs::path& tmp, const fs::path& final_dir) {
  if (::rename(tmp.c_str(), final_dir.c_str()) == 0) return;
  if (errno != ENOTEMPTY && errno != EEXIST) {
    throw checkpoint_error(final_dir.string(), std::string("cannot rename ") + tmp.string() + " into place: " + std::strerror(errno));
  }
  // Same step saved again: swap the two directories in one step, then drop the old one.
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0) {
    remove_tree(tmp);
    return;
  }
  if (errno != EINVAL && errno != ENOSYS) {
    throw checkpoint_error(final_dir.string(), std::string("cannot exchange with ") + tmp.string() + ": " + std::strerror(errno));
  }
  // A file system without RENAME_EXCHANGE: move the old one aside (a ".tmp-" name,
  // so a kill here leaves it for the next save to clean), then rename the new one in.
  const fs::path aside = final_dir.parent_path() / (".tmp-replaced-" + final_dir.filename().string());
  remove_tree(aside);
  if (::rename(final_dir.c_str(), aside.c_str()) != 0) {
    throw checkpoint_error(final_dir.string(), std::string("cannot move the existing checkpoint aside: ") + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    const int error = errno;
    ::rename(aside.c_str(), final_dir.c_str());  // put the old one back rather than leave none
    throw checkpoint_error(final_dir.string(), std::string("cannot replace the existing checkpoint: ") + std::strerror(error));
  }
  remove_tree(aside);
}

}  // namespace

std::vector<std::string> list_checkpoints(const std::string& run_dir) {
  const fs::path dir = fs::path(run_dir) / "checkpoints";
  std::vector<std::pair<std::int64_t, std::string>> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::int64_t step = parse_step_dir(entry.path().filename().string());
    if (step >= 0 && entry.is_directory(ec)) found.emplace_back(step, entry.path().string());
  }
  if (ec) throw checkpoint_error(dir.string(), "cannot list: " + ec.message());
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  for (auto& [step, path] : found) paths.push_back(std::move(path));
  return paths;
}

void save_checkpoint(const std::string& run_dir, const std::map<std::string, Tensor>& model_state,
                     const TrainingState& state, const std::map<std::string, std::string>& model_metadata,
                     int keep_last) {
  if (state.step < 0) throw std::invalid_argument(kWho + " negative step " + std::to_string(state.step));
  if (keep_last < 1) throw std::invalid_argument(kWho + " keep_last must be at least 1, got " + std::to_string(keep_last));
  const std::map<std::string, Tensor> model = on_host(model_state, "model");
  const std::map<std::string, Tensor> optimizer = on_host(state.optimizer, "optimizer");
  const std::map<std::string, std::string> model_meta =
      with_crcs({{"format", "pt"}, {"format_version", kCheckpointFormatVersion}}, model_metadata, kModelReserved, model);
  const std::map<std::string, std::string> state_meta =
      with_crcs({{"format_version", kCheckpointFormatVersion},
                 {"step", std::to_string(state.step)},
                 {"epoch", std::to_string(state.epoch)},
                 {"loader_position", std::to_string(state.loader_position)},
                 {"rng_seed", std::to_string(state.rng.seed)},
                 {"rng_offset", std::to_string(state.rng.offset)},
                 {"config", state.config_json}},
                state.extra, kStateReserved, optimizer);

  const fs::path dir = fs::path(run_dir) / "checkpoints";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw WriteError(kWho, dir.string(), "cannot create", ec.value());
  // What a killed save left behind is never a checkpoint: remove it.
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind(".tmp-", 0) == 0) remove_tree(entry.path());
  }
  if (ec) throw checkpoint_error(dir.string(), "cannot list: " + ec.message());

  const std::string name = step_dir_name(state.step);
  const fs::path tmp = dir / (".tmp-" + name);
  const fs::path final_dir = dir / name;
  fs::create_directory(tmp, ec);
  if (ec) throw WriteError(kWho, tmp.string(), "cannot create", ec.value());
  try {
    // Each save fsyncs its file and `tmp`, so the directory is complete on disk before it is renamed.
    save_safetensors((tmp / kModelFile).string(), model, model_meta);
    save_safetensors((tmp / kStateFile).string(), optimizer, state_meta);
    install_directory(tmp, final_dir);
  } catch (...) {
    // A failed write (disk full, say): the older checkpoints are untouched; free
    // the space the half-made one took. Nothing reads a ".tmp-" directory anyway.
    fs::remove_all(tmp, ec);
    throw;
  }
  fsync_directory(dir.string(), kWho);

  // Only now that the new one is in place: keep it and the newest keep_last-1 others.
  std::vector<std::string> others;
  for (const std::string& path : list_checkpoints(run_dir)) {
    if (fs::path(path).filename() != name) others.push_back(path);
  }
  const std::size_t keep_others = static_cast<std::size_t>(keep_last - 1);
  if (others.size() > keep_others) {
    for (std::size_t i = 0; i < others.size() - keep_others; ++i) remove_tree(others[i]);
    fsync_directory(dir.string(), kWho);
  }
}

LoadedCheckpoint load_checkpoint(const std::string& checkpoint_dir) {
  LoadedCheckpoint out;
  out.dir = checkpoint_dir;
  const std::string model_path = (fs::path(checkpoint_dir) / kModelFile).string();
  const std::string state_path = (fs::path(checkpoint_dir) / kStateFile).string();
  std::map<std::string, std::string> model_meta, state_meta;
  out.model = load_safetensors(model_path, &model_meta);
  verify_file(model_path, out.model, model_meta);
  out.state.optimizer = load_safetensors(state_path, &state_meta);
  verify_file(state_path, out.state.optimizer, state_meta);

  TrainingState& s = out.state;
  s.step = parse_integer<std::int64_t>(state_path, state_meta, "step");
  s.epoch = parse_integer<std::int64_t>(state_path, state_meta, "epoch");
  s.loader_position = parse_integer<std::int64_t>(state_path, state_meta, "loader_position");
  s.rng.seed = parse_integer<std::uint64_t>(state_path, state_meta, "rng_seed");
  s.rng.offset = parse_integer<std::uint64_t>(state_path, state_meta, "rng_offset");
  auto config = state_meta.find("config");
  if (config == state_meta.end()) throw checkpoint_error(state_path, "no \"config\" in the metadata");
  s.config_json = config->second;
  const fs::path normal = fs::path(checkpoint_dir).lexically_normal();  // "DIR/" has an empty filename
  const std::int64_t dir_step =
      parse_step_dir((normal.has_filename() ? normal.filename() : normal.parent_path().filename()).string());
  if (dir_step >= 0 && dir_step != s.step) {
    throw checkpoint_error(state_path, "holds step " + std::to_string(s.step) + " but its directory says " +
                                           std::to_string(dir_step));
  }
  for (const auto& [key, value] : state_meta) {
    if (!is_reserved(key, kStateReserved)) s.extra[key] = value;
  }
  for (const auto& [key, value] : model_meta) {
    if (!is_reserved(key, kModelReserved)) out.model_metadata[key] = value;
  }
  return out;
}

std::optional<LoadedCheckpoint> load_latest_checkpoint(const std::string& run_dir) {
  const std::vector<std::string> dirs = list_checkpoints(run_dir);
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    try {
      return load_checkpoint(*it);
    } catch (const std::exception& e) {
      std::cerr << kWho << " warning: skipping checkpoint " << *it << ": " << e.what() << "\n";
    }
  }
  return std::nullopt;
}

void check_state_matches(const std::map<std::string, Tensor>& expected,
                         const std::map<std::string, Tensor>& loaded, const std::string& source) {
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, t] : expected) {
    if (loaded.count(name) == 0) missing.push_back("missing " + name);
  }
  for (const auto& [name, t] : loaded) {
    auto want = expected.find(name);
    if (want == expected.end()) {
      unexpected.push_back("unexpected " + name);
      continue;
    }
    if (t.shape() != want->second.shape()) {
      mismatched.push_back(name + " has shape " + shape_str(t.shape()) + ", expected " + shape_str(want->second.shape()));
    }
    if (t.dtype() != want->second.dtype()) {
      mismatched.push_back(name + " has dtype " + dtype_name(t.dtype()) + ", expected " + dtype_name(want->second.dtype()));
    }
  }
  std::vector<std::string> problems = missing;
  problems.insert(problems.end(), unexpected.begin(), unexpected.end());
  problems.insert(problems.end(), mismatched.begin(), mismatched.end());
  if (problems.empty()) return;
  std::string message;
  for (const std::string& p : problems) message += (message.empty() ? "" : "; ") + p;
  throw std::runtime_error(kWho + " " + source + ": " + message);
}

}  // namespace nanossl::nn
