// BYOL model and step; see byol.h. Legend: N images per view, D projection width.
#include "ssl/byol.h"

#include <stdexcept>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "ssl/mlp.h"
#include "ssl/normalized_mse.h"
#include "ssl/ntxent.h"

namespace nanossl::ssl {

Byol::Byol(ByolConfig config) {
  config.encoder.num_classes = 0;
  encoder_ = register_module("encoder", nn::make_resnet(config.encoder));
  const std::int64_t width = encoder_->feature_dim();
  const std::int64_t hidden = config.head_hidden > 0 ? config.head_hidden : width;
  const std::int64_t predictor_hidden = config.predictor_hidden > 0 ? config.predictor_hidden : hidden;
  head_ = register_module("head", make_mlp(width, hidden, config.projection_dim, /*batch_norm=*/true));
  predictor_ = register_module("predictor", make_mlp(config.projection_dim, predictor_hidden, config.projection_dim,
                                                     /*batch_norm=*/true));
  target_ = register_module("target", std::make_shared<MomentumNetwork>(
                                          nn::make_resnet(config.encoder),
                                          make_mlp(width, hidden, config.projection_dim, true)));
  target_->start_from(*encoder_, *head_);
}

Tensor Byol::forward(const Tensor& x) { return (*head_)(encoder_->features(x)); }

Tensor Byol::predict(const Tensor& projections) { return (*predictor_)(projections); }

void Byol::update_target(double momentum) { target_->follow(*encoder_, *head_, momentum); }

ByolStep byol_step(Byol& model, const Tensor& view1, const Tensor& view2, double momentum) {
  if (!view1.defined() || !view2.defined() || view1.shape() != view2.shape()) {
    throw std::invalid_argument("[byol_step] the two views must be defined and of one shape");
  }
  const std::int64_t n = view1.size(0);
  model.update_target(momentum);
  const Tensor images = cat({view1, view2}, 0);  // (2N, C, H, W)
  const Tensor z = model(images);                // (2N, D), BN over both views
  const Tensor p = model.predict(z);             // (2N, D)
  const Tensor t = model.target()(images);       // (2N, D), no graph
  ByolStep step;
  step.loss = normalized_mse(slice(p, 0, n), slice(t, n, 2 * n)) + normalized_mse(slice(p, n, 2 * n), slice(t, 0, n));
  step.positive_top1 = contrastive_top1(slice(z, 0, n), slice(z, n, 2 * n));
  return step;
}

}  // namespace nanossl::ssl
