// The ring buffer of MoCo's negative keys; see key_queue.h.
#include "ssl/key_queue.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.h"
#include "autograd/ops/norm.h"

namespace nanossl::ssl {

KeyQueue::KeyQueue(std::int64_t size, std::int64_t dim) : size_(size), dim_(dim) {
  if (size < 1 || dim < 1) {
    throw std::invalid_argument("[KeyQueue] size and dim must be positive, got " + std::to_string(size) + " and " +
                                std::to_string(dim));
  }
  NoGradGuard no_grad;
  keys_ = register_buffer("keys", l2_normalize(Tensor::randn({size, dim})));  // (K,D) unit rows
  pointer_buffer_ = register_buffer("pointer", Tensor::zeros({}, DType::i64));
}

Tensor KeyQueue::forward(const Tensor&) { throw std::logic_error("[KeyQueue] a queue is not a layer: use enqueue"); }

void KeyQueue::enqueue(const Tensor& keys) {
  if (!keys.defined() || keys.ndim() != 2 || keys.size(1) != dim_ || keys.size(0) < 1 || keys.size(0) > size_) {
    throw std::invalid_argument("[KeyQueue] enqueue expects (B," + std::to_string(dim_) + ") keys with 1 <= B <= " +
                                std::to_string(size_) + ", got " + (keys.defined() ? keys.describe() : "undefined"));
  }
  if (keys.dtype() != keys_.dtype() || !(keys.device() == keys_.device())) {
    throw std::invalid_argument("[KeyQueue] keys " + keys.describe() + " differ in dtype or device from the queue " +
                                keys_.describe());
  }
  NoGradGuard no_grad;
  const std::int64_t count = keys.size(0);
  const std::int64_t first = std::min(count, size_ - pointer_);  // rows before the end of the ring
  keys_.narrow0(pointer_, pointer_ + first).copy_(keys.narrow0(0, first));
  if (first < count) keys_.narrow0(0, count - first).copy_(keys.narrow0(first, count));  // wrapped around
  pointer_ = (pointer_ + count) % size_;
  pointer_buffer_.fill_(static_cast<double>(pointer_));
}

void KeyQueue::on_state_loaded() {
  pointer_ = static_cast<std::int64_t>(pointer_buffer_.item());
  if (pointer_ < 0 || pointer_ >= size_) {
    throw std::runtime_error("[KeyQueue] the loaded pointer " + std::to_string(pointer_) + " is outside [0, " +
                             std::to_string(size_) + ")");
  }
}

}  // namespace nanossl::ssl
