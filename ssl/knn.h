// Weighted k-nearest-neighbour classification on frozen features, the monitor of
// InstDisc (Wu et al. 2018) and SimCLR: cosine similarity to every training
// feature, the k most similar vote with weight exp(similarity / T).
// See docs/evaluation.md.
#pragma once
#include <cstdint>
#include <vector>

#include "ssl/features.h"

namespace nanossl::ssl {

struct KnnOptions {
  std::int64_t k = 200;        // neighbours; clamped to the training set's size
  double temperature = 0.1;    // T in exp(sim / T)
  std::int64_t chunk = 1024;   // test rows per similarity block (memory: chunk x N_train floats)
};

struct KnnResult {
  double top1 = 0.0;                       // percent of test images predicted right
  std::vector<double> per_class;           // percent right per true class (0 where a class has no test image)
  std::int64_t images = 0;                 // test images classified
  std::vector<std::int64_t> predictions;   // predicted class of each test row
};

// For each test row t (features L2-normalised, as are the training ones):
//   s_j = <t, x_j> for every training row j;  N_k = the k largest s_j (ties: lower j)
//   score_c = sum over j in N_k with label c of exp((s_j - s_max) / T)
//   prediction = argmax_c score_c (ties: the lowest class)
// Subtracting s_max (the best similarity of the row) scales every score of the row
// by the same factor, so the vote is exp(s / T)'s, without overflow for small T.
// Everything runs on the CPU in f32 (similarities) and double (votes). Throws
// "[knn_classify] ..." for invalid feature sets, different D, labels outside
// [0, num_classes), k < 1, T not positive and finite, or chunk < 1.
KnnResult knn_classify(const FeatureSet& train, const FeatureSet& test, std::int64_t num_classes,
                       const KnnOptions& options = {});

}  // namespace nanossl::ssl
