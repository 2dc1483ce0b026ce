// The momentum (EMA) networks of MoCo and BYOL: a copy of the online encoder and
// head that follows it as an exponential moving average instead of being trained.
// It is registered as a child of the method's model, so its weights and BN
// statistics are in the state dict (checkpoints, bitwise resume), but its
// parameters have requires_grad false: no gradient reaches them and the optimizer
// (commands/builders.h, trainable parameters only) never sees them.
#pragma once
#include <cstdint>
#include <memory>

#include "nn/module.h"
#include "nn/resnet.h"

namespace nanossl::ssl {

// target = momentum * target + (1 - momentum) * online, for every parameter, in
// place and without a graph. Buffers (BN running statistics) are not averaged: the
// target's own forward passes in training mode update them, as in MoCo's and
// BYOL's reference code. Names, shapes and order must agree (the target is built
// like the online network); otherwise throws "[ema_update] ..." naming the tensor.
void ema_update(nn::Module& target, const nn::Module& online, double momentum);

// Copies every parameter and buffer of `online` into `target` (the start: the
// target equals the online network), and freezes the target's parameters.
void init_target(nn::Module& target, const nn::Module& online);

// BYOL's schedule: 1 - (1 - base) * (cos(pi * step / total_steps) + 1) / 2, which
// is `base` at step 0 and rises to 1 at total_steps (clamped beyond it).
double cosine_momentum(double base, std::int64_t step, std::int64_t total_steps);

// An encoder and a head, applied as head(encoder.features(x)); the target of
// BYOL and the key encoder of MoCo. State-dict names: "encoder.*", "head.*".
class MomentumNetwork : public nn::Module {
 public:
  MomentumNetwork(std::shared_ptr<nn::ResNet> encoder, std::shared_ptr<nn::Module> head);
  // x (N, C, H, W) -> (N, out); always without a graph.
  Tensor forward(const Tensor& x) override;
  // The start (a copy of the online encoder and head, parameters frozen), and
  // each step's update: ema_update of the encoder and of the head.
  void start_from(const nn::Module& encoder, const nn::Module& head);
  void follow(const nn::Module& encoder, const nn::Module& head, double momentum);

 private:
  std::shared_ptr<nn::ResNet> encoder_;
  std::shared_ptr<nn::Module> head_;
};

}  // namespace nanossl::ssl
