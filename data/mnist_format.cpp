// MNIST-format datasets: checks that the image and label files agree, then serves
// images (padded on request) from memory. Fashion-MNIST adds its names, its coarse
// hierarchy and an error that says which package provides the files.
#include "data/mnist_format.h"

#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "data/codec.h"

namespace nanossl::data {

IdxDataset::IdxDataset(std::string name, IdxArray images, IdxArray labels, LabelHierarchy hierarchy, int pad_size,
                       const std::string& images_source, const std::string& labels_source)
    : name_(std::move(name)), images_(std::move(images)), labels_(std::move(labels)), hierarchy_(std::move(hierarchy)) {
  if (images_.dims.size() != 3) {
    throw std::invalid_argument("[mnist] " + images_source + ": images need 3 dimensions (N, rows, cols), found " +
                                std::to_string(images_.dims.size()));
  }
  if (labels_.dims.size() != 1) {
    throw std::invalid_argument("[mnist] " + labels_source + ": labels need 1 dimension (N), found " +
                                std::to_string(labels_.dims.size()));
  }
  if (images_.dims[0] != labels_.dims[0]) {
    throw std::invalid_argument("[mnist] " + images_source + " holds " + std::to_string(images_.dims[0]) +
                                " images but " + labels_source + " holds " + std::to_string(labels_.dims[0]) +
                                " labels");
  }
  if (images_.dims[1] > kMaxImageSide || images_.dims[2] > kMaxImageSide) {
    throw std::invalid_argument("[mnist] " + images_source + ": absurd image size " + std::to_string(images_.dims[1]) +
                                "x" + std::to_string(images_.dims[2]));
  }
  if (hierarchy_.num_fine() <= 0) throw std::invalid_argument("[mnist] " + name_ + ": no class names");
  hierarchy_.validate("mnist " + name_);
  count_ = images_.dims[0];
  rows_ = static_cast<int>(images_.dims[1]);
  cols_ = static_cast<int>(images_.dims[2]);
  for (std::int64_t i = 0; i < count_; ++i) {
    if (labels_.data[i] >= hierarchy_.num_fine()) {
      throw std::invalid_argument("[mnist] " + labels_source + ": label " + std::to_string(labels_.data[i]) +
                                  " of image " + std::to_string(i) + " is outside [0, " +
                                  std::to_string(hierarchy_.num_fine()) + ")");
    }
  }
  if (pad_size < 0 || (pad_size > 0 && (pad_size < rows_ || pad_size < cols_ || pad_size > kMaxImageSide))) {
    throw std::invalid_argument("[mnist] " + name_ + ": cannot pad " + std::to_string(rows_) + "x" +
                                std::to_string(cols_) + " images to " + std::to_string(pad_size));
  }
  out_height_ = pad_size > 0 ? pad_size : rows_;
  out_width_ = pad_size > 0 ? pad_size : cols_;
}

Image IdxDataset::image(std::int64_t index) const {
  check_index(*this, index);
  const std::size_t plane = static_cast<std::size_t>(rows_) * cols_;
  Image native{1, rows_, cols_, {}};
  const auto first = images_.data.begin() + static_cast<std::ptrdiff_t>(index * plane);
  native.pixels.assign(first, first + static_cast<std::ptrdiff_t>(plane));
  if (out_height_ == rows_ && out_width_ == cols_) return native;
  return pad_to(native, out_height_, out_width_);
}

std::int64_t IdxDataset::label(std::int64_t index) const {
  check_index(*this, index);
  return labels_.data[static_cast<std::size_t>(index)];
}

namespace {

std::string base_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

DatasetPtr open_mnist_format(const std::string& images_path, const std::string& labels_path,
                             std::vector<std::string> names, int pad_size) {
  IdxArray images = read_idx(images_path, 3);
  IdxArray labels = read_idx(labels_path, 1);
  LabelHierarchy hierarchy;
  if (names.empty()) {
    const int top = labels.data.empty() ? 0 : *std::max_element(labels.data.begin(), labels.data.end());
    for (int c = 0; c <= top; ++c) hierarchy.fine_names.push_back(std::to_string(c));
  } else {
    hierarchy.fine_names = std::move(names);
  }
  return std::make_shared<IdxDataset>(base_name(images_path), std::move(images), std::move(labels),
                                      std::move(hierarchy), pad_size, images_path, labels_path);
}

LabelHierarchy fashion_mnist_hierarchy() {
  LabelHierarchy h;
  h.fine_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                  "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  h.levels = {{"coarse", {"tops", "trousers", "dress", "footwear", "bag"}, {0, 1, 0, 2, 0, 3, 0, 3, 4, 3}}};
  return h;
}

DatasetPtr open_fashion_mnist(bool train, const std::string& dir) {
  const std::string prefix = dir + "/" + (train ? "train" : "t10k");
  const std::string images_path = prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = prefix + "-labels-idx1-ubyte.gz";
  for (const std::string& path : {images_path, labels_path}) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      throw std::runtime_error("[fashion] " + path +
                               " is missing: install Fashion-MNIST with `apt-get install dataset-fashion-mnist` "
                               "(or pass the directory that holds the four .gz files)");
    }
  }
  IdxArray images = read_idx(images_path, 3);
  IdxArray labels = read_idx(labels_path, 1);
  return std::make_shared<IdxDataset>(train ? "fashion/train" : "fashion/test", std::move(images), std::move(labels),
                                      fashion_mnist_hierarchy(), 32, images_path, labels_path);
}

}  // namespace nanossl::data
