// BYOL (Grill et al. 2020, "Bootstrap Your Own Latent"): an online network
// (encoder, projector, predictor) learns to predict, for each image, the target
// network's projection of its other view; the target network (encoder and
// projector) is an EMA of the online one with a momentum that rises from its base
// to 1 on a cosine schedule. No negatives. State-dict names: "encoder.*" (read by
// `linear`, `knn` and `finetune` as for SimCLR), "head.*" (the projector),
// "predictor.*", "target.encoder.*" and "target.head.*".
#pragma once
#include <cstdint>
#include <memory>

#include "nn/layers.h"
#include "nn/resnet.h"
#include "ssl/momentum.h"

namespace nanossl::ssl {

struct ByolConfig {
  nn::ResNetConfig encoder;          // num_classes is forced to 0
  std::int64_t head_hidden = 0;      // projector hidden width; 0: the encoder's feature width (4096 in the paper)
  std::int64_t projection_dim = 128; // 256 in the paper
  std::int64_t predictor_hidden = 0; // 0: the projector's hidden width
};

class Byol : public nn::Module {
 public:
  explicit Byol(ByolConfig config);
  // x (N, C, H, W) -> online projections (N, projection_dim).
  Tensor forward(const Tensor& x) override;
  // online projections (N, projection_dim) -> predictions (N, projection_dim).
  Tensor predict(const Tensor& projections);

  nn::ResNet& encoder() { return *encoder_; }
  MomentumNetwork& target() { return *target_; }
  // target = momentum * target + (1 - momentum) * online (encoder and projector).
  void update_target(double momentum);

 private:
  std::shared_ptr<nn::ResNet> encoder_;
  std::shared_ptr<nn::Sequential> head_, predictor_;
  std::shared_ptr<MomentumNetwork> target_;
};

struct ByolStep {
  Tensor loss;           // scalar, differentiable, in [0, 8]
  double positive_top1;  // as SimCLR's, on the online projections
};
// view1, view2 (N, C, H, W). First the target follows the online network with
// `momentum`; then z = projections of [v1; v2] and p = predict(z) with a graph,
// t = target([v1; v2]) without one, each (2N, D) as one batch;
// loss = normalized_mse(p1, t2) + normalized_mse(p2, t1), BYOL's symmetric loss.
ByolStep byol_step(Byol& model, const Tensor& view1, const Tensor& view2, double momentum);

}  // namespace nanossl::ssl
