// make_mlp; see mlp.h.
#include "ssl/mlp.h"

#include <stdexcept>
#include <string>

namespace nanossl::ssl {

std::shared_ptr<nn::Sequential> make_mlp(std::int64_t in_dim, std::int64_t hidden_dim, std::int64_t out_dim,
                                         bool batch_norm) {
  if (in_dim < 1 || hidden_dim < 1 || out_dim < 1) {
    throw std::invalid_argument("[mlp] widths must be positive, got " + std::to_string(in_dim) + ", " +
                                std::to_string(hidden_dim) + ", " + std::to_string(out_dim));
  }
  auto mlp = std::make_shared<nn::Sequential>();
  mlp->push_back(std::make_shared<nn::Linear>(in_dim, hidden_dim));
  if (batch_norm) mlp->push_back(std::make_shared<nn::BatchNorm1d>(hidden_dim));
  mlp->push_back(std::make_shared<nn::ReLU>());
  mlp->push_back(std::make_shared<nn::Linear>(hidden_dim, out_dim));
  return mlp;
}

}  // namespace nanossl::ssl
