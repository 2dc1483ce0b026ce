// SimCLR model, contrastive step and encoder loading; see simclr.h.
#include "ssl/simclr.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "autograd/ops.h"
#include "nn/checkpoint.h"
#include "ssl/ntxent.h"

namespace nanossl::ssl {

Simclr::Simclr(SimclrConfig config) {
  config.encoder.num_classes = 0;
  encoder_ = register_module("encoder", nn::make_resnet(config.encoder));
  const std::int64_t width = encoder_->feature_dim();
  head_ = register_module("head", std::make_shared<ProjectionHead>(width, config.head_hidden > 0 ? config.head_hidden : width,
                                                                   config.projection_dim, config.head_layers));
}

Tensor Simclr::forward(const Tensor& x) { return (*head_)(encoder_->features(x)); }

ContrastiveStep contrastive_step(Simclr& model, const Tensor& view1, const Tensor& view2, double temperature) {
  if (!view1.defined() || !view2.defined() || view1.shape() != view2.shape()) {
    throw std::invalid_argument("[contrastive_step] the two views must be defined and of one shape");
  }
  const std::int64_t n = view1.size(0);
  const Tensor z = model(cat({view1, view2}, 0));  // (2N, projection_dim), BN over both views
  const Tensor z1 = slice(z, 0, n), z2 = slice(z, n, 2 * n);
  ContrastiveStep step;
  step.loss = nt_xent(z1, z2, temperature);
  step.positive_top1 = contrastive_top1(z1, z2);
  return step;
}

std::map<std::string, Tensor> encoder_state(const std::map<std::string, Tensor>& simclr_state,
                                            const std::string& source) {
  const std::string prefix = "encoder.";
  std::map<std::string, Tensor> encoder;
  for (const auto& [name, tensor] : simclr_state) {
    if (name.rfind(prefix, 0) == 0) encoder[name.substr(prefix.size())] = tensor;
  }
  if (encoder.empty()) {
    throw std::invalid_argument("[load_pretrained_encoder] " + source +
                                " holds no \"encoder.*\" tensors: not a pretraining checkpoint (SimCLR, MoCo v2 or BYOL)");
  }
  return encoder;
}

std::int64_t PretrainedEncoder::in_channels() const {
  const auto conv1 = state.find("conv1.weight");
  if (conv1 == state.end() || conv1->second.ndim() != 4) {
    throw std::runtime_error("[load_pretrained_encoder] " + checkpoint_dir + ": no 4-D conv1.weight in its encoder");
  }
  return conv1->second.size(1);
}

namespace {
// A run directory's latest complete checkpoint, or the checkpoint directory given.
nn::LoadedCheckpoint read_checkpoint(const std::string& run_or_checkpoint) {
  namespace fs = std::filesystem;
  if (!fs::exists(run_or_checkpoint)) {
    throw std::runtime_error("[load_pretrained_encoder] " + run_or_checkpoint + " does not exist");
  }
  if (fs::exists(fs::path(run_or_checkpoint) / "model.safetensors")) return nn::load_checkpoint(run_or_checkpoint);
  auto latest = nn::load_latest_checkpoint(run_or_checkpoint);
  if (!latest) throw std::runtime_error("[load_pretrained_encoder] " + run_or_checkpoint + " has no complete checkpoint");
  return std::move(*latest);
}

bool has_prefix(const std::map<std::string, Tensor>& state, const std::string& prefix) {
  return std::any_of(state.begin(), state.end(), [&](const auto& entry) { return entry.first.rfind(prefix, 0) == 0; });
}

// `state` without the classifier head (fc.*): what an encoder holds.
std::map<std::string, Tensor> without_classifier(std::map<std::string, Tensor> state) {
  std::erase_if(state, [](const auto& entry) { return entry.first.rfind("fc.", 0) == 0; });
  return state;
}
}  // namespace

PretrainedEncoder read_pretrained_encoder(const std::string& run_or_checkpoint) {
  const nn::LoadedCheckpoint checkpoint = read_checkpoint(run_or_checkpoint);
  return {checkpoint.dir, encoder_state(checkpoint.model, checkpoint.dir + "/model.safetensors")};
}

std::map<std::string, Tensor> classifier_trunk_state(const std::map<std::string, Tensor>& classifier_state,
                                                     const std::string& source) {
  if (!classifier_state.count("conv1.weight") || !classifier_state.count("fc.weight")) {
    throw std::invalid_argument("[load_encoder] " + source +
                                " holds neither \"encoder.*\" tensors (a SimCLR run) nor conv1.weight and fc.weight "
                                "(a supervised ResNet classifier)");
  }
  return without_classifier(classifier_state);
}

PretrainedEncoder read_any_encoder(const std::string& run_or_checkpoint) {
  const nn::LoadedCheckpoint checkpoint = read_checkpoint(run_or_checkpoint);
  const std::string source = checkpoint.dir + "/model.safetensors";
  if (has_prefix(checkpoint.model, "encoder.")) return {checkpoint.dir, encoder_state(checkpoint.model, source)};
  return {checkpoint.dir, classifier_trunk_state(checkpoint.model, source)};
}

void load_pretrained_encoder(nn::ResNet& model, const PretrainedEncoder& encoder) {
  const std::map<std::string, Tensor> expected = without_classifier(model.state_dict());
  // names, shapes and dtypes, every disagreement listed
  nn::check_state_matches(expected, encoder.state, encoder.checkpoint_dir + "/model.safetensors (encoder.*)");
  model.load_state_dict(encoder.state, /*strict=*/false);
}

std::string load_pretrained_encoder(nn::ResNet& model, const std::string& run_or_checkpoint) {
  const PretrainedEncoder encoder = read_pretrained_encoder(run_or_checkpoint);
  load_pretrained_encoder(model, encoder);
  return encoder.checkpoint_dir;
}

}  // namespace nanossl::ssl
