// Storage takes its bytes from the caching allocator of its device.
#include "tensor/storage.h"

#include "cpu/allocator.h"
#include "cuda/runtime.h"

namespace nanossl {

Storage::Storage(std::size_t bytes, Device device, bool pinned)
    : bytes_(bytes), device_(device), pinned_(pinned && device.is_cpu()) {
  if (pinned_) {
    data_ = cuda::pinned_malloc(bytes);
  } else if (device.is_cpu()) {
    data_ = cpu::host_malloc(bytes);
  } else {
    cuda::require_device(device.index);
    cuda::set_device(device.index);
    data_ = cuda::device_malloc(bytes);
  }
}

Storage::~Storage() {
  if (pinned_) {
    cuda::pinned_free(data_);
  } else if (device_.is_cpu()) {
    cpu::host_free(data_);
  } else {
    cuda::device_free(data_);
  }
}

}  // namespace nanossl
