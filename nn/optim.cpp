// SGD and LARS updates, written with the Tensor in-place ops (add_, mul_, copy_)
// under a no-grad guard, so the same code runs on CPU and CUDA parameters. The
// formulas are in nn/optim.h and docs/optim.md.
#include "nn/optim.h"

#include <cmath>
#include <set>
#include <stdexcept>

#include "autograd/ops.h"
#include "base/error.h"

namespace nanossl::nn {

namespace {

void check_non_negative(const char* op, const char* what, double value) {
  if (!std::isfinite(value) || value < 0.0) {
    op_error(op, std::string(what) + " must be finite and >= 0, got " + std::to_string(value));
  }
}

const std::string momentum_prefix = "momentum/";

}  // namespace

std::vector<OptimizerParam> optimizer_params(const NamedTensors& named, bool exclude_bn_and_bias) {
  std::vector<OptimizerParam> out;
  std::set<std::string> seen;
  for (const auto& [name, tensor] : named) {
    if (!tensor.defined()) op_error("optimizer_params", "parameter '" + name + "' is undefined");
    if (!is_floating(tensor.dtype())) {
      op_error("optimizer_params", "parameter '" + name + "' is " + tensor.describe() + ", not floating point");
    }
    if (!seen.insert(name).second) op_error("optimizer_params", "parameter name '" + name + "' appears twice");
    const bool excluded = exclude_bn_and_bias && tensor.ndim() == 1;
    out.push_back({name, tensor, !excluded, !excluded});
  }
  return out;
}

// ---- Optimizer ----

Optimizer::Optimizer(const char* op, std::vector<OptimizerParam> params, double lr)
    : op_(op), params_(std::move(params)), buffers_(params_.size()), lr_(0.0) {
  std::set<std::string> seen;
  for (const OptimizerParam& p : params_) {
    if (!p.tensor.defined()) op_error(op_, "parameter '" + p.name + "' is undefined");
    if (!is_floating(p.tensor.dtype())) op_error(op_, "parameter '" + p.name + "' is " + p.tensor.describe() + ", not floating point");
    if (!seen.insert(p.name).second) op_error(op_, "parameter name '" + p.name + "' appears twice");
  }
  set_lr(lr);
}

void Optimizer::zero_grad() {
  for (OptimizerParam& p : params_) p.tensor.zero_grad();
}

void Optimizer::set_lr(double lr) {
  check_non_negative(op_, "learning rate", lr);
  lr_ = lr;
}

Tensor& Optimizer::buffer_for(std::size_t i) {
  const Tensor& p = params_[i].tensor;
  Tensor& buf = buffers_[i];
  if (!buf.defined()) {
    buf = Tensor::zeros(p.shape(), p.dtype(), p.device());
  } else if (!(buf.device() == p.device()) || buf.dtype() != p.dtype()) {
    buf = buf.to(p.dtype()).to(p.device());
  }
  return buf;
}

Tensor Optimizer::scratch_like(const Tensor& like) {
  const std::int64_t n = like.numel();
  if (!scratch_.defined() || scratch_.numel() < n || scratch_.dtype() != like.dtype() ||
      !(scratch_.device() == like.device())) {
    const std::int64_t capacity = scratch_.defined() && scratch_.numel() > n ? scratch_.numel() : n;
    scratch_ = Tensor::empty({capacity}, like.dtype(), like.device());
  }
  return scratch_.narrow0(0, n).view(like.shape());
}

NamedTensors Optimizer::buffers_state() const {
  NamedTensors out;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].tensor;
    Tensor value = buffers_[i].defined() ? buffers_[i].clone() : Tensor::zeros(p.shape(), p.dtype(), p.device());
    out.emplace_back(momentum_prefix + params_[i].name, value);
  }
  return out;
}

void Optimizer::load_buffers(const std::map<std::string, Tensor>& state) {
  std::string missing, mis_shaped, unexpected;
  std::set<std::string> known;
  for (const OptimizerParam& p : params_) {
    const std::string key = momentum_prefix + p.name;
    known.insert(key);
    auto it = state.find(key);
    if (it == state.end()) {
      missing += " " + key;
    } else if (!it->second.defined() || it->second.shape() != p.tensor.shape()) {
      mis_shaped += " " + key + " (" + (it->second.defined() ? it->second.describe() : "undefined") +
                    ", parameter is " + p.tensor.describe() + ")";
    }
  }
  for (const auto& [key, value] : state) {
    if (!known.count(key)) unexpected += " " + key;
  }
  if (!missing.empty() || !mis_shaped.empty() || !unexpected.empty()) {
    std::string message = "cannot load optimizer state:";
    if (!missing.empty()) message += " missing" + missing + ";";
    if (!mis_shaped.empty()) message += " mis-shaped" + mis_shaped + ";";
    if (!unexpected.empty()) message += " unexpected" + unexpected + ";";
    message.pop_back();
    op_error(op_, message);
  }
  // Checked everything first, so a failed load changes nothing.
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].tensor;
    Tensor buf = Tensor::empty(p.shape(), p.dtype(), p.device());
    buf.copy_(state.at(momentum_prefix + params_[i].name));
    buffers_[i] = buf;
  }
}

double squared_norm(const Tensor& x) {
  NoGradGuard no_grad;
  return sum(mul(x, x)).item();
}

// ---- SGD ----

Sgd::Sgd(std::vector<OptimizerParam> params, SgdOptions options)
    : Optimizer("sgd", std::move(params), options.lr), options_(options) {
  check_non_negative(op_, "momentum", options.momentum);
  check_non_negative(op_, "weight_decay", options.weight_decay);
  check_non_negative(op_, "dampening", options.dampening);
  if (options.nesterov && (options.momentum <= 0.0 || options.dampening != 0.0)) {
    op_error(op_, "Nesterov momentum needs momentum > 0 and zero dampening");
  }
}

void Sgd::step() {
  NoGradGuard no_grad;
  const double momentum = options_.momentum;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i].tensor;
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    // d = g + weight_decay * p, built in the scratch buffer only when it differs from g.
    const bool decay = params_[i].decay && options_.weight_decay != 0.0;
    Tensor d = g;
    if (decay || options_.nesterov) d = scratch_like(p).copy_(g);
    if (decay) d.add_(p, options_.weight_decay);
    if (momentum != 0.0) {
      const bool first = !buffers_[i].defined();
      Tensor& buf = buffer_for(i);
      if (first) buf.copy_(d);                                   // buf = d
      else buf.mul_(momentum).add_(d, 1.0 - options_.dampening);  // buf = m*buf + (1-damp)*d
      if (options_.nesterov) d.add_(buf, momentum);              // d = d + m*buf
      else d = buf;                                              // d = buf
    }
    p.add_(d, -lr_);  // p = p - lr*d
  }
}

NamedTensors Sgd::state() const {
  if (options_.momentum == 0.0) return {};
  return buffers_state();
}

void Sgd::load_state(const std::map<std::string, Tensor>& state) {
  if (options_.momentum == 0.0) {
    if (!state.empty()) op_error(op_, "cannot load optimizer state: SGD without momentum has none, got " +
                                      std::to_string(state.size()) + " entries (first: " + state.begin()->first + ")");
    return;
  }
  load_buffers(state);
}

// ---- LARS ----

Lars::Lars(std::vector<OptimizerParam> params, LarsOptions options)
    : Optimizer("lars", std::move(params), options.lr), options_(options), trust_(params_.size(), 1.0) {
  check_non_negative(op_, "momentum", options.momentum);
  check_non_negative(op_, "weight_decay", options.weight_decay);
  if (!std::isfinite(options.eta) || options.eta <= 0.0) {
    op_error(op_, "eta must be finite and > 0, got " + std::to_string(options.eta));
  }
}

void Lars::step() {
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    trust_[i] = 1.0;
    Tensor& w = params_[i].tensor;
    const Tensor g = w.grad();
    if (!g.defined()) continue;
    Tensor gw = g;  // g' = g + weight_decay * w
    if (params_[i].decay && options_.weight_decay != 0.0) {
      gw = scratch_like(w).copy_(g).add_(w, options_.weight_decay);
    }
    double trust = 1.0;
    if (params_[i].adapt) {
      const double w_norm = std::sqrt(squared_norm(w));
      const double g_norm = std::sqrt(squared_norm(gw));
      if (w_norm > 0.0 && g_norm > 0.0) trust = options_.eta * w_norm / g_norm;
    }
    trust_[i] = trust;
    Tensor& v = buffer_for(i);
    v.mul_(options_.momentum).add_(gw, lr_ * trust);  // v = m*v + lr*trust*g'
    w.add_(v, -1.0);                                   // w = w - v
  }
}

NamedTensors Lars::state() const { return buffers_state(); }

void Lars::load_state(const std::map<std::string, Tensor>& state) { load_buffers(state); }

}  // namespace nanossl::nn
