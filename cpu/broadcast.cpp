// Builds broadcast plans (cpu/broadcast.h): aligns the two shapes from the right,
// checks them, assigns strides with 0 on broadcast dims, then drops size-1 dims and
// merges adjacent dims that both inputs walk contiguously.
#include "cpu/broadcast.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace nanossl::cpu {

namespace {

using Extents = std::vector<std::int64_t>;

// "3x4", or "scalar" for no dims (the same text as base/shape.h's shape_str).
std::string extents_str(const Extents& shape) {
  if (shape.empty()) return "scalar";
  std::string text;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += "x";
    text += std::to_string(shape[i]);
  }
  return text;
}

[[noreturn]] void cannot_broadcast(const char* op, const Extents& a, const Extents& b) {
  throw std::invalid_argument(std::string("[") + op + "] shapes " + extents_str(a) + " and " +
                              extents_str(b) + " cannot broadcast");
}

// `shape` padded with leading 1s to `ndim` dims.
Extents left_pad(const Extents& shape, std::size_t ndim) {
  Extents padded(ndim - shape.size(), 1);
  padded.insert(padded.end(), shape.begin(), shape.end());
  return padded;
}

// Row-major strides of a contiguous tensor of `shape`, 0 where the extent is 1 and
// the output's is not (the dims this input is broadcast along).
Extents broadcast_strides(const Extents& shape, const Extents& out) {
  Extents strides(shape.size(), 0);
  std::int64_t step = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = (shape[i] == 1 && out[i] != 1) ? 0 : step;
    step *= shape[i];
  }
  return strides;
}

}  // namespace

Extents broadcast_shape(const char* op, const Extents& a, const Extents& b) {
  const std::size_t ndim = std::max(a.size(), b.size());
  const Extents pa = left_pad(a, ndim), pb = left_pad(b, ndim);
  Extents out(ndim);
  for (std::size_t i = 0; i < ndim; ++i) {
    if (pa[i] == pb[i] || pb[i] == 1) out[i] = pa[i];
    else if (pa[i] == 1) out[i] = pb[i];
    else cannot_broadcast(op, a, b);
  }
  return out;
}

BroadcastPlan make_broadcast_plan(const char* op, const Extents& a, const Extents& b) {
  const Extents out = broadcast_shape(op, a, b);
  const Extents pa = left_pad(a, out.size()), pb = left_pad(b, out.size());
  const Extents sa = broadcast_strides(pa, out), sb = broadcast_strides(pb, out);

  // Keep dims of extent != 1; merge dim i into the previous kept dim when both
  // inputs step over it contiguously (outer stride == inner stride * inner extent).
  Extents shape, stride_a, stride_b;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 1) continue;
    if (!shape.empty() && stride_a.back() == sa[i] * out[i] && stride_b.back() == sb[i] * out[i]) {
      shape.back() *= out[i];
      stride_a.back() = sa[i];
      stride_b.back() = sb[i];
    } else {
      shape.push_back(out[i]);
      stride_a.push_back(sa[i]);
      stride_b.push_back(sb[i]);
    }
  }
  if (shape.empty()) {  // every extent is 1: one element
    shape = {1};
    stride_a = {0};
    stride_b = {0};
  }
  if (shape.size() > static_cast<std::size_t>(kMaxBroadcastDims)) {
    throw std::invalid_argument(std::string("[") + op + "] shapes " + extents_str(a) + " and " +
                                extents_str(b) + " need more than " +
                                std::to_string(kMaxBroadcastDims) + " dims to broadcast");
  }

  BroadcastPlan plan;
  plan.ndim = static_cast<int>(shape.size());
  plan.numel = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    plan.shape[i] = shape[i];
    plan.a_stride[i] = stride_a[i];
    plan.b_stride[i] = stride_b[i];
    plan.numel *= shape[i];
  }
  return plan;
}

}  // namespace nanossl::cpu
