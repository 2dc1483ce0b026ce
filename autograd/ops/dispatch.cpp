// Argument checks shared by all ops.
#include "autograd/ops/dispatch.h"

namespace nanossl {

void check_float(const char* op, const Tensor& t, const char* what) {
  if (!t.defined()) op_error(op, std::string(what) + " is undefined");
  if (!is_floating(t.dtype())) {
    op_error(op, std::string(what) + " must be f32 or f64, got " + t.describe());
  }
}

void check_same(const char* op, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor* t : tensors) {
    if (!t->defined()) continue;
    if (!first) {
      first = t;
      continue;
    }
    if (!(t->device() == first->device())) {
      op_error(op, "tensors are on different devices: " + first->describe() + " and " + t->describe());
    }
    if (t->dtype() != first->dtype()) {
      op_error(op, "tensors have different dtypes: " + first->describe() + " and " + t->describe());
    }
  }
}

void check_4d(const char* op, const Tensor& t, const char* what, const char* layout) {
  if (t.ndim() != 4) {
    op_error(op, std::string("expects a 4-D ") + what + " " + layout + ", got " + shape_str(t.shape()));
  }
}

}  // namespace nanossl
