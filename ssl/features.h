// Frozen features for evaluation: run an encoder once over a dataset (eval-mode
// BN, no gradients, no augmentation) and keep the pooled pre-fc features with their
// labels, so a linear probe or a kNN classifier can be trained on them many times.
// See docs/evaluation.md.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "data/dataset.h"
#include "nn/resnet.h"
#include "tensor/tensor.h"

namespace nanossl::ssl {

struct FeatureSet {
  Tensor features;  // f32 (N, D) on the CPU; row i is dataset image i
  Tensor labels;    // i64 (N) fine labels
};

// Runs encoder.features() over every image of `dataset` in index order (no
// augmentation, images at the dataset's size, converted to the encoder's input
// channels), in evaluation mode under NoGradGuard, on `device` (where the encoder
// must already live). Restores the encoder's train/eval mode; its parameters and
// buffers are not touched. Throws "[extract_features] ..." for a null or empty
// dataset, images of varying size, or batch_size < 1. `on_batch`, when set, is told
// the images of each batch as it is done (a caller's progress line).
FeatureSet extract_features(nn::ResNet& encoder, data::DatasetPtr dataset, Device device,
                            std::int64_t batch_size = 256, int workers = 1,
                            const std::function<void(std::int64_t images)>& on_batch = {});

// The features of two encoders side by side: (N, Da) and (N, Db) -> (N, Da + Db),
// a's columns first. Throws "[concat_features] ..." unless both are valid feature
// sets with the same N and identical labels.
FeatureSet concat_features(const FeatureSet& a, const FeatureSet& b);

// Caches a feature set as safetensors ("features" f32 (N, D), "labels" i64 (N)),
// written atomically, and reads it back (validated with check_features).
void save_features(const std::string& path, const FeatureSet& set);
FeatureSet load_features(const std::string& path);

// Throws "[op] <which> ..." unless `set` holds f32 (N, D) CPU features with N >= 1
// and D >= 1 and i64 (N) CPU labels, all in [0, num_classes) when num_classes > 0.
void check_features(const FeatureSet& set, const char* op, const std::string& which,
                    std::int64_t num_classes = 0);

}  // namespace nanossl::ssl
