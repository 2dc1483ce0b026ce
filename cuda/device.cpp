// Device discovery, the one stream and cuBLAS handle, host<->device copies and
// pinned host buffers (cuda/runtime.h, cuda/stream.h). nanossl drives one device
// per process: the stream and handle are created lazily on the device chosen by
// set_device (0 by default) and live until the process exits.
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>

#include "cuda/blas.h"
#include "cuda/check.h"
#include "cuda/runtime.h"
#include "cuda/stream.h"

namespace nanossl::cuda {
namespace {

// The answer of cudaGetDeviceCount, asked once. With no driver (or one too old)
// the call fails; that is a normal "no GPU here" answer, not a crash.
struct DeviceQuery {
  int count = 0;
  cudaError_t error = cudaSuccess;
};

const DeviceQuery& device_query() {
  static const DeviceQuery query = [] {
    DeviceQuery q;
    q.error = cudaGetDeviceCount(&q.count);
    if (q.error != cudaSuccess) {
      q.count = 0;
      cudaGetLastError();  // clear the error so later calls do not see it
    }
    return q;
  }();
  return query;
}

struct RuntimeState {
  std::mutex mutex;
  int device = 0;                               // chosen by set_device
  std::atomic<cudaStream_t> stream{nullptr};    // created on first use
  cublasHandle_t handle = nullptr;              // created on first use
  bool handle_tf32 = false;                     // math mode last applied to handle
};

RuntimeState& state() {
  static RuntimeState* instance = new RuntimeState();  // never destroyed: used until exit
  return *instance;
}

// True for page-locked memory (pinned_malloc or cudaHostRegister), whose copies
// may stay asynchronous; false for ordinary pageable memory.
bool is_pinned_host(const void* ptr) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, ptr) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attributes.type == cudaMemoryTypeHost;
}

}  // namespace

bool built_with_cuda() { return true; }

bool available() { return device_query().error == cudaSuccess && device_query().count > 0; }

int device_count() { return device_query().count; }

void require_device(int index) {
  const DeviceQuery& q = device_query();
  if (q.error != cudaSuccess) {
    throw std::runtime_error(std::string("[cuda] no CUDA device: cudaGetDeviceCount reported ") +
                             cudaGetErrorString(q.error) + " (" + cudaGetErrorName(q.error) + ")");
  }
  if (q.count == 0) {
    throw std::runtime_error("[cuda] no CUDA device: cudaGetDeviceCount reported 0 devices");
  }
  if (index < 0 || index >= q.count) {
    throw std::runtime_error("[cuda] CUDA device " + std::to_string(index) + " requested, " +
                             std::to_string(q.count) + " present");
  }
}

void set_device(int index) {
  require_device(index);
  RuntimeState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.stream.load() != nullptr && index != s.device) {
    throw std::runtime_error("[cuda] set_device(" + std::to_string(index) +
                             ") after work started on device " + std::to_string(s.device) +
                             ": nanossl drives one device per process");
  }
  s.device = index;
  CUDA_CHECK(cudaSetDevice(index));
}

cudaStream_t stream() {
  RuntimeState& s = state();
  cudaStream_t existing = s.stream.load(std::memory_order_acquire);
  if (existing) return existing;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.stream.load()) {
    require_device(s.device);
    CUDA_CHECK(cudaSetDevice(s.device));
    cudaStream_t created = nullptr;
    // Non-blocking: no implicit ordering with the legacy default stream, which
    // nanossl never uses.
    CUDA_CHECK(cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking));
    s.stream.store(created, std::memory_order_release);
  }
  return s.stream.load();
}

cublasHandle_t cublas_handle() {
  cudaStream_t work_stream = stream();  // before taking the lock: stream() takes it too
  RuntimeState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const bool tf32 = allow_tf32();
  if (!s.handle) {
    CUBLAS_CHECK(cublasCreate(&s.handle));
    CUBLAS_CHECK(cublasSetStream(s.handle, work_stream));
    CUBLAS_CHECK(cublasSetMathMode(s.handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    s.handle_tf32 = tf32;
  } else if (s.handle_tf32 != tf32) {
    CUBLAS_CHECK(cublasSetMathMode(s.handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    s.handle_tf32 = tf32;
  }
  return s.handle;
}

// Pageable sources are copied through a staging buffer; we wait for the copy so
// the caller may free or overwrite the source at once. From pinned memory the
// copy stays asynchronous: keep the source unchanged until the stream reaches it
// (pinned_free synchronises first).
void copy_host_to_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  cudaStream_t s = stream();
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
  if (!is_pinned_host(src)) CUDA_CHECK(cudaStreamSynchronize(s));
}

void copy_device_to_host(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  cudaStream_t s = stream();
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
}

void copy_device_to_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
}

// Before any work there is no stream and nothing to wait for (this keeps CPU-only
// runs of a CUDA build free of device calls).
void synchronize() {
  cudaStream_t s = state().stream.load(std::memory_order_acquire);
  if (s) CUDA_CHECK(cudaStreamSynchronize(s));
}

void* pinned_malloc(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  require_device(state().device);
  void* ptr = nullptr;
  CUDA_CHECK(cudaHostAlloc(&ptr, bytes, cudaHostAllocDefault));
  return ptr;
}

void pinned_free(void* ptr) {
  if (!ptr) return;
  synchronize();  // an asynchronous copy may still read it
  CUDA_CHECK(cudaFreeHost(ptr));
}

}  // namespace nanossl::cuda
