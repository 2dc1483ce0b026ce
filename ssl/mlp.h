// The 2-layer MLP heads of MoCo v2 and BYOL, as torch.nn.Sequential would name
// them, ReLU included:
//   MoCo v2 (batch_norm false): "0" Linear(in,hidden) "1" ReLU "2" Linear(hidden,out)
//   BYOL    (batch_norm true):  "0" Linear(in,hidden) "1" BatchNorm1d "2" ReLU "3" Linear(hidden,out)
// Every Linear has a bias and there is no BN after the last layer (unlike SimCLR's
// head, ssl/projection_head.h). x (N,in) -> (N,out).
#pragma once
#include <cstdint>
#include <memory>

#include "nn/layers.h"

namespace nanossl::ssl {

std::shared_ptr<nn::Sequential> make_mlp(std::int64_t in_dim, std::int64_t hidden_dim, std::int64_t out_dim,
                                         bool batch_norm);

}  // namespace nanossl::ssl
