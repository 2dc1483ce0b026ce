// EMA update, the target's start and the cosine momentum schedule; see momentum.h.
#include "ssl/momentum.h"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.h"

namespace nanossl::ssl {

void ema_update(nn::Module& target, const nn::Module& online, double momentum) {
  if (!(momentum >= 0.0 && momentum <= 1.0)) {
    throw std::invalid_argument("[ema_update] momentum must be in [0, 1], got " + std::to_string(momentum));
  }
  const nn::NamedTensors targets = target.named_parameters(), sources = online.named_parameters();
  if (targets.size() != sources.size()) {
    throw std::invalid_argument("[ema_update] the target has " + std::to_string(targets.size()) +
                                " parameters, the online network " + std::to_string(sources.size()));
  }
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& [name, t] = targets[i];
    const auto& [source_name, s] = sources[i];
    if (name != source_name || t.shape() != s.shape()) {
      throw std::invalid_argument("[ema_update] target " + name + " " + t.describe() + " does not match online " +
                                  source_name + " " + s.describe());
    }
    Tensor tensor = t;  // a handle on the same storage
    tensor.mul_(momentum).add_(s, 1.0 - momentum);
  }
}

void init_target(nn::Module& target, const nn::Module& online) {
  target.load_state_dict(online.state_dict());
  for (auto& [name, parameter] : target.named_parameters()) {
    Tensor frozen = parameter;
    frozen.set_requires_grad(false);
  }
}

double cosine_momentum(double base, std::int64_t step, std::int64_t total_steps) {
  if (total_steps <= 0 || step >= total_steps) return 1.0;
  const double progress = static_cast<double>(step) / static_cast<double>(total_steps);
  return 1.0 - (1.0 - base) * (std::cos(std::numbers::pi * progress) + 1.0) / 2.0;
}

MomentumNetwork::MomentumNetwork(std::shared_ptr<nn::ResNet> encoder, std::shared_ptr<nn::Module> head) {
  encoder_ = register_module("encoder", std::move(encoder));
  head_ = register_module("head", std::move(head));
}

Tensor MomentumNetwork::forward(const Tensor& x) {
  NoGradGuard no_grad;
  return (*head_)(encoder_->features(x));
}

void MomentumNetwork::start_from(const nn::Module& encoder, const nn::Module& head) {
  init_target(*encoder_, encoder);
  init_target(*head_, head);
}

void MomentumNetwork::follow(const nn::Module& encoder, const nn::Module& head, double momentum) {
  ema_update(*encoder_, encoder, momentum);
  ema_update(*head_, head, momentum);
}

}  // namespace nanossl::ssl
