// SimCLR's contrastive loss, NT-Xent (normalised temperature-scaled cross-entropy),
// and a no-grad monitor of how often each anchor's nearest other row is its positive.
// Both views of a batch go in as (N,D) projections; row i of z1 and row i of z2 come
// from the same image. See docs/simclr.md.
#pragma once
#include "tensor/tensor.h"

namespace nanossl::ssl {

// z1, z2 (N,D), f32 or f64, same device. The 2N rows Z = [z1; z2] are L2-normalised,
// the cosine similarities scaled by 1/temperature are the logits of a (2N)-way
// classification in which each anchor's own row is excluded and the right class of
// anchor i is its other view, (i+N) mod 2N. Returns the mean cross-entropy over the
// 2N anchors, a one-element tensor. Built from differentiable ops (l2_normalize,
// cat, matmul, transpose, cross_entropy), so it runs on CPU and CUDA and its
// gradient reaches z1 and z2 through autograd. Throws "[nt_xent] ..." on bad input.
Tensor nt_xent(const Tensor& z1, const Tensor& z2, double temperature);

// Percent (0..100) of the 2N anchors whose most similar other row (by cosine) is
// their positive; no graph is recorded. The same input checks as nt_xent, named
// "[contrastive_top1]". With N == 1 the only other row is the positive: 100.
double contrastive_top1(const Tensor& z1, const Tensor& z2);

}  // namespace nanossl::ssl
