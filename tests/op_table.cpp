// The op table's plumbing: input generation, the flat list of cases the test
// suites are instantiated over, and their names. The entries themselves live in
// op_table_math.cpp, op_table_shape.cpp and op_table_nn.cpp.
#include "op_table.h"

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

#include "base/philox.h"

namespace nanossl::testing {

const char* family_name(Family family) {
  switch (family) {
    case Family::elementwise: return "elementwise";
    case Family::reduce: return "reduce";
    case Family::shape: return "shape";
    case Family::linalg: return "linalg";
    case Family::conv: return "conv";
    case Family::pooling: return "pooling";
    case Family::norm: return "norm";
    case Family::loss: return "loss";
    case Family::ssl: return "ssl";
    case Family::composite: return "composite";
  }
  return "?";
}

InputSpec labels(const std::vector<std::int64_t>& values) {
  InputSpec spec{{static_cast<std::int64_t>(values.size())}, InputSpec::Kind::labels, 0, 0, false, {}};
  for (std::int64_t v : values) spec.values.push_back(static_cast<double>(v));
  return spec;
}

InputSpec cyclic_labels(std::int64_t N, std::int64_t C) {
  std::vector<std::int64_t> values;
  for (std::int64_t i = 0; i < N; ++i) values.push_back((i * 7 + 3) % C);
  return labels(values);
}

std::string shape_label(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

double reduce_atol(std::int64_t n) { return 1e-5 + 2.0 * FLT_EPSILON * static_cast<double>(n); }

namespace {

// Values in double for one input; converted to the requested dtype afterwards.
std::vector<double> generate(const InputSpec& spec, std::uint64_t seed) {
  const auto n = static_cast<std::size_t>(shape_numel(spec.shape));
  std::vector<double> v(n);
  switch (spec.kind) {
    case InputSpec::Kind::uniform:
      for (std::size_t i = 0; i < n; ++i) v[i] = spec.lo + (spec.hi - spec.lo) * philox_uniform_at(seed, 11, 0, i);
      break;
    case InputSpec::Kind::nonzero:
      for (std::size_t i = 0; i < n; ++i) {
        const double magnitude = spec.lo + (spec.hi - spec.lo) * philox_uniform_at(seed, 11, 0, i);
        v[i] = philox_uniform_at(seed, 12, 0, i) < 0.5 ? -magnitude : magnitude;
      }
      break;
    case InputSpec::Kind::distinct:
      std::iota(v.begin(), v.end(), 0.0);
      std::shuffle(v.begin(), v.end(), std::mt19937(static_cast<unsigned>(seed)));
      for (double& x : v) x = 0.1 * x - 1.0;
      break;
    case InputSpec::Kind::values:
    case InputSpec::Kind::labels:
      if (spec.values.size() != n) throw std::invalid_argument("[op_table] values do not fill the shape");
      v = spec.values;
      break;
  }
  return v;
}

}  // namespace

std::vector<Tensor> make_inputs(const OpCase& c, DType dtype) {
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    const InputSpec& spec = c.inputs[i];
    const std::vector<double> values = generate(spec, i + 1);
    Tensor t;
    if (spec.kind == InputSpec::Kind::labels) {
      t = Tensor::from_vector(std::vector<std::int64_t>(values.begin(), values.end()), spec.shape);
    } else {
      t = Tensor::from_vector(values, spec.shape).to(dtype);
      if (spec.requires_grad) t.set_requires_grad();
    }
    inputs.push_back(t);
  }
  return inputs;
}

const std::vector<OpEntry>& op_table() {
  static const std::vector<OpEntry> table = [] {
    std::vector<OpEntry> all;
    for (auto part : {elementwise_entries, reduce_entries, shape_entries, linalg_entries, conv_entries,
                      norm_loss_entries, composite_entries}) {
      for (OpEntry& e : part()) all.push_back(std::move(e));
    }
    return all;
  }();
  return table;
}

std::string test_name(const TableCase& c) {
  std::string name = c.entry->name + "_" + c.op_case->label;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') ch = '_';
  }
  return name;
}

std::vector<TableCase> table_cases(bool gradcheck_only) {
  std::vector<TableCase> cases;
  std::set<std::string> names;
  for (const OpEntry& entry : op_table()) {
    for (const OpCase& c : entry.cases) {
      const TableCase tc{&entry, &c};
      if (!names.insert(test_name(tc)).second) {
        throw std::logic_error("[op_table] duplicate case name " + test_name(tc));
      }
      std::int64_t differentiable = 0;
      for (const InputSpec& spec : c.inputs) differentiable += spec.requires_grad ? shape_numel(spec.shape) : 0;
      if (!gradcheck_only || (c.gradcheck && differentiable <= kGradcheckMaxElements)) cases.push_back(tc);
    }
  }
  return cases;
}

}  // namespace nanossl::testing
