// The autograd graph. Every differentiable op that sees an input requiring grad
// creates one Node, stores it as its output's grad_fn, and points one Edge at
// each input: to the input's own grad_fn, or straight at the input if it is a leaf.
// Nodes save what their backward needs as *detached* tensors, so no node ever
// owns the tensor that owns it (no reference cycles).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace nanossl::autograd {

struct Edge {
  std::shared_ptr<Node> node;        // set when the input came out of another op
  std::shared_ptr<TensorImpl> leaf;  // set when the input is a leaf that requires grad
  bool needed() const { return node != nullptr || leaf != nullptr; }
};

class Node {
 public:
  virtual ~Node() = default;
  virtual const char* name() const = 0;
  // grad_output has the shape of the op's output. Returns one gradient per input,
  // in input order; an undefined Tensor where input_needs_grad(i) is false.
  // Runs with grad mode off, so backward may freely call differentiable ops.
  virtual std::vector<Tensor> backward(const Tensor& grad_output) = 0;

  bool input_needs_grad(std::size_t i) const { return i < edges.size() && edges[i].needed(); }

  std::vector<Edge> edges;  // one per input
  Shape output_shape;       // checked against incoming gradients
  bool released = false;    // set once backward has run and freed the graph below
};

// Connects `out` to the graph if grad mode is on and any input requires grad:
// fills node->edges from `inputs` and sets out's grad_fn and requires_grad.
// Returns true if the node was attached (ops may skip saving tensors otherwise).
bool attach(Tensor& out, const std::shared_ptr<Node>& node, const std::vector<Tensor>& inputs);
// True if grad mode is on and any defined input requires grad.
bool any_requires_grad(const std::vector<Tensor>& inputs);

}  // namespace nanossl::autograd
