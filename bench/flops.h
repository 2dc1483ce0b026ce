// The FLOPs of one training step, counted from the layer shapes, so a benchmark
// can state its throughput in GFLOP/s and as a fraction of the machine's peak
// (bench_peak). For a ResNet with the CIFAR stem (and SimCLR's projection head):
//
//   convolution, weight (K, C, R, S), output P x Q:  2·K·C·R·S·P·Q per image forward,
//     and as much again for each backward product: the weight gradient, and the
//     input gradient, which the stem's convolution (reading the images) skips;
//   Linear, weight (out, in):  2·out·in per row forward, likewise ×3 in training.
//
// The output size of a convolution follows from its name: the stem and layer1 run
// at the image size, layerL at image_size / 2^(L-1) (each later layer's first block
// halves it). Batch norm, ReLU, pooling, the loss and the optimizer are left out:
// they are element-wise, well under 1% of the FLOPs (and bound by memory, not FMA).
#pragma once
#include <cstdint>
#include <string>

#include "nn/module.h"

namespace nanossl::bench {

struct StepFlops {
  double forward = 0.0;  // per image (per view for SimCLR)
  double train = 0.0;    // forward + both backward products, per image (per view)
};

inline StepFlops resnet_cifar_flops(const nn::Module& model, std::int64_t image_size) {
  StepFlops flops;
  for (const auto& [name, weight] : model.named_parameters()) {
    if (name.size() < 7 || name.compare(name.size() - 7, 7, ".weight") != 0) continue;
    const Shape& shape = weight.shape();
    double forward = 0.0;
    bool reads_images = false;
    if (shape.size() == 4) {
      const auto layer = name.find("layer");
      std::int64_t size = image_size;
      if (layer != std::string::npos) size >>= (name[layer + 5] - '1');  // layerL: image_size / 2^(L-1)
      reads_images = layer == std::string::npos && name.find("conv1.weight") != std::string::npos;
      forward = 2.0 * static_cast<double>(shape[0] * shape[1] * shape[2] * shape[3] * size * size);
    } else if (shape.size() == 2) {
      forward = 2.0 * static_cast<double>(shape[0] * shape[1]);
    }
    flops.forward += forward;
    flops.train += forward * (reads_images ? 2.0 : 3.0);
  }
  return flops;
}

}  // namespace nanossl::bench
