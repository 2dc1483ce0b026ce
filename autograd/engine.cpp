// The backward pass: Kahn's topological order over the nodes reachable from the
// root, so each node runs once, after every consumer of its output has sent its
// gradient. See engine.h for where gradients accumulate and when the graph is freed.
#include "autograd/engine.h"

#include <deque>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "autograd/anomaly.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops/elementwise.h"

namespace nanossl {
namespace {

using autograd::Node;

void check_gradient(const char* who, const Tensor& grad, const Shape& shape, const Tensor& like) {
  if (grad.shape() != shape) {
    throw std::logic_error(std::string("[backward] ") + who + " produced a gradient of shape " +
                           shape_str(grad.shape()) + " for an input of shape " + shape_str(shape));
  }
  if (like.defined() && (grad.dtype() != like.dtype() || !(grad.device() == like.device()))) {
    throw std::logic_error(std::string("[backward] ") + who + " produced " + grad.describe() +
                           " for an input " + like.describe());
  }
}

// The one place a leaf's .grad grows: the first gradient is copied into a buffer
// the leaf owns (the incoming one may be shared with other gradients); later
// ones are added in place.
void accumulate_leaf(TensorImpl& leaf, const Tensor& grad) {
  if (!leaf.grad) {
    leaf.grad = grad.clone().impl_ptr();
  } else {
    Tensor(leaf.grad).add_(grad);
  }
}

// Counts, for every node reachable from `root`, how many edges point at it.
std::unordered_map<Node*, int> count_dependencies(Node* root) {
  std::unordered_map<Node*, int> dependencies{{root, 0}};
  std::vector<Node*> stack{root};
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const autograd::Edge& edge : node->edges) {
      if (!edge.node) continue;
      auto [it, inserted] = dependencies.try_emplace(edge.node.get(), 0);
      ++it->second;
      if (inserted) stack.push_back(edge.node.get());
    }
  }
  return dependencies;
}

}  // namespace

void backward(const Tensor& root, const Tensor& grad_output) {
  if (!root.defined()) throw std::invalid_argument("[backward] called on an undefined tensor");
  if (!root.requires_grad()) {
    throw std::invalid_argument("[backward] " + root.describe() +
                                " does not require grad (no input of the computation requires grad)");
  }
  Tensor seed = grad_output;
  if (!seed.defined()) {
    if (root.numel() != 1) {
      throw std::invalid_argument("[backward] " + root.describe() +
                                  " is not a scalar: pass a gradient of the same shape");
    }
    seed = Tensor::ones(root.shape(), root.dtype(), root.device());
  }
  check_gradient("the given grad_output", seed, root.shape(), root);

  NoGradGuard no_grad;
  if (root.is_leaf()) {
    accumulate_leaf(*root.impl(), seed);
    return;
  }
  Node* root_node = root.grad_fn().get();
  if (root_node->released) {
    throw std::logic_error(std::string("[backward] the graph through '") + root_node->name() +
                           "' was already freed by an earlier backward");
  }
  std::unordered_map<Node*, int> dependencies = count_dependencies(root_node);
  std::unordered_map<Node*, Tensor> pending{{root_node, seed}};
  std::deque<std::shared_ptr<Node>> ready{root.grad_fn()};

  while (!ready.empty()) {
    std::shared_ptr<Node> node = std::move(ready.front());
    ready.pop_front();
    auto pending_it = pending.find(node.get());
    std::vector<Tensor> grads;
    if (pending_it != pending.end()) {
      if (node->released) {
        throw std::logic_error(std::string("[backward] the graph through '") + node->name() +
                               "' was already freed by an earlier backward");
      }
      Tensor grad = std::move(pending_it->second);
      pending.erase(pending_it);
      grads = node->backward(grad);
      if (grads.size() != node->edges.size()) {
        throw std::logic_error(std::string("[backward] '") + node->name() + "' returned " +
                               std::to_string(grads.size()) + " gradients for " +
                               std::to_string(node->edges.size()) + " inputs");
      }
      for (std::size_t i = 0; i < grads.size() && anomaly_mode_enabled(); ++i) {
        autograd::check_anomaly(grads[i], std::string("the backward of ") + node->name() + " (gradient of input " +
                                    std::to_string(i) + ")");
      }
    }
    for (std::size_t i = 0; i < node->edges.size(); ++i) {
      const autograd::Edge& edge = node->edges[i];
      const bool has_grad = i < grads.size() && grads[i].defined();
      if (edge.leaf && has_grad) {
        check_gradient(node->name(), grads[i], edge.leaf->shape, Tensor(edge.leaf));
        accumulate_leaf(*edge.leaf, grads[i]);
      } else if (edge.node) {
        Node* child = edge.node.get();
        if (has_grad) {
          check_gradient(node->name(), grads[i], child->output_shape, Tensor());
          auto [it, inserted] = pending.try_emplace(child, grads[i]);
          if (!inserted) it->second = add(it->second, grads[i]);
        }
        if (--dependencies[child] == 0) ready.push_back(edge.node);
      }
    }
    // Free this part of the graph: dropping the edges releases the nodes below
    // (and the tensors they saved) as soon as nothing else holds them.
    node->edges.clear();
    node->released = true;
  }
}

}  // namespace nanossl
