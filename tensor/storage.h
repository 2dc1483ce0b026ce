// A refcounted block of bytes on one device. Tensors share a Storage through
// std::shared_ptr; views (reshape, dim-0 slices) point into the same block.
// Memory comes from the device's caching allocator and goes back to it.
#pragma once
#include <cstddef>
#include <memory>

#include "tensor/device.h"

namespace nanossl {

class Storage {
 public:
  // pinned: page-locked host memory (CPU only), so copies to the GPU can run
  // asynchronously; see Tensor::pin_memory.
  Storage(std::size_t bytes, Device device, bool pinned = false);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }
  bool pinned() const { return pinned_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  Device device_;
  bool pinned_ = false;
};

}  // namespace nanossl
