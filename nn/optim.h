// Optimizers: SGD (momentum, Nesterov, weight decay; PyTorch's semantics) and LARS
// (the SimCLR reference's TensorFlow LARSOptimizer). They update parameters in place
// on whatever device the parameters live, and save their momentum for checkpoints.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "nn/module.h"
#include "tensor/tensor.h"

namespace nanossl::nn {

// One parameter as an optimizer sees it. `decay`: weight decay applies; `adapt`:
// LARS scales its step by the trust ratio. Both are false for BN parameters and
// biases when they are excluded (see optimizer_params).
struct OptimizerParam {
  std::string name;
  Tensor tensor;
  bool decay = true;
  bool adapt = true;
};

// Wraps named parameters (e.g. model.named_parameters()). With exclude_bn_and_bias,
// every 1-D parameter gets decay = adapt = false: in a ResNet and its heads these
// are exactly the BatchNorm weights and biases and every Linear/Conv bias, while
// conv kernels (4-D) and Linear weights (2-D) keep both. Throws on an undefined
// tensor, a non-floating tensor or a repeated name.
std::vector<OptimizerParam> optimizer_params(const NamedTensors& named, bool exclude_bn_and_bias);

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient; parameters without one
  // (never reached by backward, or frozen) are left alone, momentum included.
  virtual void step() = 0;
  // Drops every parameter's gradient (like PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);  // a schedule calls this before each step
  const std::vector<OptimizerParam>& params() const { return params_; }

  // Named state for checkpoints: one "momentum/<parameter name>" entry per
  // parameter, shaped like it (zeros for a buffer not yet created).
  virtual NamedTensors state() const = 0;
  // Copies a saved state into this optimizer (onto each parameter's device and
  // dtype). Throws naming every missing, unexpected or mis-shaped entry.
  virtual void load_state(const std::map<std::string, Tensor>& state) = 0;

 protected:
  Optimizer(const char* op, std::vector<OptimizerParam> params, double lr);

  // The momentum buffer of parameter i, created as zeros on its device and dtype at
  // first use, and moved to follow the parameter if the module was moved since.
  Tensor& buffer_for(std::size_t i);
  // A scratch tensor shaped like `like` (same device and dtype), valid until the
  // next call: one flat buffer reused by every parameter, so steps do not allocate.
  Tensor scratch_like(const Tensor& like);
  NamedTensors buffers_state() const;
  void load_buffers(const std::map<std::string, Tensor>& state);

  const char* op_;  // "sgd" or "lars", for error messages
  std::vector<OptimizerParam> params_;
  std::vector<Tensor> buffers_;  // momentum, parallel to params_; undefined until used
  double lr_;

 private:
  Tensor scratch_;
};

struct SgdOptions {
  double lr = 0.1;
  double momentum = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  double dampening = 0.0;
};

// torch.optim.SGD, per parameter p with gradient g:
//   d = g + weight_decay * p               (only where decay is true)
//   buf = d on its first step, then buf = momentum * buf + (1 - dampening) * d
//   d = d + momentum * buf  (Nesterov)  or  d = buf   (momentum > 0)
//   p = p - lr * d
// Without momentum there is no buffer and no state. A buffer exists once its
// parameter has had a gradient (PyTorch's "buf is not None"); a loaded state
// creates every buffer.
class Sgd : public Optimizer {
 public:
  Sgd(std::vector<OptimizerParam> params, SgdOptions options);
  void step() override;
  NamedTensors state() const override;
  void load_state(const std::map<std::string, Tensor>& state) override;
  const SgdOptions& options() const { return options_; }

 private:
  SgdOptions options_;
};

struct LarsOptions {
  double lr = 0.1;
  double momentum = 0.9;
  double weight_decay = 1e-6;
  double eta = 0.001;  // trust coefficient
};

// LARS as in SimCLR's reference (TensorFlow LARSOptimizer, classic momentum):
//   g' = g + weight_decay * w                              (adapted parameters)
//   trust = eta * ||w|| / ||g'||  if both norms > 0, else 1
//   v = momentum * v + lr * trust * g'
//   w = w - v
// Excluded parameters (adapt false) take g' = g and trust = 1: plain momentum SGD
// with the same v update. v starts at zero.
class Lars : public Optimizer {
 public:
  Lars(std::vector<OptimizerParam> params, LarsOptions options);
  void step() override;
  NamedTensors state() const override;
  void load_state(const std::map<std::string, Tensor>& state) override;
  const LarsOptions& options() const { return options_; }

  // The trust ratio of the last step for each parameter (1 for excluded ones and
  // for parameters skipped for lack of a gradient), for monitoring.
  const std::vector<double>& last_trust_ratios() const { return trust_; }

 private:
  LarsOptions options_;
  std::vector<double> trust_;
};

// Sum of squares of all elements, computed on the tensor's device; one host sync.
double squared_norm(const Tensor& x);

}  // namespace nanossl::nn
