// matmul and linear on top of cpu::gemm and cuBLAS (cuda/blas.h). Transposes are
// GEMM flags, never copies. Backward: dA = g B^T, dB = A^T g; linear's bias is
// broadcast and reduced with rank-1 GEMMs against a vector of ones, so both
// devices share one code path and no extra kernel is needed.
#include "autograd/ops/linalg.h"

#include <memory>
#include <string>

#include "autograd/node.h"
#include "autograd/ops/dispatch.h"
#include "cpu/gemm.h"
#include "cuda/blas.h"

namespace nanossl {
namespace {

// One operand of a (batched) GEMM: a tensor, its row stride, and the element
// offset between consecutive batch entries.
struct Operand {
  const Tensor& t;
  std::int64_t ld;
  std::int64_t batch_stride = 0;
};

// C[i] = op(A[i]) op(B[i]) + beta * C[i] for i < batch, with op(A) (M,K), op(B) (K,N).
// C is written whole: with K == 0 and beta == 0 it is zero-filled.
void gemm_batched(bool trans_a, bool trans_b, std::int64_t batch, std::int64_t M, std::int64_t N,
                  std::int64_t K, Operand a, Operand b, double beta, Tensor& c,
                  std::int64_t batch_stride_c) {
  if (batch == 0 || M == 0 || N == 0) return;
  if (K == 0) {
    if (beta == 0.0) c.zero_();
    return;
  }
  const std::int64_t ldc = N;
  if (c.device().is_cpu()) {
    dispatch_float("matmul", c.dtype(), [&](auto zero) {
      using T = decltype(zero);
      const T* A = a.t.data<T>();
      const T* B = b.t.data<T>();
      T* C = c.data<T>();
      for (std::int64_t i = 0; i < batch; ++i) {
        cpu::gemm<T>(trans_a, trans_b, M, N, K, T(1), A + i * a.batch_stride, a.ld,
                     B + i * b.batch_stride, b.ld, static_cast<T>(beta), C + i * batch_stride_c,
                     ldc);
      }
    });
  } else if (batch == 1) {
    cuda::gemm(c.dtype(), trans_a, trans_b, M, N, K, 1.0, a.t.data_ptr(), a.ld, b.t.data_ptr(),
               b.ld, beta, c.data_ptr(), ldc);
  } else {
    cuda::gemm_strided_batched(c.dtype(), trans_a, trans_b, M, N, K, 1.0, a.t.data_ptr(), a.ld,
                               a.batch_stride, b.t.data_ptr(), b.ld, b.batch_stride, beta,
                               c.data_ptr(), ldc, batch_stride_c, batch);
  }
}

// matmul as `batch` products (M,K)@(K,N). (B,M,K)@(K,N) folds into one product with
// B*M rows, so B always has its own batch entry when batch > 1.
struct MatmulGeometry {
  std::int64_t batch = 1, M = 0, K = 0, N = 0;
};

struct MatmulBackward : autograd::Node {
  Tensor a, b;  // saved detached
  MatmulGeometry geo;
  const char* name() const override { return "matmul"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    const auto [batch, M, K, N] = geo;
    Tensor da, db;
    if (input_needs_grad(0)) {  // dA (M,K) = g (M,N) @ B^T
      da = Tensor::empty(a.shape(), a.dtype(), a.device());
      gemm_batched(false, true, batch, M, K, N, {g, N, M * N}, {b, N, K * N}, 0.0, da, M * K);
    }
    if (input_needs_grad(1)) {  // dB (K,N) = A^T @ g (M,N)
      db = Tensor::empty(b.shape(), b.dtype(), b.device());
      gemm_batched(true, false, batch, K, N, M, {a, K, M * K}, {g, N, M * N}, 0.0, db, K * N);
    }
    return {da, db};
  }
};

struct LinearBackward : autograd::Node {
  Tensor x, weight;  // saved detached
  const char* name() const override { return "linear"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    const std::int64_t rows = x.size(0), in = x.size(1), out = weight.size(0);
    Tensor dx, dweight, dbias;
    if (input_needs_grad(0)) {  // dx (rows,in) = g (rows,out) @ W (out,in)
      dx = Tensor::empty(x.shape(), x.dtype(), x.device());
      gemm_batched(false, false, 1, rows, in, out, {g, out}, {weight, in}, 0.0, dx, 0);
    }
    if (input_needs_grad(1)) {  // dW (out,in) = g^T (out,rows) @ x (rows,in)
      dweight = Tensor::empty(weight.shape(), x.dtype(), x.device());
      gemm_batched(true, false, 1, out, in, rows, {g, out}, {x, in}, 0.0, dweight, 0);
    }
    if (input_needs_grad(2)) {  // db (1,out) = ones (1,rows) @ g (rows,out)
      dbias = Tensor::empty({out}, x.dtype(), x.device());
      const Tensor ones = Tensor::ones({rows}, x.dtype(), x.device());
      gemm_batched(false, false, 1, 1, out, rows, {ones, rows}, {g, out}, 0.0, dbias, 0);
    }
    return {dx, dweight, dbias};
  }
};

// "(64x1568) @ (6272x10)", built by appending (GCC 12 warns falsely on "(" + string).
std::string product_str(const Tensor& a, const Tensor& b) {
  std::string text = "(";
  text += shape_str(a.shape());
  text += ") @ (";
  text += shape_str(b.shape());
  text += ")";
  return text;
}

MatmulGeometry matmul_geometry(const Tensor& a, const Tensor& b) {
  const char* op = "matmul";
  check_float(op, a, "left operand");
  check_float(op, b, "right operand");
  check_same(op, {&a, &b});
  const bool ok_ranks = (a.ndim() == 2 && b.ndim() == 2) || (a.ndim() == 3 && b.ndim() == 3) ||
                        (a.ndim() == 3 && b.ndim() == 2);
  if (!ok_ranks) {
    op_error(op,
             product_str(a, b) + ": expects (M,K) @ (K,N), (B,M,K) @ (B,K,N) or (B,M,K) @ (K,N)");
  }
  if (a.size(-1) != b.size(-2)) op_error(op, product_str(a, b) + ": inner dimensions differ");
  if (a.ndim() == 3 && b.ndim() == 3 && a.size(0) != b.size(0)) {
    op_error(op, product_str(a, b) + ": batch sizes differ");
  }
  MatmulGeometry geo;
  geo.K = a.size(-1);
  geo.N = b.size(-1);
  if (a.ndim() == 2) {
    geo.M = a.size(0);
  } else if (b.ndim() == 3) {
    geo.batch = a.size(0);
    geo.M = a.size(1);
  } else {
    geo.M = a.size(0) * a.size(1);  // (B,M,K) @ (K,N): one product with B*M rows
  }
  return geo;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  const MatmulGeometry geo = matmul_geometry(a, b);
  Shape out_shape = a.shape();
  out_shape.back() = geo.N;
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  gemm_batched(false, false, geo.batch, geo.M, geo.N, geo.K, {a, geo.K, geo.M * geo.K},
               {b, geo.N, geo.K * geo.N}, 0.0, out, geo.M * geo.N);
  auto node = std::make_shared<MatmulBackward>();
  if (autograd::attach(out, node, {a, b})) {
    node->a = a.detach();
    node->b = b.detach();
    node->geo = geo;
  }
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const char* op = "linear";
  check_float(op, x, "input");
  check_float(op, weight, "weight");
  if (bias.defined()) check_float(op, bias, "bias");
  check_same(op, {&x, &weight, &bias});
  if (x.ndim() != 2) op_error(op, "expects an (N,in) input, got " + shape_str(x.shape()));
  if (weight.ndim() != 2) {
    op_error(op, "expects an (out,in) weight, got " + shape_str(weight.shape()));
  }
  const std::int64_t rows = x.size(0), in = x.size(1), out = weight.size(0);
  if (weight.size(1) != in) {
    op_error(op, "input " + shape_str(x.shape()) + " has " + std::to_string(in) +
                     " features, weight " + shape_str(weight.shape()) + " expects " +
                     std::to_string(weight.size(1)));
  }
  if (bias.defined() && (bias.ndim() != 1 || bias.size(0) != out)) {
    op_error(op, "bias has shape " + shape_str(bias.shape()) + ", expected " + std::to_string(out) +
                     " (one per output of weight " + shape_str(weight.shape()) + ")");
  }
  Tensor y = Tensor::empty({rows, out}, x.dtype(), x.device());
  double beta = 0.0;
  if (bias.defined()) {  // y (rows,out) = ones (rows,1) @ bias (1,out), then accumulate
    const Tensor ones = Tensor::ones({rows}, x.dtype(), x.device());
    gemm_batched(false, false, 1, rows, out, 1, {ones, 1}, {bias, out}, 0.0, y, 0);
    beta = 1.0;
  }
  // y (rows,out) += x (rows,in) @ W^T (in,out)
  gemm_batched(false, true, 1, rows, out, in, {x, in}, {weight, in}, beta, y, 0);
  auto node = std::make_shared<LinearBackward>();
  if (autograd::attach(y, node, {x, weight, bias})) {
    node->x = x.detach();
    node->weight = weight.detach();
  }
  return y;
}

}  // namespace nanossl
