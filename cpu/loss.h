// Loss kernels on raw pointers: log_softmax over the last dimension and the fused,
// numerically stable cross-entropy (softmax folded in), forward and backward. These
// are the reference for cuda/loss.cu.
//
// Dimensions: N rows (samples), C classes. logits, y, grad_y, dx: (N,C) contiguous;
// labels: (N); stats: (N,2); loss: one element.
#pragma once
#include <cstdint>

namespace nanossl::cpu {

// y[i,j] = x[i,j] - logsumexp(x[i,:]), with logsumexp = max + log(sum(exp(x - max))).
template <class T>
void log_softmax_forward(const T* x, T* y, std::int64_t N, std::int64_t C);

// dx[i,j] = grad_y[i,j] - exp(y[i,j]) * sum_k grad_y[i,k], from the forward's output y.
template <class T>
void log_softmax_backward(const T* grad_y, const T* y, T* dx, std::int64_t N, std::int64_t C);

// loss = mean_i (logsumexp(logits[i,:]) - logits[i, labels[i]]). Writes, for the
// backward, stats (N,2): stats[i,0] = max_j logits[i,j] and
// stats[i,1] = log(sum_j exp(logits[i,j] - max)); kept apart (not added into one
// logsumexp) so exp(logits - max - logsum) stays exact for logits of 1e4 in float.
// Labels must already be checked to lie in [0,C).
template <class T>
void cross_entropy_forward(const T* logits, const std::int64_t* labels, T* stats, T* loss,
                           std::int64_t N, std::int64_t C);

// dx[i,j] = (softmax[i,j] - [j == labels[i]]) * grad_loss[0] / N, with
// softmax[i,j] = exp(logits[i,j] - stats[i,0] - stats[i,1]).
template <class T>
void cross_entropy_backward(const T* logits, const std::int64_t* labels, const T* stats,
                            const T* grad_loss, T* dx, std::int64_t N, std::int64_t C);

}  // namespace nanossl::cpu
