// Softmax-family ops on logits (N,C).
#pragma once
#include "tensor/tensor.h"

namespace nanossl {

Tensor log_softmax(const Tensor& logits);  // over the last dim of a 2-D tensor
// Mean over rows of -log_softmax(logits)[i, labels[i]]; labels are i64 in [0,C).
// Fused and stable (max-subtracted); backward is (softmax - onehot) / N.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels);

}  // namespace nanossl
