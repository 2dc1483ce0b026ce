// 2-D convolution on raw NCHW pointers, lowered onto cpu::gemm: im2col turns a
// chunk of images into one matrix so each layer is a few large GEMMs. These are the
// reference for cuda/conv.cu.
//
// Dimensions: N batch, C input channels, H W input height and width, K output
// channels, R S kernel height and width, P Q output height and width.
//   x (N,C,H,W), weight (K,C,R,S), bias (K), out (N,K,P,Q)
//   P = (H + 2*padding - dilation*(R-1) - 1) / stride + 1, likewise Q from W and S.
#pragma once
#include <cstdint>

namespace nanossl {

// The sizes of one convolution; shared by the CPU and CUDA kernels.
struct Conv2dGeometry {
  std::int64_t N = 0, C = 0, H = 0, W = 0;  // input
  std::int64_t K = 0, R = 0, S = 0;         // weight
  std::int64_t stride = 1, padding = 0, dilation = 1;
  std::int64_t P = 0, Q = 0;                // output

  std::int64_t rows() const { return C * R * S; }  // rows of the im2col matrix
  std::int64_t plane_in() const { return H * W; }
  std::int64_t plane_out() const { return P * Q; }
  // 1x1, stride 1, no padding: the input already is the im2col matrix of each image.
  bool pointwise() const { return R == 1 && S == 1 && stride == 1 && padding == 0; }
};

// Output extent along one axis; may be < 1 when the kernel exceeds the padded input.
inline std::int64_t conv2d_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                       std::int64_t padding, std::int64_t dilation) {
  const std::int64_t span = dilation * (kernel - 1) + 1;
  const std::int64_t room = in + 2 * padding - span;
  return room < 0 ? 0 : room / stride + 1;
}

}  // namespace nanossl

namespace nanossl::cpu {

// x: B images (B,C,H,W) -> col (C*R*S, B*P*Q), zero where the window reads padding:
//   col[(c*R + r)*S + s][b*P*Q + p*Q + q] = x[b][c][p*stride - padding + r*dilation]
//                                               [q*stride - padding + s*dilation]
template <class T>
void im2col(const T* x, std::int64_t B, const Conv2dGeometry& g, T* col);

// The adjoint of im2col: dx (B,C,H,W) = sum of every col entry into the pixel it was
// read from. dx is overwritten.
template <class T>
void col2im(const T* col, std::int64_t B, const Conv2dGeometry& g, T* dx);

// out = conv(x, weight) + bias; bias may be null.
template <class T>
void conv2d_forward(const T* x, const T* weight, const T* bias, T* out, const Conv2dGeometry& g);

// Gradients of conv2d_forward given dout (N,K,P,Q); each of dx (N,C,H,W),
// dweight (K,C,R,S), dbias (K) may be null (not needed) and is overwritten otherwise.
// One function for all three so the reordered dout is built once per chunk.
template <class T>
void conv2d_backward(const T* x, const T* weight, const T* dout, T* dx, T* dweight, T* dbias,
                     const Conv2dGeometry& g);

}  // namespace nanossl::cpu
