// MoCo v2 model and step; see moco.h. Legend: N images per view, D projection width.
#include "ssl/moco.h"

#include <stdexcept>
#include <string>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "ssl/info_nce.h"
#include "ssl/mlp.h"

namespace nanossl::ssl {

Moco::Moco(MocoConfig config) {
  config.encoder.num_classes = 0;
  encoder_ = register_module("encoder", nn::make_resnet(config.encoder));
  const std::int64_t width = encoder_->feature_dim();
  const std::int64_t hidden = config.head_hidden > 0 ? config.head_hidden : width;
  head_ = register_module("head", make_mlp(width, hidden, config.projection_dim, /*batch_norm=*/false));
  momentum_ = register_module("momentum", std::make_shared<MomentumNetwork>(
                                              nn::make_resnet(config.encoder),
                                              make_mlp(width, hidden, config.projection_dim, false)));
  momentum_->start_from(*encoder_, *head_);
  queue_ = register_module("queue", std::make_shared<KeyQueue>(config.queue_size, config.projection_dim));
}

Tensor Moco::forward(const Tensor& x) { return (*head_)(encoder_->features(x)); }

void Moco::update_momentum(double momentum) { momentum_->follow(*encoder_, *head_, momentum); }

MocoStep moco_step(Moco& model, const Tensor& view1, const Tensor& view2, double temperature, double momentum) {
  if (!view1.defined() || !view2.defined() || view1.shape() != view2.shape()) {
    throw std::invalid_argument("[moco_step] the two views must be defined and of one shape");
  }
  const std::int64_t n = view1.size(0);
  if (2 * n > model.queue().size()) {
    throw std::invalid_argument("[moco_step] a step enqueues the 2N = " + std::to_string(2 * n) +
                                " keys of both views, more than the queue holds (" +
                                std::to_string(model.queue().size()) + "): raise moco.queue_size");
  }
  model.update_momentum(momentum);
  const Tensor images = cat({view1, view2}, 0);  // (2N, C, H, W)
  const Tensor q = model(images);                // (2N, D), BN over both views
  Tensor k;
  {
    NoGradGuard no_grad;
    k = l2_normalize(model.momentum()(images));  // (2N, D), the key batch's own BN statistics
  }
  const Tensor q1 = slice(q, 0, n), q2 = slice(q, n, 2 * n);
  const Tensor k1 = slice(k, 0, n), k2 = slice(k, n, 2 * n);
  const Tensor& queue = model.queue().keys();  // (K, D)
  MocoStep step;
  step.loss = (info_nce(q1, k2, queue, temperature) + info_nce(q2, k1, queue, temperature)) * 0.5;
  step.positive_top1 = info_nce_top1(q, cat({k2, k1}, 0), queue);
  step.keys = k;
  return step;
}

void enqueue_keys(Moco& model, const MocoStep& step) { model.queue().enqueue(step.keys); }

}  // namespace nanossl::ssl
