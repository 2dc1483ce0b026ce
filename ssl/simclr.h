// SimCLR's model: an encoder (a ResNet without its classifier) and a projection
// head, and the contrastive step on two views of a batch. Both views pass through
// the network as one batch of 2N, so batch norm normalises them together (computing
// each view's statistics separately lets the network tell the views apart by their
// batch statistics, a known pitfall). State-dict names are "encoder.<torchvision
// name>" and "head.<projection head name>".
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "nn/resnet.h"
#include "ssl/projection_head.h"

namespace nanossl::ssl {

struct SimclrConfig {
  nn::ResNetConfig encoder;      // num_classes is forced to 0
  int head_layers = 2;           // 2 or 3 Linear + BN layers
  std::int64_t head_hidden = 0;  // 0: the encoder's feature width
  std::int64_t projection_dim = 128;
};

class Simclr : public nn::Module {
 public:
  explicit Simclr(SimclrConfig config);
  // x (N, C, H, W) -> projections (N, projection_dim).
  Tensor forward(const Tensor& x) override;

  nn::ResNet& encoder() { return *encoder_; }
  std::shared_ptr<nn::ResNet> encoder_ptr() const { return encoder_; }

 private:
  std::shared_ptr<nn::ResNet> encoder_;
  std::shared_ptr<ProjectionHead> head_;
};

struct ContrastiveStep {
  Tensor loss;            // scalar NT-Xent, differentiable
  double positive_top1;   // percent of the 2N anchors whose nearest other row is their positive
};
// view1, view2 (N, C, H, W): the same N images under two augmentations.
// Concatenated into one (2N, C, H, W) batch, projected, split back into z1 and z2
// (N, projection_dim) each, then nt_xent(z1, z2, temperature).
ContrastiveStep contrastive_step(Simclr& model, const Tensor& view1, const Tensor& view2, double temperature);

// The "encoder." entries of a SimCLR state dict, without the prefix: a state dict
// for a ResNet without fc. Throws if there are none.
std::map<std::string, Tensor> encoder_state(const std::map<std::string, Tensor>& simclr_state,
                                            const std::string& source);

struct PretrainedEncoder {
  std::string checkpoint_dir;               // the checkpoint it came from
  std::map<std::string, Tensor> state;      // torchvision names, no fc
  std::int64_t in_channels() const;         // of its first convolution
};
// The encoder of a pretraining run: a run directory (its latest complete
// checkpoint) or one checkpoint directory. Throws naming the path and the problem.
PretrainedEncoder read_pretrained_encoder(const std::string& run_or_checkpoint);

// The trunk of a supervised ResNet classifier's state dict (`nanossl train`): every
// tensor but fc.*. Throws if it is not a classifier's (no conv1.weight or fc.weight).
std::map<std::string, Tensor> classifier_trunk_state(const std::map<std::string, Tensor>& classifier_state,
                                                     const std::string& source);
// For evaluation by probe or kNN, where either kind of representation is frozen and
// scored alike (the quality study probes supervised and SimCLR encoders the same
// way): a SimCLR checkpoint's encoder, or a supervised checkpoint's trunk.
// Fine-tuning keeps read_pretrained_encoder, which takes SimCLR runs only.
PretrainedEncoder read_any_encoder(const std::string& run_or_checkpoint);

// Loads `encoder` into `model`: every tensor of `model` except fc.* must be there
// with the same shape and dtype (an error lists what disagrees); fc keeps its own
// initialisation.
void load_pretrained_encoder(nn::ResNet& model, const PretrainedEncoder& encoder);
// Both steps; returns the checkpoint directory used.
std::string load_pretrained_encoder(nn::ResNet& model, const std::string& run_or_checkpoint);

}  // namespace nanossl::ssl
