// Module: the unit networks are built from. A module owns named parameters
// (trainable leaves) and buffers (state such as BN running statistics) and named
// child modules; names join with dots, as in torchvision, so a state dict of ours
// and one of PyTorch's use the same keys ("layer1.0.conv1.weight").
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace nanossl::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  // Single-input modules implement forward; containers call their children's.
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Depth-first, in registration order, with dotted names.
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  // Parameters and buffers together, in PyTorch's state_dict() order: each module's
  // own parameters, then its own buffers, then its children's, depth-first.
  NamedTensors named_state() const;
  // Parameters and buffers together, by name.
  std::map<std::string, Tensor> state_dict() const;
  // Copies values into the existing tensors (device and dtype kept). Throws naming
  // every missing, unexpected or mis-shaped key (strict: all keys must match).
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  // Training mode (BN uses batch statistics) or evaluation mode, recursively.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Moves every parameter and buffer in place: handles held elsewhere (an
  // optimizer's parameter list) see the moved tensors.
  void to(Device device);
  void zero_grad();

  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

 protected:
  // Registers and returns the stored handle; modules keep the returned Tensor.
  Tensor register_parameter(const std::string& name, Tensor value);
  Tensor register_buffer(const std::string& name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    children_.emplace_back(name, module);
    return module;
  }
  // Called after load_state_dict has copied values in, so a module can refresh
  // what it derives from its buffers (BatchNorm's host copy of its batch count).
  virtual void on_state_loaded() {}

 private:
  void collect(const std::string& prefix, bool parameters, NamedTensors& out) const;
  void collect_state(const std::string& prefix, NamedTensors& out) const;
  void state_loaded();

  NamedTensors parameters_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace nanossl::nn
