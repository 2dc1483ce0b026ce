// Module: registration of parameters, buffers and children, the dotted-name walks
// over them (in PyTorch's order), state dicts, train/eval and in-place device moves.
#include "nn/module.h"

#include <set>
#include <stdexcept>
#include <string>

namespace nanossl::nn {
namespace {

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

void check_new_name(const char* what, const std::string& name, const NamedTensors& existing) {
  if (name.empty() || name.find('.') != std::string::npos) {
    throw std::invalid_argument(std::string("[module] ") + what + " name '" + name +
                                "' must be non-empty and contain no '.'");
  }
  for (const auto& entry : existing) {
    if (entry.first == name) {
      throw std::invalid_argument(std::string("[module] ") + what + " '" + name + "' is already registered");
    }
  }
}

}  // namespace

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  check_new_name("parameter", name, parameters_);
  if (!value.defined()) throw std::invalid_argument("[module] parameter '" + name + "' is undefined");
  value.set_requires_grad(true);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name("buffer", name, buffers_);
  if (!value.defined()) throw std::invalid_argument("[module] buffer '" + name + "' is undefined");
  buffers_.emplace_back(name, value);
  return value;
}

void Module::collect(const std::string& prefix, bool parameters, NamedTensors& out) const {
  for (const auto& [name, tensor] : parameters ? parameters_ : buffers_) out.emplace_back(join(prefix, name), tensor);
  for (const auto& [name, child] : children_) child->collect(join(prefix, name), parameters, out);
}

void Module::collect_state(const std::string& prefix, NamedTensors& out) const {
  for (const auto& [name, tensor] : parameters_) out.emplace_back(join(prefix, name), tensor);
  for (const auto& [name, tensor] : buffers_) out.emplace_back(join(prefix, name), tensor);
  for (const auto& [name, child] : children_) child->collect_state(join(prefix, name), out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, out);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, out);
  return out;
}

NamedTensors Module::named_state() const {
  NamedTensors out;
  collect_state("", out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (const auto& entry : named_parameters()) out.push_back(entry.second);
  return out;
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> out;
  for (const auto& [name, tensor] : named_state()) out.emplace(name, tensor);
  return out;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  const NamedTensors own = named_state();
  std::vector<std::string> missing, unexpected, mismatched;
  std::set<std::string> own_names;
  for (const auto& [name, tensor] : own) {
    own_names.insert(name);
    const auto found = state.find(name);
    if (found == state.end()) {
      missing.push_back(name);
    } else if (!found->second.defined() || found->second.shape() != tensor.shape()) {
      mismatched.push_back(name + " (expected " + shape_str(tensor.shape()) + ", got " +
                           (found->second.defined() ? shape_str(found->second.shape()) : "undefined") + ")");
    }
  }
  for (const auto& entry : state) {
    if (!own_names.count(entry.first)) unexpected.push_back(entry.first);
  }
  std::string problems;
  auto list = [&problems](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    problems += std::string(problems.empty() ? "" : "; ") + what + ":";
    for (const auto& name : names) problems += " " + name;
  };
  if (strict) {
    list("missing keys", missing);
    list("unexpected keys", unexpected);
  }
  list("mis-shaped keys", mismatched);
  if (!problems.empty()) throw std::invalid_argument("[load_state_dict] " + problems);

  for (const auto& [name, tensor] : own) {
    const auto found = state.find(name);
    if (found == state.end()) continue;
    Tensor target = tensor;
    target.copy_(found->second);
  }
  state_loaded();
}

void Module::state_loaded() {
  on_state_loaded();
  for (const auto& entry : children_) entry.second->state_loaded();
}

void Module::train(bool on) {
  training_ = on;
  for (const auto& entry : children_) entry.second->train(on);
}

void Module::to(Device device) {
  for (auto* list : {&parameters_, &buffers_}) {
    for (auto& entry : *list) {
      if (!(entry.second.device() == device)) entry.second.set_data(entry.second.to(device));
    }
  }
  for (const auto& entry : children_) entry.second->to(device);
}

void Module::zero_grad() {
  for (auto& entry : named_parameters()) entry.second.zero_grad();
}

}  // namespace nanossl::nn
