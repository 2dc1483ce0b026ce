// `nanossl predict`: the logits of every image of a split, in dataset order, from
// a trained checkpoint, as CSV or NumPy .npy — so results can be checked with
// other tools (e.g. load model.safetensors into torchvision and compare).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "autograd/ops.h"
#include "base/file_write.h"
#include "data/channels_view.h"
#include "data/registry.h"
#include "commands/builders.h"
#include "commands/commands.h"
#include "commands/progress.h"
#include "commands/run_config.h"
#include "nn/checkpoint.h"

namespace nanossl {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// NumPy's .npy v1.0: magic, header length, a Python-dict header padded to 64 bytes.
// Both formats are built in memory and written atomically (base/file_write.h): a
// failed write names the file and the reason, and leaves no half-written output.
void write_npy(const std::string& path, const std::vector<float>& values, std::int64_t rows, std::int64_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  const auto length = static_cast<std::uint16_t>(header.size());
  std::string bytes = "\x93NUMPY\x01";
  bytes += '\0';
  bytes += static_cast<char>(length & 0xff);
  bytes += static_cast<char>(length >> 8);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  write_file_atomically(path, bytes, "[predict]");
}

void write_csv(const std::string& path, const std::vector<float>& values, const std::vector<std::int64_t>& labels,
               std::int64_t cols) {
  std::string text = "index,label";
  for (std::int64_t c = 0; c < cols; ++c) text += ",logit_" + std::to_string(c);
  text += "\n";
  char cell[32];
  for (std::size_t i = 0; i < labels.size(); ++i) {
    text += std::to_string(i) + "," + std::to_string(labels[i]);
    for (std::int64_t c = 0; c < cols; ++c) {
      std::snprintf(cell, sizeof cell, ",%.9g", values[i * static_cast<std::size_t>(cols) + c]);
      text += cell;
    }
    text += "\n";
  }
  write_file_atomically(path, text, "[predict]");
}

}  // namespace

int run_predict(const PredictOptions& options) {
  // A run directory (its newest complete checkpoint) or one checkpoint directory.
  const nn::LoadedCheckpoint checkpoint = fs::exists(fs::path(options.checkpoint) / "model.safetensors")
                                              ? nn::load_checkpoint(options.checkpoint)
                                              : [&] {
                                                  auto latest = nn::load_latest_checkpoint(options.checkpoint);
                                                  if (!latest) {
                                                    throw std::runtime_error("[predict] " + options.checkpoint +
                                                                             ": no checkpoint found");
                                                  }
                                                  return *latest;
                                                }();
  const TrainConfig config =
      config_from_json<TrainConfig>(Json::parse(checkpoint.state.config_json), checkpoint.dir + " (its configuration)");
  // Images reach the model with the channels it was trained on (its first convolution's).
  const auto conv1 = checkpoint.model.find("conv1.weight");
  if (conv1 == checkpoint.model.end() || conv1->second.ndim() != 4) {
    throw std::runtime_error("[predict] " + checkpoint.dir + ": the model has no 4-D conv1.weight");
  }
  data::DatasetPtr dataset = data::with_channels(
      data::open_dataset(options.dataset, data::parse_split(options.split)), static_cast<int>(conv1->second.size(1)));
  const auto fc = checkpoint.model.find("fc.weight");
  if (fc == checkpoint.model.end()) throw std::runtime_error("[predict] " + checkpoint.dir + ": the model has no fc layer");
  const std::int64_t classes = fc->second.size(0);
  auto model = make_model(config.model, dataset->channels(), classes);
  nn::check_state_matches(model->state_dict(), checkpoint.model, checkpoint.dir + "/model.safetensors");
  model->load_state_dict(checkpoint.model);
  const Device device = Device::parse(options.device);
  model->to(device);
  model->eval();

  data::LoaderConfig loader_config;
  loader_config.batch_size = 256;
  loader_config.out_size = dataset->height();
  loader_config.shuffle = false;
  data::Loader loader(dataset, loader_config);
  loader.start(0);
  std::vector<float> logits;
  std::vector<std::int64_t> labels;
  NoGradGuard no_grad;
  ImageProgress progress("logits of " + dataset->name() + " (" + options.split + ")", dataset->size());
  while (auto batch = loader.next()) {
    const auto values = (*model)(batch->images.to(device)).to(Device::cpu()).to_vector<float>();
    logits.insert(logits.end(), values.begin(), values.end());
    const auto y = batch->labels.to_vector<std::int64_t>();
    labels.insert(labels.end(), y.begin(), y.end());
    progress.advance(static_cast<std::int64_t>(y.size()));
  }
  progress.finish();
  const auto rows = static_cast<std::int64_t>(labels.size());
  if (ends_with(options.out, ".npy")) write_npy(options.out, logits, rows, classes);
  else write_csv(options.out, logits, labels, classes);
  std::printf("wrote the logits of %lld images x %lld classes to %s (preprocessing: %s)\n",
              static_cast<long long>(rows), static_cast<long long>(classes), options.out.c_str(),
              checkpoint.model_metadata.count("preprocessing") ? checkpoint.model_metadata.at("preprocessing").c_str()
                                                               : "not recorded");
  return 0;
}

}  // namespace nanossl
