// MoCo v2 (Chen et al. 2020, "Improved Baselines with Momentum Contrastive
// Learning"): a query encoder and MLP head trained by InfoNCE against the keys of
// a momentum encoder, an EMA of the query network, with a queue of earlier keys
// as the negatives. State-dict names: "encoder.*" and "head.*" (the query network;
// `linear`, `knn` and `finetune` read "encoder.*" as for SimCLR), "momentum.encoder.*"
// and "momentum.head.*" (the key network), "queue.keys" and "queue.pointer".
//
// The loss is symmetrised (each view is once the query, once the key), as in
// solo-learn's and lightly's MoCo v2 baselines, so every image passes both
// networks in both views like SimCLR and BYOL. One process has no shuffled BN:
// the key network normalises the 2N key images with their own batch statistics
// in a separate forward pass (docs/methods.md says what that leaks and why it is
// acceptable here).
#pragma once
#include <cstdint>
#include <memory>

#include "nn/layers.h"
#include "nn/resnet.h"
#include "ssl/key_queue.h"
#include "ssl/momentum.h"

namespace nanossl::ssl {

struct MocoConfig {
  nn::ResNetConfig encoder;        // num_classes is forced to 0
  std::int64_t head_hidden = 0;    // 0: the encoder's feature width (2048 in the paper's ResNet-50)
  std::int64_t projection_dim = 128;
  std::int64_t queue_size = 4096;  // K; 65536 in the paper
};

class Moco : public nn::Module {
 public:
  explicit Moco(MocoConfig config);
  // x (N, C, H, W) -> queries (N, projection_dim), not normalised.
  Tensor forward(const Tensor& x) override;

  nn::ResNet& encoder() { return *encoder_; }
  MomentumNetwork& momentum() { return *momentum_; }
  KeyQueue& queue() { return *queue_; }
  // key encoder = momentum * key encoder + (1 - momentum) * query encoder (and heads).
  void update_momentum(double momentum);

 private:
  std::shared_ptr<nn::ResNet> encoder_;
  std::shared_ptr<nn::Sequential> head_;
  std::shared_ptr<MomentumNetwork> momentum_;
  std::shared_ptr<KeyQueue> queue_;
};

struct MocoStep {
  Tensor loss;           // scalar, differentiable: the mean of the two directions' InfoNCE
  double positive_top1;  // percent of the 2N queries whose largest InfoNCE logit is their key (MoCo's task)
  Tensor keys;           // (2N, projection_dim) unit keys of both views, to enqueue after backward
};
// view1, view2 (N, C, H, W). First the key network follows the query network with
// `momentum`; then queries q = head(encoder([v1; v2])) with a graph and keys
// k = momentum network([v1; v2]) without one, both (2N, D) as one batch each;
// loss = (info_nce(q1, k2, queue) + info_nce(q2, k1, queue)) / 2. The queue is not
// changed here: the caller enqueues step.keys after backward (the loss's graph
// reads the queue), see enqueue_keys.
MocoStep moco_step(Moco& model, const Tensor& view1, const Tensor& view2, double temperature, double momentum);
// queue <- step.keys (2N rows: view 1's keys, then view 2's).
void enqueue_keys(Moco& model, const MocoStep& step);

}  // namespace nanossl::ssl
