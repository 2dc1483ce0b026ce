// SimCLR, MoCo v2 and BYOL as PretrainModels; see ssl_methods.h.
#include "commands/ssl_methods.h"

#include <stdexcept>

#include "autograd/ops.h"
#include "commands/builders.h"
#include "ssl/byol.h"
#include "ssl/moco.h"
#include "ssl/momentum.h"
#include "ssl/simclr.h"

namespace nanossl {
namespace {

PretrainModel simclr_model(const PretrainConfig& config, std::int64_t in_channels) {
  ssl::SimclrConfig simclr;
  simclr.encoder = resnet_config(config.model, in_channels, 0);
  simclr.head_layers = static_cast<int>(config.head.layers);
  simclr.head_hidden = config.head.hidden;
  simclr.projection_dim = config.head.dim;
  auto model = std::make_shared<ssl::Simclr>(simclr);
  const double temperature = config.temperature;
  auto step = [model, temperature](const Tensor& view1, const Tensor& view2, std::int64_t) {
    const ssl::ContrastiveStep step = ssl::contrastive_step(*model, view1, view2, temperature);
    backward(step.loss);
    return StepReport{step.loss.item(), step.positive_top1};
  };
  return {model, &model->encoder(), "", step};
}

void require_two_layer_head(const PretrainConfig& config) {
  if (config.head.layers != 2) {
    throw std::invalid_argument("[config] head.layers: method " + config.method +
                                " has a 2-layer head (MoCo v2's and BYOL's MLP), got " +
                                std::to_string(config.head.layers));
  }
}

PretrainModel moco_model(const PretrainConfig& config, std::int64_t in_channels, std::int64_t total_steps) {
  require_two_layer_head(config);
  if (config.moco.queue_size < 2 * config.loop.batch_size) {
    throw std::invalid_argument("[config] moco.queue_size: " + std::to_string(config.moco.queue_size) +
                                " is less than the 2 x batch_size = " + std::to_string(2 * config.loop.batch_size) +
                                " keys a step enqueues");
  }
  ssl::MocoConfig moco;
  moco.encoder = resnet_config(config.model, in_channels, 0);
  moco.head_hidden = config.head.hidden;
  moco.projection_dim = config.head.dim;
  moco.queue_size = config.moco.queue_size;
  auto model = std::make_shared<ssl::Moco>(moco);
  const double temperature = config.temperature, base = config.moco.momentum;
  const bool cosine = config.moco.cosine_momentum;
  auto step = [=](const Tensor& view1, const Tensor& view2, std::int64_t index) {
    const double momentum = cosine ? ssl::cosine_momentum(base, index, total_steps) : base;
    const ssl::MocoStep step = ssl::moco_step(*model, view1, view2, temperature, momentum);
    backward(step.loss);
    ssl::enqueue_keys(*model, step);  // after backward: the loss's graph read the queue
    return StepReport{step.loss.item(), step.positive_top1};
  };
  return {model, &model->encoder(), "", step};
}

PretrainModel byol_model(const PretrainConfig& config, std::int64_t in_channels, std::int64_t total_steps) {
  require_two_layer_head(config);
  ssl::ByolConfig byol;
  byol.encoder = resnet_config(config.model, in_channels, 0);
  byol.head_hidden = config.head.hidden;
  byol.projection_dim = config.head.dim;
  byol.predictor_hidden = config.byol.predictor_hidden;
  auto model = std::make_shared<ssl::Byol>(byol);
  const double base = config.byol.momentum;
  auto step = [=](const Tensor& view1, const Tensor& view2, std::int64_t index) {
    const ssl::ByolStep step = ssl::byol_step(*model, view1, view2, ssl::cosine_momentum(base, index, total_steps));
    backward(step.loss);
    return StepReport{step.loss.item(), step.positive_top1};
  };
  return {model, &model->encoder(), "", step};
}

}  // namespace

std::string method_name(const std::string& method) {
  if (method == "simclr") return "SimCLR";
  if (method == "moco") return "MoCo v2";
  if (method == "byol") return "BYOL";
  throw std::invalid_argument("[config] method: expected simclr, moco or byol, got '" + method + "'");
}

PretrainModel make_pretrain_model(const PretrainConfig& config, std::int64_t in_channels, std::int64_t total_steps) {
  const std::string name = method_name(config.method);  // throws for an unknown method
  PretrainModel model = config.method == "simclr" ? simclr_model(config, in_channels)
                        : config.method == "moco" ? moco_model(config, in_channels, total_steps)
                                                  : byol_model(config, in_channels, total_steps);
  model.name = name;
  return model;
}

}  // namespace nanossl
