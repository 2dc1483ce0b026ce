// 2-D pooling on raw NCHW pointers: max pooling (saving the argmax for the backward),
// average pooling with padding counted as zeros, and global average pooling. These
// are the reference for cuda/pooling.cu.
//
// Dimensions: N batch, C channels, H W input size, P Q output size.
//   x, dx (N,C,H,W); out, dout, indices (N,C,P,Q)
//   P = (H + 2*padding - kernel) / stride + 1, likewise Q from W (square windows).
#pragma once
#include <cstdint>

#include "base/host_device.h"

namespace nanossl {

// The sizes of one pooling; shared by the CPU and CUDA kernels.
struct Pool2dGeometry {
  std::int64_t N = 0, C = 0, H = 0, W = 0;  // input
  std::int64_t kernel = 1, stride = 1, padding = 0;
  std::int64_t P = 0, Q = 0;                // output

  std::int64_t planes() const { return N * C; }
  std::int64_t plane_in() const { return H * W; }
  std::int64_t plane_out() const { return P * Q; }

  // The input rows [begin, end) under output row p, and the columns under output
  // column q: the window clipped to the input (padding holds no input).
  struct Span {
    std::int64_t begin, end;
  };
  NANOSSL_HOST_DEVICE Span rows(std::int64_t p) const { return clipped(p, H); }
  NANOSSL_HOST_DEVICE Span cols(std::int64_t q) const { return clipped(q, W); }

 private:
  NANOSSL_HOST_DEVICE Span clipped(std::int64_t out, std::int64_t extent) const {
    const std::int64_t start = out * stride - padding, stop = start + kernel;
    return {start < 0 ? 0 : start, stop < extent ? stop : extent};
  }
};

// Output extent along one axis; may be < 1 when the window exceeds the padded input.
inline std::int64_t pool2d_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                       std::int64_t padding) {
  const std::int64_t room = in + 2 * padding - kernel;
  return room < 0 ? 0 : room / stride + 1;
}

}  // namespace nanossl

namespace nanossl::cpu {

// out = max over each window (padding never wins: it acts as -inf; a NaN wins and
// propagates). indices[n][c][p][q] = h*W + w of the chosen input in its plane.
template <class T>
void max_pool2d_forward(const T* x, T* out, std::int64_t* indices, const Pool2dGeometry& g);

// dx (overwritten) = dout routed to the saved argmax of each window; where windows
// overlap, contributions add.
template <class T>
void max_pool2d_backward(const T* dout, const std::int64_t* indices, T* dx,
                         const Pool2dGeometry& g);

// out = sum over each window / kernel^2 (padding counts as zeros, count_include_pad).
template <class T>
void avg_pool2d_forward(const T* x, T* out, const Pool2dGeometry& g);

// dx (overwritten) = every dout / kernel^2 spread over its window's inputs.
template <class T>
void avg_pool2d_backward(const T* dout, T* dx, const Pool2dGeometry& g);

// planes = N*C planes of `size` = H*W elements: out[i] = mean of plane i
// (accumulated in double).
template <class T>
void global_avg_pool2d_forward(const T* x, T* out, std::int64_t planes, std::int64_t size);

// dx[i][j] = dout[i] / size.
template <class T>
void global_avg_pool2d_backward(const T* dout, T* dx, std::int64_t planes, std::int64_t size);

}  // namespace nanossl::cpu
