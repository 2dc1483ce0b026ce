// The CUDA runtime layer against the CPU: the caching allocator, copies of every
// dtype, the tensor kernels (fill, axpy, scale, convert, Philox fills) and cuBLAS
// GEMM in every transpose combination. Every test but the first needs a GPU and
// skips without one; the first runs everywhere and checks the no-GPU error.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/philox.h"
#include "cpu/gemm.h"
#include "cuda/blas.h"
#include "cuda/runtime.h"
#include "tensor/random.h"
#include "tensor/tensor.h"
#include "tests/test_util.h"

namespace nanossl {
namespace {

// A device buffer from the caching allocator, returned on scope exit.
struct DeviceBuffer {
  explicit DeviceBuffer(std::size_t bytes) : bytes(bytes), ptr(cuda::device_malloc(bytes)) {}
  ~DeviceBuffer() { cuda::device_free(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  std::size_t bytes;
  void* ptr;
};

template <class T>
void upload(DeviceBuffer& buffer, const std::vector<T>& values) {
  ASSERT_EQ(buffer.bytes, values.size() * sizeof(T));
  cuda::copy_host_to_device(buffer.ptr, values.data(), buffer.bytes);
}

template <class T>
std::vector<T> download(const DeviceBuffer& buffer) {
  std::vector<T> values(buffer.bytes / sizeof(T));
  cuda::copy_device_to_host(values.data(), buffer.ptr, values.size() * sizeof(T));
  return values;
}

// n values uniform in [lo, hi), from Philox on the host.
template <class T>
std::vector<T> host_uniform(std::size_t n, double lo, double hi, std::uint64_t seed) {
  std::vector<T> values(n);
  for (std::size_t i = 0; i < n; ++i) {
    values[i] = static_cast<T>(lo + (hi - lo) * philox_uniform_at(seed, 0, 0, i));
  }
  return values;
}

template <class T>
double max_abs_diff(const std::vector<T>& a, const std::vector<T>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  }
  return worst;
}

// Calls f(T{}) for each of the four dtypes' C++ types.
template <class F>
void for_each_type(F&& f) {
  f(float{});
  f(double{});
  f(std::int64_t{});
  f(std::uint8_t{});
}

// Restores the TF32 switch on scope exit.
struct Tf32Scope {
  explicit Tf32Scope(bool allow) : previous(cuda::allow_tf32()) { cuda::set_allow_tf32(allow); }
  ~Tf32Scope() { cuda::set_allow_tf32(previous); }
  bool previous;
};

TEST(CudaRuntime, CudaTensorsNeedABuildWithCudaAndADevice) {
  EXPECT_EQ(cuda::available(), cuda::device_count() > 0);
  if (!cuda::available()) {
    try {
      Tensor t = Tensor::zeros({2}, DType::f32, Device::cuda());
      FAIL() << "creating a CUDA tensor without a device did not throw";
    } catch (const std::exception& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("CUDA"), std::string::npos) << message;
      if (!cuda::built_with_cuda()) {
        EXPECT_NE(message.find("built without CUDA"), std::string::npos) << message;
      }
    }
  } else {
    Tensor t = Tensor::zeros({2}, DType::f32, Device::cuda());
    EXPECT_TRUE(t.device().is_cuda());
    EXPECT_EQ(t.to(Device::cpu()).to_vector<float>(), (std::vector<float>{0.0f, 0.0f}));
  }
}

TEST(CudaDevice, RequireDeviceNamesTheMissingIndex) {
  NANOSSL_REQUIRE_CUDA();
  EXPECT_TRUE(cuda::built_with_cuda());
  EXPECT_NO_THROW(cuda::require_device(0));
  const int count = cuda::device_count();
  try {
    cuda::require_device(count);
    FAIL() << "require_device(" << count << ") did not throw";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("CUDA device " + std::to_string(count) + " requested"), std::string::npos)
        << message;
  }
  EXPECT_THROW(cuda::set_device(-1), std::runtime_error);
  EXPECT_NO_THROW(cuda::set_device(0));
}

TEST(CudaAllocator, ReusesAFreedBlockOfTheSameClass) {
  NANOSSL_REQUIRE_CUDA();
  void* first = cuda::device_malloc(1000);
  ASSERT_NE(first, nullptr);
  cuda::device_free(first);
  void* second = cuda::device_malloc(1000);
  EXPECT_EQ(second, first);
  cuda::device_free(second);
  // 600 and 1000 bytes both round up to the 1024-byte class.
  void* third = cuda::device_malloc(600);
  EXPECT_EQ(third, first);
  cuda::device_free(third);
  EXPECT_EQ(cuda::device_malloc(0), nullptr);
  cuda::device_free(nullptr);
}

TEST(CudaAllocator, TracksBytesInUseAndPeak) {
  NANOSSL_REQUIRE_CUDA();
  const std::size_t before = cuda::bytes_in_use();
  cuda::reset_peak_bytes();
  EXPECT_EQ(cuda::peak_bytes_in_use(), before);
  {
    DeviceBuffer small(1000);   // class 1024
    DeviceBuffer large(3 << 20);  // 3 MiB: a multiple of the 256 KiB step
    EXPECT_EQ(cuda::bytes_in_use(), before + 1024 + (3u << 20));
  }
  EXPECT_EQ(cuda::bytes_in_use(), before);
  EXPECT_EQ(cuda::peak_bytes_in_use(), before + 1024 + (3u << 20));
  cuda::reset_peak_bytes();
  EXPECT_EQ(cuda::peak_bytes_in_use(), before);
  cuda::empty_cache();
  DeviceBuffer again(3 << 20);  // a fresh cudaMalloc after the cache was emptied
  EXPECT_EQ(cuda::bytes_in_use(), before + (3u << 20));
}

TEST(CudaAllocator, DebugPoisonFillsNewBlocksWithNaN) {
  NANOSSL_REQUIRE_CUDA();
  cuda::set_debug_poison(true);
  std::vector<float> values;
  {
    DeviceBuffer buffer(257 * sizeof(float));
    values = download<float>(buffer);
  }
  cuda::set_debug_poison(false);
  for (float v : values) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    ASSERT_EQ(bits, 0xFFFFFFFFu);
    ASSERT_TRUE(std::isnan(v));
  }
}

TEST(CudaAllocator, HugeAllocationThrowsNamingTheSize) {
  NANOSSL_REQUIRE_CUDA();
  const std::size_t in_use = cuda::bytes_in_use();
  const std::size_t huge = std::size_t(1) << 50;  // 1 PiB
  try {
    void* ptr = cuda::device_malloc(huge);
    cuda::device_free(ptr);
    FAIL() << "a 1 PiB allocation succeeded";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(std::to_string(huge)), std::string::npos) << message;
    EXPECT_NE(message.find("out of memory"), std::string::npos) << message;
  }
  EXPECT_EQ(cuda::bytes_in_use(), in_use);
  // The failure leaves the runtime usable.
  DeviceBuffer buffer(4 * sizeof(float));
  upload(buffer, std::vector<float>{1, 2, 3, 4});
  EXPECT_EQ(download<float>(buffer), (std::vector<float>{1, 2, 3, 4}));
}

TEST(CudaCopy, RawRoundTripAndDeviceToDevice) {
  NANOSSL_REQUIRE_CUDA();
  std::vector<double> values = host_uniform<double>(1001, -5, 5, 1);
  DeviceBuffer a(values.size() * sizeof(double)), b(values.size() * sizeof(double));
  upload(a, values);
  cuda::copy_device_to_device(b.ptr, a.ptr, a.bytes);
  EXPECT_EQ(download<double>(b), values);
  cuda::copy_host_to_device(a.ptr, nullptr, 0);  // empty copies are no-ops
  cuda::synchronize();
}

TEST(CudaCopy, TensorRoundTripOfEveryDtype) {
  NANOSSL_REQUIRE_CUDA();
  for_each_type([](auto tag) {
    using T = decltype(tag);
    std::vector<T> values = host_uniform<T>(517, 0, 250, 2);
    Tensor host = Tensor::from_vector(values, {11, 47});
    Tensor device = host.to(Device::cuda());
    EXPECT_TRUE(device.device().is_cuda());
    EXPECT_EQ(device.dtype(), dtype_of<T>());
    EXPECT_EQ(device.shape(), (Shape{11, 47}));
    EXPECT_EQ(device.to(Device::cpu()).to_vector<T>(), values) << dtype_name(dtype_of<T>());
    Tensor direct = Tensor::from_vector(values, {517}, Device::cuda());
    EXPECT_EQ(direct.to(Device::cpu()).to_vector<T>(), values) << dtype_name(dtype_of<T>());
  });
}

TEST(CudaCopy, PinnedHostBuffersCopyAsynchronously) {
  NANOSSL_REQUIRE_CUDA();
  const std::size_t n = 4096;
  auto* pinned = static_cast<float*>(cuda::pinned_malloc(n * sizeof(float)));
  ASSERT_NE(pinned, nullptr);
  std::vector<float> values = host_uniform<float>(n, -1, 1, 3);
  std::memcpy(pinned, values.data(), n * sizeof(float));
  DeviceBuffer buffer(n * sizeof(float));
  cuda::copy_host_to_device(buffer.ptr, pinned, buffer.bytes);
  cuda::synchronize();
  EXPECT_EQ(download<float>(buffer), values);
  cuda::pinned_free(pinned);
}

TEST(CudaKernels, FillEveryDtype) {
  NANOSSL_REQUIRE_CUDA();
  for_each_type([](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = 1003;
    DeviceBuffer buffer(n * sizeof(T));
    cuda::fill(dtype_of<T>(), buffer.ptr, n, 7.5);
    EXPECT_EQ(download<T>(buffer), std::vector<T>(n, static_cast<T>(7.5))) << dtype_name(dtype_of<T>());
  });
}

TEST(CudaKernels, AxpyAndScaleMatchHostLoops) {
  NANOSSL_REQUIRE_CUDA();
  for_each_type([](auto tag) {
    using T = decltype(tag);
    const std::size_t n = 1003;
    std::vector<T> x = host_uniform<T>(n, 0, 10, 4), y = host_uniform<T>(n, 0, 10, 5);
    DeviceBuffer dx(n * sizeof(T)), dy(n * sizeof(T));
    upload(dx, x);
    upload(dy, y);
    const double alpha = std::is_floating_point_v<T> ? -0.75 : 2.0;
    const double factor = std::is_floating_point_v<T> ? 1.25 : 3.0;
    cuda::axpy(dtype_of<T>(), n, alpha, dx.ptr, dy.ptr);
    cuda::scale(dtype_of<T>(), dy.ptr, n, factor);
    std::vector<T> expected = y;  // the loops of cpu::axpy and cpu::scale
    for (std::size_t i = 0; i < n; ++i) {
      expected[i] += static_cast<T>(alpha) * x[i];
      expected[i] *= static_cast<T>(factor);
    }
    const double tolerance = std::is_same_v<T, float> ? 1e-5 : std::is_same_v<T, double> ? 1e-12 : 0.0;
    EXPECT_LE(max_abs_diff(download<T>(dy), expected), tolerance) << dtype_name(dtype_of<T>());
  });
}

TEST(CudaKernels, ConvertEveryDtypePair) {
  NANOSSL_REQUIRE_CUDA();
  const std::vector<double> base = {0, 1, 2.75, 100.5, 200.25, 3, 17.9, 255, 42, 128.5};
  for_each_type([&](auto src_tag) {
    using S = decltype(src_tag);
    std::vector<S> src(base.size());
    for (std::size_t i = 0; i < base.size(); ++i) src[i] = static_cast<S>(base[i]);
    DeviceBuffer dsrc(src.size() * sizeof(S));
    upload(dsrc, src);
    for_each_type([&](auto dst_tag) {
      using D = decltype(dst_tag);
      DeviceBuffer ddst(src.size() * sizeof(D));
      cuda::convert(dtype_of<S>(), dsrc.ptr, dtype_of<D>(), ddst.ptr, static_cast<std::int64_t>(src.size()));
      std::vector<D> expected(src.size());
      for (std::size_t i = 0; i < src.size(); ++i) expected[i] = static_cast<D>(src[i]);
      EXPECT_EQ(download<D>(ddst), expected)
          << dtype_name(dtype_of<S>()) << " -> " << dtype_name(dtype_of<D>());
    });
  });
}

TEST(CudaKernels, TensorUpdatesMatchTheCpu) {
  NANOSSL_REQUIRE_CUDA();
  std::vector<float> a = host_uniform<float>(257, -3, 3, 6), b = host_uniform<float>(257, -3, 3, 7);
  Tensor cpu_a = Tensor::from_vector(a, {257}), cpu_b = Tensor::from_vector(b, {257});
  Tensor gpu_a = cpu_a.to(Device::cuda()), gpu_b = cpu_b.to(Device::cuda());
  cpu_a.mul_(1.5).add_(cpu_b, -0.25);
  gpu_a.mul_(1.5).add_(gpu_b, -0.25);
  Tensor gpu_result = gpu_a.to(Device::cpu());
  EXPECT_LE(max_abs_diff(gpu_result.to_vector<float>(), cpu_a.to_vector<float>()), 1e-5);
  // Conversions of the same values agree exactly.
  EXPECT_EQ(gpu_a.to(DType::f64).to(Device::cpu()).to_vector<double>(),
            gpu_result.to(DType::f64).to_vector<double>());
  EXPECT_EQ(gpu_a.to(DType::i64).to(Device::cpu()).to_vector<std::int64_t>(),
            gpu_result.to(DType::i64).to_vector<std::int64_t>());
  gpu_b.fill_(2.5);
  EXPECT_EQ(gpu_b.to(Device::cpu()).to_vector<float>(), std::vector<float>(257, 2.5f));
}

TEST(CudaRandom, FillsComputeThePhiloxStreamElementwise) {
  NANOSSL_REQUIRE_CUDA();
  const std::int64_t n = 1001;  // not a multiple of 4: the last block is partial
  const std::uint64_t seed = 0x1234ABCDull, offset = 77;
  DeviceBuffer u(n * sizeof(double)), z(n * sizeof(double));
  cuda::fill_uniform(DType::f64, u.ptr, n, seed, offset);
  cuda::fill_normal(DType::f64, z.ptr, n, seed, offset);
  std::vector<double> uniform = download<double>(u), normal = download<double>(z);
  double worst = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(uniform[i], philox_uniform_at(seed, 0, offset, i)) << "element " << i;
    worst = std::max(worst, std::fabs(normal[i] - philox_normal_at(seed, 0, offset, i)));
  }
  EXPECT_LE(worst, 1e-12);  // device log/sin/cos may differ from glibc's in the last bits
  EXPECT_THROW(cuda::fill_uniform(DType::i64, u.ptr, 4, seed, offset), std::invalid_argument);
}

TEST(CudaRandom, RandAndRandnMatchTheCpuForTheSameSeedAndOffset) {
  NANOSSL_REQUIRE_CUDA();
  for (DType dtype : {DType::f32, DType::f64}) {
    for (bool normal : {false, true}) {
      const GeneratorState start{2024, 12345};
      set_generator_state(start);
      Tensor gpu = normal ? Tensor::randn({33, 31}, dtype, Device::cuda())
                          : Tensor::rand({33, 31}, dtype, Device::cuda());
      const GeneratorState after_gpu = generator_state();
      set_generator_state(start);
      Tensor cpu = normal ? Tensor::randn({33, 31}, dtype) : Tensor::rand({33, 31}, dtype);
      EXPECT_EQ(generator_state().offset, after_gpu.offset);
      EXPECT_GT(after_gpu.offset, start.offset);
      ASSERT_TRUE(gpu.device().is_cuda());
      std::vector<double> g = gpu.to(Device::cpu()).to(DType::f64).to_vector<double>();
      std::vector<double> c = cpu.to(DType::f64).to_vector<double>();
      ASSERT_EQ(g.size(), c.size());
      for (std::size_t i = 0; i < g.size(); ++i) {
        ASSERT_LE(std::fabs(g[i] - c[i]), 1e-6 + 1e-6 * std::fabs(c[i]))
            << dtype_name(dtype) << (normal ? " randn" : " rand") << " element " << i;
      }
    }
  }
}

// One GEMM case on the GPU against cpu::gemm_reference, with padded leading
// dimensions. batch > 1 runs gemm_strided_batched (stride_b 0 shares B).
template <class T>
void check_gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                std::int64_t batch, double tolerance) {
  const std::int64_t lda = (trans_a ? M : K) + 3, ldb = (trans_b ? K : N) + 2, ldc = N + 5;
  const std::int64_t a_elems = (trans_a ? K : M) * lda, b_elems = (trans_b ? N : K) * ldb;
  const std::int64_t c_elems = M * ldc;
  const std::int64_t stride_a = a_elems + 7, stride_b = 0, stride_c = c_elems + 1;
  std::vector<T> A = host_uniform<T>(stride_a * batch, -1, 1, 10);
  std::vector<T> B = host_uniform<T>(b_elems, -1, 1, 11);
  std::vector<T> C = host_uniform<T>(stride_c * batch, -1, 1, 12);
  const T alpha = static_cast<T>(1.25), beta = static_cast<T>(0.5);
  DeviceBuffer dA(A.size() * sizeof(T)), dB(B.size() * sizeof(T)), dC(C.size() * sizeof(T));
  upload(dA, A);
  upload(dB, B);
  upload(dC, C);
  if (batch == 1) {
    cuda::gemm(dtype_of<T>(), trans_a, trans_b, M, N, K, alpha, dA.ptr, lda, dB.ptr, ldb, beta,
               dC.ptr, ldc);
  } else {
    cuda::gemm_strided_batched(dtype_of<T>(), trans_a, trans_b, M, N, K, alpha, dA.ptr, lda, stride_a,
                               dB.ptr, ldb, stride_b, beta, dC.ptr, ldc, stride_c, batch);
  }
  std::vector<T> expected = C;
  for (std::int64_t i = 0; i < batch; ++i) {
    cpu::gemm_reference<T>(trans_a, trans_b, M, N, K, alpha, A.data() + i * stride_a, lda, B.data(),
                           ldb, beta, expected.data() + i * stride_c, ldc);
  }
  EXPECT_LE(max_abs_diff(download<T>(dC), expected), tolerance)
      << dtype_name(dtype_of<T>()) << " trans_a=" << trans_a << " trans_b=" << trans_b
      << " batch=" << batch;
}

TEST(CudaBlas, GemmMatchesTheReferenceInEveryTransposeCombination) {
  NANOSSL_REQUIRE_CUDA();
  Tf32Scope exact(false);
  for (bool trans_a : {false, true}) {
    for (bool trans_b : {false, true}) {
      check_gemm<float>(trans_a, trans_b, 37, 29, 53, 1, 1e-4);
      check_gemm<double>(trans_a, trans_b, 37, 29, 53, 1, 1e-12);
    }
  }
}

TEST(CudaBlas, StridedBatchedGemmMatchesTheReference) {
  NANOSSL_REQUIRE_CUDA();
  Tf32Scope exact(false);
  for (bool trans_a : {false, true}) {
    for (bool trans_b : {false, true}) {
      check_gemm<float>(trans_a, trans_b, 19, 23, 41, 3, 1e-4);
      check_gemm<double>(trans_a, trans_b, 19, 23, 41, 3, 1e-12);
    }
  }
}

TEST(CudaBlas, EmptyInnerDimensionWritesBetaTimesC) {
  NANOSSL_REQUIRE_CUDA();
  // C is 3 x 4 with row stride 5; the fifth column is padding and must stay 9.
  std::vector<float> start(15, 7.0f);
  for (int row = 0; row < 3; ++row) start[row * 5 + 4] = 9.0f;
  DeviceBuffer c(15 * sizeof(float));
  upload(c, start);
  cuda::gemm(DType::f32, false, false, 3, 4, 0, 1.0, nullptr, 0, nullptr, 4, 0.5, c.ptr, 5);
  std::vector<float> expected = start;
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 4; ++col) expected[row * 5 + col] = 3.5f;
  }
  EXPECT_EQ(download<float>(c), expected);
  // beta = 0 ignores C, even NaN.
  upload(c, std::vector<float>(15, std::nanf("")));
  cuda::gemm_strided_batched(DType::f32, true, true, 3, 2, 0, 1.0, nullptr, 3, 0, nullptr, 0, 0, 0.0,
                             c.ptr, 2, 6, 2);
  std::vector<float> batched = download<float>(c);
  for (int i : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) EXPECT_EQ(batched[i], 0.0f) << i;
  EXPECT_TRUE(std::isnan(batched[12]));  // beyond the two 3 x 2 outputs
}

// A = 1 + 2^-13 everywhere, B = 1: in fp32 every partial sum k(1 + 2^-13), k <= 1024,
// is exact, so C = 1024.125; TF32 keeps 10 mantissa bits, A rounds to 1, C = 1024.
TEST(CudaBlas, Tf32SwitchChangesTheMathMode) {
  NANOSSL_REQUIRE_CUDA();
  const std::int64_t M = 512, N = 512, K = 1024;
  DeviceBuffer a(M * K * sizeof(float)), b(K * N * sizeof(float)), c(M * N * sizeof(float));
  cuda::fill(DType::f32, a.ptr, M * K, 1.0 + std::ldexp(1.0, -13));
  cuda::fill(DType::f32, b.ptr, K * N, 1.0);
  auto product_corner = [&] {
    cuda::gemm(DType::f32, false, false, M, N, K, 1.0, a.ptr, K, b.ptr, N, 0.0, c.ptr, N);
    return download<float>(c)[0];
  };
  {
    Tf32Scope off(false);
    EXPECT_FALSE(cuda::allow_tf32());
    EXPECT_EQ(product_corner(), 1024.125f);
  }
  {
    Tf32Scope on(true);
    EXPECT_TRUE(cuda::allow_tf32());
    EXPECT_EQ(product_corner(), 1024.0f) << "TF32 allowed but cuBLAS kept full fp32";
  }
  Tf32Scope off_again(false);
  EXPECT_EQ(product_corner(), 1024.125f);
}

}  // namespace
}  // namespace nanossl
