// Storage takes its bytes from the caching allocator of its device.
#include "tensor/storage.h"

#include "cpu/allocator.h"
#include "cuda/runtime.h"

namespace nanossl {

Storage::Storage(std::size_t bytes, Device device) : bytes_(bytes), device_(device) {
  if (device.is_cpu()) {
    data_ = cpu::host_malloc(bytes);
  } else {
    cuda::require_device(device.index);
    cuda::set_device(device.index);
    data_ = cuda::device_malloc(bytes);
  }
}

Storage::~Storage() {
  if (device_.is_cpu()) {
    cpu::host_free(data_);
  } else {
    cuda::device_free(data_);
  }
}

}  // namespace nanossl
