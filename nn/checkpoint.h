// Training checkpoints: RUN/checkpoints/step-000001234/ holds model.safetensors
// (the model's state dict under torchvision names, loadable by PyTorch as is) and
// state.safetensors (optimizer tensors, step, epoch, loader position, RNG, config).
// A checkpoint directory appears complete or not at all; see docs/checkpoints.md.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace nanossl::nn {

// Everything besides the model that a resumed run needs to continue exactly.
struct TrainingState {
  std::int64_t step = 0, epoch = 0, loader_position = 0;
  GeneratorState rng;
  std::string config_json;                       // the resolved configuration
  std::map<std::string, Tensor> optimizer;       // e.g. "momentum.layer1.0.conv1.weight"
  std::map<std::string, std::string> extra;      // free-form, stored as metadata
};

struct LoadedCheckpoint {
  std::string dir;
  std::map<std::string, Tensor> model;
  TrainingState state;
  std::map<std::string, std::string> model_metadata;  // the caller's entries (e.g. preprocessing)
};

// The version written into both files' metadata as "format_version".
inline constexpr const char* kCheckpointFormatVersion = "1";

// Writes RUN/checkpoints/step-<state.step, 9 digits>/ atomically: both files go into
// a sibling ".tmp-step-..." directory, are fsynced, and the directory is renamed into
// place (replacing an existing checkpoint of the same step) and its parent fsynced.
// Then keeps the newest `keep_last` complete checkpoints (never the one just
// written) and removes stale ".tmp-*" directories left by a killed run.
// `model_metadata` keys must not be reserved ("format", "format_version", "crc32.*").
void save_checkpoint(const std::string& run_dir, const std::map<std::string, Tensor>& model_state,
                     const TrainingState& state, const std::map<std::string, std::string>& model_metadata = {},
                     int keep_last = 2);

// Loads one checkpoint directory and verifies it: both files parse, the format
// version is known, and every tensor's CRC-32 and the header's CRC-32 match.
// Throws std::runtime_error naming the file and exactly what disagrees.
LoadedCheckpoint load_checkpoint(const std::string& checkpoint_dir);

// The newest checkpoint of RUN/checkpoints that loads and verifies; a newer one that
// does not is reported on stderr (file and problem) and skipped. nullopt when none.
std::optional<LoadedCheckpoint> load_latest_checkpoint(const std::string& run_dir);

// Complete checkpoint directories of a run, oldest first (what load_latest considers).
std::vector<std::string> list_checkpoints(const std::string& run_dir);

// Throws one message listing every missing, unexpected, mis-shaped and mis-typed
// key of `loaded` against `expected`, prefixed with "[checkpoint] SOURCE: ".
void check_state_matches(const std::map<std::string, Tensor>& expected,
                         const std::map<std::string, Tensor>& loaded, const std::string& source);

}  // namespace nanossl::nn
