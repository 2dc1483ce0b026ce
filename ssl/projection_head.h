// SimCLR v2's projection head g(h): the MLP between the encoder's features h and the
// space where NT-Xent compares views (ssl/ntxent.h). Its output is used only by the
// loss; downstream tasks read the encoder's features (or an inner layer of g).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/layers.h"
#include "nn/module.h"

namespace nanossl::ssl {

// x (N,in_dim) -> (N,out_dim). `layers` (2 or 3) Linear layers without bias, each
// followed by BatchNorm1d, with ReLU between them and none after the last:
//   2 layers: Linear(in,hidden) BN ReLU Linear(hidden,out) BN
//   3 layers: Linear(in,hidden) BN ReLU Linear(hidden,hidden) BN ReLU Linear(hidden,out) BN
// The last BatchNorm1d has no bias (beta): its output is L2-normalised by the loss,
// so a shift would only move the points off the origin the cosine is measured from.
// Callers pass the encoder's feature width as both in_dim and hidden_dim (SimCLR).
//
// Children are named as a torch.nn.Sequential of those modules would name them,
// ReLUs included ("0" Linear, "1" BN, "2" ReLU, "3" Linear, "4" BN, ...), so a model
// that registers the head as "projector" has "projector.0.weight",
// "projector.1.weight", "projector.1.bias", "projector.1.running_mean", ...,
// "projector.4.weight" and no "projector.4.bias".
class ProjectionHead : public nn::Module {
 public:
  ProjectionHead(std::int64_t in_dim, std::int64_t hidden_dim, std::int64_t out_dim = 128, int layers = 2);
  Tensor forward(const Tensor& x) override;

  std::int64_t in_dim, hidden_dim, out_dim;
  int num_layers;
  // The same modules as the children, in order (linears[i] is followed by norms[i]).
  std::vector<std::shared_ptr<nn::Linear>> linears;
  std::vector<std::shared_ptr<nn::BatchNorm1d>> norms;
};

}  // namespace nanossl::ssl
