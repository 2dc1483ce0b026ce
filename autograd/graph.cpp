// Grad mode and the bookkeeping that links an op's output into the graph.
#include "autograd/anomaly.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"

namespace nanossl {
namespace {
thread_local bool g_grad_enabled = true;
}

bool grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool enabled) { g_grad_enabled = enabled; }

namespace autograd {

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.requires_grad()) return true;
  }
  return false;
}

bool attach(Tensor& out, const std::shared_ptr<Node>& node, const std::vector<Tensor>& inputs) {
  if (!any_requires_grad(inputs)) return false;
  node->edges.clear();
  node->edges.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    Edge edge;
    if (t.requires_grad()) {
      if (t.grad_fn()) edge.node = t.grad_fn();
      else edge.leaf = t.impl_ptr();
    }
    node->edges.push_back(std::move(edge));
  }
  node->output_shape = out.shape();
  out.impl()->grad_fn = node;
  out.impl()->requires_grad = true;
  if (anomaly_mode_enabled()) check_anomaly(out, std::string("the forward of ") + node->name());
  return true;
}

}  // namespace autograd
}  // namespace nanossl
