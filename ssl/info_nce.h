// MoCo's contrastive loss, InfoNCE against a queue of negatives: each query's
// positive is its own image's key (the other view, through the momentum encoder),
// its negatives are the K keys of the queue (earlier batches). Unlike NT-Xent
// (ssl/ntxent.h) the other images of the batch are not candidates. See docs/methods.md.
#pragma once
#include "tensor/tensor.h"

namespace nanossl::ssl {

// queries (B,D), keys (B,D), queue (K,D); f32 or f64, one dtype and device. Rows of
// queries and keys are L2-normalised here (the queue's rows are unit already: they
// were keys). logits_b = [q_b.k_b, q_b.queue_1, ..., q_b.queue_K] / temperature,
// (B, 1+K); the loss is the mean over b of the cross-entropy with class 0, a
// one-element tensor. Gradients reach queries (and keys, if they require one; in
// MoCo they do not); the queue is a constant. Built from differentiable ops, so it
// needs no kernel of its own. Throws "[info_nce] ..." on bad input.
Tensor info_nce(const Tensor& queries, const Tensor& keys, const Tensor& queue, double temperature);

// Percent of the B queries whose largest logit is their positive; no graph.
double info_nce_top1(const Tensor& queries, const Tensor& keys, const Tensor& queue);

}  // namespace nanossl::ssl
