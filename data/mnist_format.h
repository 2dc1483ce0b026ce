// Datasets in the MNIST format: a pair of IDX files (u8 images N x rows x cols,
// u8 labels N), held in memory, optionally zero-padded (centred) to a larger
// square. Fashion-MNIST, padded 28 -> 32, with its 10 -> 5 garment hierarchy.
#pragma once
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/idx.h"

namespace nanossl::data {

class IdxDataset : public Dataset {
 public:
  // `images` (N, rows, cols) and `labels` (N) from `images_source` and
  // `labels_source`; every label must be < hierarchy.num_fine(). `pad_size` 0
  // keeps the native size, otherwise images are padded to pad_size x pad_size.
  IdxDataset(std::string name, IdxArray images, IdxArray labels, LabelHierarchy hierarchy, int pad_size,
             const std::string& images_source, const std::string& labels_source);

  std::string name() const override { return name_; }
  std::int64_t size() const override { return count_; }
  Image image(std::int64_t index) const override;
  std::int64_t label(std::int64_t index) const override;
  const LabelHierarchy& hierarchy() const override { return hierarchy_; }
  int channels() const override { return 1; }
  int height() const override { return out_height_; }
  int width() const override { return out_width_; }

 private:
  std::string name_;
  IdxArray images_, labels_;
  LabelHierarchy hierarchy_;
  std::int64_t count_ = 0;
  int rows_ = 0, cols_ = 0, out_height_ = 0, out_width_ = 0;
};

// Any MNIST-format pair. Without `names`, the classes are "0" .. max label.
DatasetPtr open_mnist_format(const std::string& images_path, const std::string& labels_path,
                             std::vector<std::string> names = {}, int pad_size = 0);

// Fashion-MNIST from Debian's dataset-fashion-mnist: 60000 train / 10000 test
// images, padded to 1 x 32 x 32, 10 garments over 5 coarse classes.
DatasetPtr open_fashion_mnist(bool train, const std::string& dir = "/usr/share/datasets/fashion-mnist");
LabelHierarchy fashion_mnist_hierarchy();

}  // namespace nanossl::data
