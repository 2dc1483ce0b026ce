// Weighted kNN: L2-normalise, one GEMM (cpu::gemm, test chunk times the training
// matrix transposed, read in place) per chunk of test rows against all training
// rows, then per test row (in parallel) a bounded heap picks the k most similar
// training rows and their classes vote with weight exp((s - s_max) / T).
#include "ssl/knn.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "cpu/gemm.h"

namespace nanossl::ssl {
namespace {

constexpr const char* kOp = "knn_classify";

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(std::string("[") + kOp + "] " + message); }

// Rows scaled to unit L2 norm (a zero row stays zero), like F.normalize(eps=1e-12).
Tensor l2_normalize_rows(const Tensor& x, const std::string& which) {
  const std::int64_t n = x.size(0), d = x.size(1);
  Tensor out = Tensor::empty({n, d});
  const float* src = x.data<float>();
  float* dst = out.data<float>();
  std::int64_t bad_row = -1;
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    double squares = 0.0;
    for (std::int64_t c = 0; c < d; ++c) squares += static_cast<double>(src[i * d + c]) * src[i * d + c];
    if (!std::isfinite(squares)) {
#pragma omp critical
      bad_row = bad_row < 0 ? i : std::min(bad_row, i);
      continue;
    }
    const float scale = static_cast<float>(1.0 / std::max(std::sqrt(squares), 1e-12));
    for (std::int64_t c = 0; c < d; ++c) dst[i * d + c] = src[i * d + c] * scale;
  }
  if (bad_row >= 0) fail(which + " row " + std::to_string(bad_row) + " has a non-finite feature");
  return out;
}

// A neighbour candidate; `better` is the total order used for selection: higher
// similarity first, then the lower training index.
struct Neighbour {
  float sim;
  std::int64_t index;
};
bool better(const Neighbour& a, const Neighbour& b) { return a.sim > b.sim || (a.sim == b.sim && a.index < b.index); }

}  // namespace

KnnResult knn_classify(const FeatureSet& train, const FeatureSet& test, std::int64_t num_classes,
                       const KnnOptions& options) {
  if (num_classes < 1) fail("num_classes must be >= 1, got " + std::to_string(num_classes));
  if (options.k < 1) fail("k must be >= 1, got " + std::to_string(options.k));
  if (!(options.temperature > 0.0) || !std::isfinite(options.temperature)) {
    fail("temperature must be positive and finite, got " + std::to_string(options.temperature));
  }
  if (options.chunk < 1) fail("chunk must be >= 1, got " + std::to_string(options.chunk));
  check_features(train, kOp, "train", num_classes);
  check_features(test, kOp, "test", num_classes);
  const std::int64_t n_train = train.features.size(0), n_test = test.features.size(0), d = train.features.size(1);
  if (test.features.size(1) != d) {
    fail("train features have D = " + std::to_string(d) + " but test features have D = " +
         std::to_string(test.features.size(1)));
  }
  const std::int64_t k = std::min(options.k, n_train);
  const double inv_t = 1.0 / options.temperature;

  const Tensor train_n = l2_normalize_rows(train.features, "train");  // (N_train, D)
  const Tensor test_n = l2_normalize_rows(test.features, "test");     // (N_test, D)
  const Tensor sims = Tensor::empty({std::min(options.chunk, n_test), n_train});
  const std::int64_t* train_labels = train.labels.data<std::int64_t>();
  const std::int64_t* test_labels = test.labels.data<std::int64_t>();

  KnnResult result;
  result.images = n_test;
  result.predictions.assign(static_cast<std::size_t>(n_test), 0);
  for (std::int64_t start = 0; start < n_test; start += options.chunk) {
    const std::int64_t end = std::min(n_test, start + options.chunk);
    // sims[r, j] = <test_n[start + r], train_n[j]>: (rows, D) @ (N_train, D)^T
    float* s = sims.data<float>();
    cpu::gemm<float>(false, true, end - start, n_train, d, 1.0f, test_n.data<float>() + start * d, d,
                     train_n.data<float>(), d, 0.0f, s, n_train);
#pragma omp parallel
    {
      std::vector<Neighbour> heap;  // the k best so far; the worst of them at the front
      std::vector<double> scores(static_cast<std::size_t>(num_classes));
      heap.reserve(static_cast<std::size_t>(k));
#pragma omp for schedule(dynamic, 4)
      for (std::int64_t row = start; row < end; ++row) {
        const float* row_sims = s + (row - start) * n_train;
        heap.clear();
        for (std::int64_t j = 0; j < n_train; ++j) {
          const Neighbour candidate{row_sims[j], j};
          if (static_cast<std::int64_t>(heap.size()) < k) {
            heap.push_back(candidate);
            std::push_heap(heap.begin(), heap.end(), better);
          } else if (better(candidate, heap.front())) {
            std::pop_heap(heap.begin(), heap.end(), better);
            heap.back() = candidate;
            std::push_heap(heap.begin(), heap.end(), better);
          }
        }
        float best = heap.front().sim;
        for (const Neighbour& nb : heap) best = std::max(best, nb.sim);
        std::fill(scores.begin(), scores.end(), 0.0);
        for (const Neighbour& nb : heap) {
          scores[static_cast<std::size_t>(train_labels[nb.index])] +=
              std::exp((static_cast<double>(nb.sim) - best) * inv_t);
        }
        std::size_t predicted = 0;
        for (std::size_t c = 1; c < scores.size(); ++c) {
          if (scores[c] > scores[predicted]) predicted = c;
        }
        result.predictions[static_cast<std::size_t>(row)] = static_cast<std::int64_t>(predicted);
      }
    }
  }

  std::vector<std::int64_t> correct(static_cast<std::size_t>(num_classes), 0), seen(correct.size(), 0);
  std::int64_t total_correct = 0;
  for (std::int64_t i = 0; i < n_test; ++i) {
    const auto label = static_cast<std::size_t>(test_labels[i]);
    const bool right = result.predictions[static_cast<std::size_t>(i)] == test_labels[i];
    ++seen[label];
    correct[label] += right;
    total_correct += right;
  }
  for (std::size_t c = 0; c < correct.size(); ++c) {
    result.per_class.push_back(seen[c] ? 100.0 * static_cast<double>(correct[c]) / static_cast<double>(seen[c]) : 0.0);
  }
  result.top1 = 100.0 * static_cast<double>(total_correct) / static_cast<double>(n_test);
  return result;
}

}  // namespace nanossl::ssl
