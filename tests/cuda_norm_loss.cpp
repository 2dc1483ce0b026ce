// CUDA parity of batch_norm, l2_normalize, log_softmax, cross_entropy, matmul and
// linear: forward outputs, gradients and batch-norm running statistics on the GPU
// against the CPU reference, on fresh random f32 inputs, with poisoned allocations
// so an output element a kernel forgets to write shows up as NaN.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/ops/linalg.h"
#include "autograd/ops/loss.h"
#include "autograd/ops/norm.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::all_close;
using nanossl::testing::uniform;

namespace {

using Pair = nanossl::testing::DevicePair;
using nanossl::testing::leaf_pair;

// Backpropagates the same random upstream gradient through both outputs.
void backward_both(const Tensor& out_cpu, const Tensor& out_gpu, std::uint64_t seed) {
  Tensor g = uniform(out_cpu.shape(), -1.0, 1.0, DType::f32, seed);
  backward(out_cpu, g);
  backward(out_gpu, g.to(Device::cuda()));
}

// Tolerances: reductions and normalisations accumulate in double on both devices;
// GEMMs differ in summation order over K.
constexpr double kNormTol = 1e-5;
constexpr double kGemmTol = 1e-4;

class CudaNormLoss : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::available()) cuda::set_debug_poison(true);
  }
  void TearDown() override {
    if (cuda::available()) cuda::set_debug_poison(false);
  }
};

void check_batch_norm_training(const Shape& shape, bool affine, std::uint64_t seed) {
  const std::int64_t C = shape[1];
  Pair x = leaf_pair(shape, -2.0, 3.0, seed);
  Pair w = leaf_pair({C}, 0.5, 1.5, seed + 1), b = leaf_pair({C}, -0.5, 0.5, seed + 2);
  Tensor rm_cpu = uniform({C}, -0.2, 0.2, DType::f32, seed + 3);
  Tensor rv_cpu = uniform({C}, 0.8, 1.2, DType::f32, seed + 4);
  Tensor rm_gpu = rm_cpu.to(Device::cuda()), rv_gpu = rv_cpu.to(Device::cuda());
  Tensor w_cpu = affine ? w.cpu : Tensor(), b_cpu = affine ? b.cpu : Tensor();
  Tensor w_gpu = affine ? w.gpu : Tensor(), b_gpu = affine ? b.gpu : Tensor();
  Tensor y_cpu = batch_norm(x.cpu, w_cpu, b_cpu, rm_cpu, rv_cpu, true, 0.1, 1e-5);
  Tensor y_gpu = batch_norm(x.gpu, w_gpu, b_gpu, rm_gpu, rv_gpu, true, 0.1, 1e-5);
  const std::string what = shape_str(shape) + (affine ? " affine" : " plain");
  EXPECT_TRUE(all_close(y_gpu, y_cpu, kNormTol, kNormTol)) << what;
  EXPECT_TRUE(all_close(rm_gpu, rm_cpu, 1e-6, 1e-5)) << what << " running_mean";
  EXPECT_TRUE(all_close(rv_gpu, rv_cpu, 1e-6, 1e-5)) << what << " running_var";
  backward_both(y_cpu, y_gpu, seed + 5);
  EXPECT_TRUE(all_close(x.gpu.grad(), x.cpu.grad(), kNormTol, 1e-4)) << what << " dx";
  if (affine) {
    EXPECT_TRUE(all_close(w.gpu.grad(), w.cpu.grad(), kNormTol, 1e-4)) << what << " dweight";
    EXPECT_TRUE(all_close(b.gpu.grad(), b.cpu.grad(), kNormTol, 1e-4)) << what << " dbias";
  }
}

}  // namespace

TEST_F(CudaNormLoss, BatchNormTrainingMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  check_batch_norm_training({4, 8, 16, 16}, true, 10);  // 1024 values per channel
  check_batch_norm_training({3, 5, 3, 7}, false, 20);
  check_batch_norm_training({64, 33}, true, 30);  // (N,C)
  check_batch_norm_training({2, 1000}, false, 40);
}

TEST_F(CudaNormLoss, BatchNormLargeMeanMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  Pair x = leaf_pair({512, 3}, 1e4 - 1.0, 1e4 + 1.0, 50);
  Tensor y_cpu = batch_norm(x.cpu, Tensor(), Tensor(), Tensor(), Tensor(), true);
  Tensor y_gpu = batch_norm(x.gpu, Tensor(), Tensor(), Tensor(), Tensor(), true);
  EXPECT_TRUE(all_close(y_gpu, y_cpu, kNormTol, kNormTol));
  backward_both(y_cpu, y_gpu, 51);
  EXPECT_TRUE(all_close(x.gpu.grad(), x.cpu.grad(), 1e-4, 1e-4));
}

TEST_F(CudaNormLoss, BatchNormEvalMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  for (const Shape& shape : {Shape{5, 6, 4, 3}, Shape{17, 9}}) {
    const std::int64_t C = shape[1];
    Pair x = leaf_pair(shape, -2.0, 2.0, 60);
    Pair w = leaf_pair({C}, 0.5, 1.5, 61), b = leaf_pair({C}, -0.5, 0.5, 62);
    Tensor rm = uniform({C}, -1.0, 1.0, DType::f32, 63);
    Tensor rv = uniform({C}, 0.5, 2.0, DType::f32, 64);
    Tensor y_cpu = batch_norm(x.cpu, w.cpu, b.cpu, rm, rv, false);
    Tensor y_gpu =
        batch_norm(x.gpu, w.gpu, b.gpu, rm.to(Device::cuda()), rv.to(Device::cuda()), false);
    EXPECT_TRUE(all_close(y_gpu, y_cpu, kNormTol, kNormTol)) << shape_str(shape);
    backward_both(y_cpu, y_gpu, 65);
    EXPECT_TRUE(all_close(x.gpu.grad(), x.cpu.grad(), kNormTol, kNormTol)) << shape_str(shape);
    EXPECT_TRUE(all_close(w.gpu.grad(), w.cpu.grad(), kNormTol, 1e-4)) << shape_str(shape);
    EXPECT_TRUE(all_close(b.gpu.grad(), b.cpu.grad(), kNormTol, 1e-4)) << shape_str(shape);
  }
}

TEST_F(CudaNormLoss, L2NormalizeMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  for (const Shape& shape : {Shape{32, 128}, Shape{7, 300}, Shape{9, 5}}) {
    Pair x = leaf_pair(shape, -1.0, 1.0, 70);
    Tensor y_cpu = l2_normalize(x.cpu), y_gpu = l2_normalize(x.gpu);
    EXPECT_TRUE(all_close(y_gpu, y_cpu, kNormTol, kNormTol)) << shape_str(shape);
    backward_both(y_cpu, y_gpu, 71);
    EXPECT_TRUE(all_close(x.gpu.grad(), x.cpu.grad(), kNormTol, 1e-4)) << shape_str(shape);
  }
  // Rows below eps take the other branch of the backward.
  Pair tiny = leaf_pair({4, 6}, -0.01, 0.01, 72);
  Tensor y_cpu = l2_normalize(tiny.cpu, 1.0), y_gpu = l2_normalize(tiny.gpu, 1.0);
  EXPECT_TRUE(all_close(y_gpu, y_cpu, 1e-7, kNormTol));
  backward_both(y_cpu, y_gpu, 73);
  EXPECT_TRUE(all_close(tiny.gpu.grad(), tiny.cpu.grad(), kNormTol, kNormTol));
}

TEST_F(CudaNormLoss, LogSoftmaxMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  for (const Shape& shape : {Shape{16, 1000}, Shape{33, 3}, Shape{4, 1}}) {
    Pair x = leaf_pair(shape, -5.0, 5.0, 80);
    Tensor y_cpu = log_softmax(x.cpu), y_gpu = log_softmax(x.gpu);
    EXPECT_TRUE(all_close(y_gpu, y_cpu, kNormTol, kNormTol)) << shape_str(shape);
    backward_both(y_cpu, y_gpu, 81);
    EXPECT_TRUE(all_close(x.gpu.grad(), x.cpu.grad(), kNormTol, kNormTol)) << shape_str(shape);
  }
}

TEST_F(CudaNormLoss, CrossEntropyMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  struct Case {
    std::int64_t N, C;
    double scale;
  };
  for (const Case& c :
       {Case{64, 10, 3.0}, Case{300, 1000, 3.0}, Case{5, 7, 1e4}, Case{1, 1, 1.0}}) {
    Pair x = leaf_pair({c.N, c.C}, -c.scale, c.scale, 90);
    std::vector<std::int64_t> label_values;
    for (std::int64_t i = 0; i < c.N; ++i) label_values.push_back((i * 7 + 3) % c.C);
    Tensor labels = Tensor::from_vector(label_values, {c.N});
    Tensor loss_cpu = cross_entropy(x.cpu, labels);
    Tensor loss_gpu = cross_entropy(x.gpu, labels.to(Device::cuda()));
    const std::string what = std::to_string(c.N) + "x" + std::to_string(c.C);
    EXPECT_TRUE(all_close(loss_gpu, loss_cpu, kNormTol, kNormTol)) << what;
    Tensor g = Tensor::full({}, 0.7);
    backward(loss_cpu, g);
    backward(loss_gpu, g.to(Device::cuda()));
    EXPECT_TRUE(all_close(x.gpu.grad(), x.cpu.grad(), 1e-6, kNormTol)) << what;
  }
}

TEST_F(CudaNormLoss, CrossEntropyChecksLabelsOnGpu) {
  NANOSSL_REQUIRE_CUDA();
  Tensor logits = Tensor::zeros({5, 10}, DType::f32, Device::cuda());
  Tensor labels =
      Tensor::from_vector(std::vector<std::int64_t>{0, 1, 2, 12, 3}, {5}).to(Device::cuda());
  try {
    cross_entropy(logits, labels);
    ADD_FAILURE() << "no error for label 12";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "[cross_entropy] label 12 at row 3 is outside [0, 10)");
  }
}

TEST_F(CudaNormLoss, MatmulMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  struct Case {
    Shape a, b;
  };
  for (const Case& c : {Case{{37, 53}, {53, 29}}, Case{{4, 17, 23}, {4, 23, 11}},
                        Case{{3, 10, 20}, {20, 7}}, Case{{1, 64}, {64, 1}}, Case{{5, 1}, {1, 6}}}) {
    Pair a = leaf_pair(c.a, -1.0, 1.0, 100), b = leaf_pair(c.b, -1.0, 1.0, 101);
    Tensor y_cpu = matmul(a.cpu, b.cpu), y_gpu = matmul(a.gpu, b.gpu);
    const std::string what = shape_str(c.a) + " @ " + shape_str(c.b);
    EXPECT_TRUE(all_close(y_gpu, y_cpu, kGemmTol, kGemmTol)) << what;
    backward_both(y_cpu, y_gpu, 102);
    EXPECT_TRUE(all_close(a.gpu.grad(), a.cpu.grad(), kGemmTol, kGemmTol)) << what;
    EXPECT_TRUE(all_close(b.gpu.grad(), b.cpu.grad(), kGemmTol, kGemmTol)) << what;
  }
}

TEST_F(CudaNormLoss, LinearMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  for (bool with_bias : {true, false}) {
    Pair x = leaf_pair({33, 47}, -1.0, 1.0, 110);
    Pair w = leaf_pair({19, 47}, -0.5, 0.5, 111), b = leaf_pair({19}, -1.0, 1.0, 112);
    Tensor y_cpu = linear(x.cpu, w.cpu, with_bias ? b.cpu : Tensor());
    Tensor y_gpu = linear(x.gpu, w.gpu, with_bias ? b.gpu : Tensor());
    EXPECT_TRUE(all_close(y_gpu, y_cpu, kGemmTol, kGemmTol)) << "bias " << with_bias;
    backward_both(y_cpu, y_gpu, 113);
    EXPECT_TRUE(all_close(x.gpu.grad(), x.cpu.grad(), kGemmTol, kGemmTol)) << "bias " << with_bias;
    EXPECT_TRUE(all_close(w.gpu.grad(), w.cpu.grad(), kGemmTol, kGemmTol)) << "bias " << with_bias;
    if (with_bias) {
      EXPECT_TRUE(all_close(b.gpu.grad(), b.cpu.grad(), kGemmTol, kGemmTol));
    }
  }
}
