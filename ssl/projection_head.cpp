// ProjectionHead: registers Linear/BatchNorm1d/ReLU children under Sequential-style
// indices and applies them in order.
#include "ssl/projection_head.h"

#include <stdexcept>
#include <string>

namespace nanossl::ssl {
namespace {

void check_width(const char* what, std::int64_t value) {
  if (value <= 0) {
    throw std::invalid_argument(std::string("[ProjectionHead] ") + what + " must be positive, got " +
                                std::to_string(value));
  }
}

}  // namespace

ProjectionHead::ProjectionHead(std::int64_t in_dim, std::int64_t hidden_dim, std::int64_t out_dim, int layers)
    : in_dim(in_dim), hidden_dim(hidden_dim), out_dim(out_dim), num_layers(layers) {
  check_width("in_dim", in_dim);
  check_width("hidden_dim", hidden_dim);
  check_width("out_dim", out_dim);
  if (layers != 2 && layers != 3) {
    throw std::invalid_argument("[ProjectionHead] layers must be 2 or 3, got " + std::to_string(layers));
  }
  int index = 0;
  auto add = [&](std::shared_ptr<nn::Module> module) { register_module(std::to_string(index++), std::move(module)); };
  for (int i = 0; i < layers; ++i) {
    const bool last = i == layers - 1;
    const std::int64_t fan_in = i == 0 ? in_dim : hidden_dim;
    const std::int64_t fan_out = last ? out_dim : hidden_dim;
    linears.push_back(std::make_shared<nn::Linear>(fan_in, fan_out, /*bias=*/false));
    norms.push_back(std::make_shared<nn::BatchNorm1d>(fan_out, 0.1, 1e-5, /*learn_bias=*/!last));
    add(linears.back());
    add(norms.back());
    if (!last) add(std::make_shared<nn::ReLU>());
  }
}

Tensor ProjectionHead::forward(const Tensor& x) {
  if (!x.defined() || x.ndim() != 2 || x.size(1) != in_dim) {
    throw std::invalid_argument("[ProjectionHead] expects (N," + std::to_string(in_dim) + ") features, got " +
                                (x.defined() ? x.describe() : std::string("undefined")));
  }
  Tensor out = x;  // (N,in_dim)
  for (const auto& entry : children()) out = entry.second->forward(out);
  return out;      // (N,out_dim)
}

}  // namespace nanossl::ssl
