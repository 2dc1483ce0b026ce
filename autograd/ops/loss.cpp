// log_softmax and cross_entropy: shape and label checks, dispatch to the CPU
// kernels (cpu/loss.h) or the CUDA kernels (cuda/loss.h), and the graph nodes
// whose backward calls the dedicated backward kernels.
#include "autograd/ops/loss.h"

#include <memory>
#include <string>
#include <vector>

#include "autograd/node.h"
#include "autograd/ops/dispatch.h"
#include "cpu/loss.h"
#include "cuda/loss.h"

namespace nanossl {
namespace {

struct LogSoftmaxBackward : autograd::Node {
  Tensor y;  // the forward's output, saved detached
  const char* name() const override { return "log_softmax"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = Tensor::empty(y.shape(), y.dtype(), y.device());
    const std::int64_t N = y.size(0), C = y.size(1);
    if (y.device().is_cpu()) {
      dispatch_float(name(), y.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::log_softmax_backward<T>(g.data<T>(), y.data<T>(), dx.data<T>(), N, C);
      });
    } else {
      cuda::log_softmax_backward(y.dtype(), g.data_ptr(), y.data_ptr(), dx.data_ptr(), N, C);
    }
    return {dx};
  }
};

struct CrossEntropyBackward : autograd::Node {
  Tensor logits, labels, stats;  // saved detached; stats (N,2) from the forward
  const char* name() const override { return "cross_entropy"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = Tensor::empty(logits.shape(), logits.dtype(), logits.device());
    const std::int64_t N = logits.size(0), C = logits.size(1);
    const auto* label_data = static_cast<const std::int64_t*>(labels.data_ptr());
    if (logits.device().is_cpu()) {
      dispatch_float(name(), logits.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::cross_entropy_backward<T>(logits.data<T>(), label_data, stats.data<T>(), g.data<T>(),
                                       dx.data<T>(), N, C);
      });
    } else {
      cuda::cross_entropy_backward(logits.dtype(), logits.data_ptr(), label_data, stats.data_ptr(),
                                   g.data_ptr(), dx.data_ptr(), N, C);
    }
    return {dx};
  }
};

void check_logits(const char* op, const Tensor& logits) {
  check_float(op, logits, "logits");
  if (logits.ndim() != 2) op_error(op, "expects (N,C) logits, got " + shape_str(logits.shape()));
  if (logits.size(1) == 0) op_error(op, "logits " + shape_str(logits.shape()) + " have no classes");
}

}  // namespace

Tensor log_softmax(const Tensor& logits) {
  const char* op = "log_softmax";
  check_logits(op, logits);
  const std::int64_t N = logits.size(0), C = logits.size(1);
  Tensor y = Tensor::empty(logits.shape(), logits.dtype(), logits.device());
  if (logits.device().is_cpu()) {
    dispatch_float(op, logits.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::log_softmax_forward<T>(logits.data<T>(), y.data<T>(), N, C);
    });
  } else {
    cuda::log_softmax_forward(logits.dtype(), logits.data_ptr(), y.data_ptr(), N, C);
  }
  auto node = std::make_shared<LogSoftmaxBackward>();
  if (autograd::attach(y, node, {logits})) node->y = y.detach();
  return y;
}

Tensor cross_entropy(const Tensor& logits, const Tensor& labels) {
  const char* op = "cross_entropy";
  check_logits(op, logits);
  const std::int64_t N = logits.size(0), C = logits.size(1);
  if (!labels.defined()) op_error(op, "labels are undefined");
  if (labels.dtype() != DType::i64) {
    op_error(op, "labels must be i64 class indices, got " + labels.describe());
  }
  if (!(labels.device() == logits.device())) {
    op_error(op, "labels are on " + labels.device().str() + ", logits on " + logits.device().str());
  }
  if (labels.ndim() != 1 || labels.size(0) != N) {
    op_error(op, "logits " + shape_str(logits.shape()) + " need labels of shape " +
                     std::to_string(N) + ", got " + shape_str(labels.shape()));
  }
  if (N == 0) op_error(op, "empty batch: logits " + shape_str(logits.shape()));
  // The range check reads the labels on the host (a copy of N integers for CUDA).
  const std::vector<std::int64_t> host_labels = labels.to_vector<std::int64_t>();
  for (std::int64_t i = 0; i < N; ++i) {
    if (host_labels[i] < 0 || host_labels[i] >= C) {
      op_error(op, "label " + std::to_string(host_labels[i]) + " at row " + std::to_string(i) +
                       " is outside [0, " + std::to_string(C) + ")");
    }
  }

  Tensor loss = Tensor::empty({}, logits.dtype(), logits.device());
  Tensor stats = Tensor::empty({N, 2}, logits.dtype(), logits.device());
  const auto* label_data = static_cast<const std::int64_t*>(labels.data_ptr());
  if (logits.device().is_cpu()) {
    dispatch_float(op, logits.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::cross_entropy_forward<T>(logits.data<T>(), label_data, stats.data<T>(), loss.data<T>(),
                                    N, C);
    });
  } else {
    cuda::cross_entropy_forward(logits.dtype(), logits.data_ptr(), label_data, stats.data_ptr(),
                                loss.data_ptr(), N, C);
  }
  auto node = std::make_shared<CrossEntropyBackward>();
  if (autograd::attach(loss, node, {logits})) {  // labels get no gradient
    node->logits = logits.detach();
    node->labels = labels.detach();
    node->stats = stats;
  }
  return loss;
}

}  // namespace nanossl
