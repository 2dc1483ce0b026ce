// MoCo's queue of negatives: the keys of the last `size` images, a ring buffer of
// rows. Its two buffers are in the state dict ("keys" (K,D), "pointer" an i64
// scalar: the row the next key goes to), so a checkpoint resumes with the same
// negatives. The keys start as random unit vectors (MoCo's reference does the same),
// so the first steps contrast against noise rather than against nothing.
#pragma once
#include <cstdint>

#include "nn/module.h"

namespace nanossl::ssl {

class KeyQueue : public nn::Module {
 public:
  // size K >= 1 rows of width dim D >= 1; draws the first keys from the global
  // generator (Tensor::randn), so a seeded run starts with the same queue.
  KeyQueue(std::int64_t size, std::int64_t dim);
  Tensor forward(const Tensor& x) override;  // not a layer: throws

  // keys (B,D) with 1 <= B <= K, same dtype and device as the queue: row b goes to
  // row (pointer + b) mod K, wrapping around the end, then pointer = (pointer + B)
  // mod K, so the oldest keys are replaced first. Without a graph.
  void enqueue(const Tensor& keys);
  const Tensor& keys() const { return keys_; }  // (K,D)
  std::int64_t pointer() const { return pointer_; }
  std::int64_t size() const { return size_; }

 protected:
  void on_state_loaded() override;

 private:
  std::int64_t size_, dim_;
  Tensor keys_, pointer_buffer_;
  std::int64_t pointer_ = 0;  // host copy of pointer_buffer_ (no device sync per step)
};

}  // namespace nanossl::ssl
