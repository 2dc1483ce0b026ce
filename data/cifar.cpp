// CIFAR binary readers: record-length and label-range checks per file, class
// names from the optional text files, and CIFAR-100's fine -> coarse map built
// from the records and checked for consistency.
#include "data/cifar.h"

#include <sys/stat.h>

#include <memory>
#include <stdexcept>

#include "data/codec.h"

namespace nanossl::data {

void parse_cifar(const std::uint8_t* bytes, std::size_t size, const std::string& source, int label_bytes,
                 int num_fine, int num_coarse, CifarRecords& records) {
  if (label_bytes != 1 && label_bytes != 2) {
    throw std::invalid_argument("[cifar] " + source + ": records carry 1 or 2 label bytes, not " +
                                std::to_string(label_bytes));
  }
  const std::size_t record = static_cast<std::size_t>(label_bytes) + kCifarPixels;
  if (size == 0) throw std::runtime_error("[cifar] " + source + ": empty file, no records");
  if (size % record != 0) {
    throw std::runtime_error("[cifar] " + source + ": truncated: " + std::to_string(size) +
                             " bytes is not a whole number of " + std::to_string(record) + "-byte records");
  }
  const std::size_t count = size / record;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* r = bytes + i * record;
    const int fine = r[label_bytes - 1];
    if (fine >= num_fine) {
      throw std::runtime_error("[cifar] " + source + ": record " + std::to_string(i) + " has " +
                               (label_bytes == 2 ? "fine " : "") + "label " + std::to_string(fine) +
                               ", outside [0, " + std::to_string(num_fine) + ")");
    }
    if (label_bytes == 2 && r[0] >= num_coarse) {
      throw std::runtime_error("[cifar] " + source + ": record " + std::to_string(i) + " has coarse label " +
                               std::to_string(r[0]) + ", outside [0, " + std::to_string(num_coarse) + ")");
    }
  }
  records.pixels.reserve(records.pixels.size() + count * kCifarPixels);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* r = bytes + i * record;
    if (label_bytes == 2) records.coarse_labels.push_back(r[0]);
    records.fine_labels.push_back(r[label_bytes - 1]);
    records.pixels.insert(records.pixels.end(), r + label_bytes, r + record);
  }
}

CifarDataset::CifarDataset(std::string name, CifarRecords records, LabelHierarchy hierarchy)
    : name_(std::move(name)), records_(std::move(records)), hierarchy_(std::move(hierarchy)) {
  hierarchy_.validate("cifar " + name_);
  if (records_.pixels.size() != static_cast<std::size_t>(records_.count()) * kCifarPixels) {
    throw std::invalid_argument("[cifar] " + name_ + ": pixel and label counts disagree");
  }
}

Image CifarDataset::image(std::int64_t index) const {
  check_index(*this, index);
  Image image{3, kCifarSide, kCifarSide, {}};
  const auto first = records_.pixels.begin() + static_cast<std::ptrdiff_t>(index * kCifarPixels);
  image.pixels.assign(first, first + static_cast<std::ptrdiff_t>(kCifarPixels));
  return image;
}

std::int64_t CifarDataset::label(std::int64_t index) const {
  check_index(*this, index);
  return records_.fine_labels[static_cast<std::size_t>(index)];
}

namespace {

bool exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

// Non-empty lines of a names file (trailing spaces and CR trimmed); exactly `count`
// of them, or the file's absence (then the names are "0", "1", ...).
std::vector<std::string> read_names(const std::string& path, int count) {
  std::vector<std::string> names;
  if (!exists(path)) {
    for (int i = 0; i < count; ++i) names.push_back(std::to_string(i));
    return names;
  }
  const std::vector<std::uint8_t> bytes = read_file(path);
  std::string line;
  auto finish = [&] {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) names.push_back(line);
    line.clear();
  };
  for (std::uint8_t b : bytes) {
    if (b == '\n') finish();
    else line += static_cast<char>(b);
  }
  finish();
  if (static_cast<int>(names.size()) != count) {
    throw std::runtime_error("[cifar] " + path + ": expected " + std::to_string(count) + " class names, found " +
                             std::to_string(names.size()));
  }
  return names;
}

void read_records(const std::vector<std::string>& paths, int label_bytes, int num_fine, int num_coarse,
                  const std::string& install_hint, CifarRecords& records) {
  for (const std::string& path : paths) {
    if (!exists(path)) throw std::runtime_error("[cifar] " + path + " is missing: " + install_hint);
    const std::vector<std::uint8_t> bytes = read_file(path);
    parse_cifar(bytes.data(), bytes.size(), path, label_bytes, num_fine, num_coarse, records);
  }
}

}  // namespace

DatasetPtr open_cifar10(bool train, const std::string& dir) {
  std::vector<std::string> paths;
  if (train) {
    for (int b = 1; b <= 5; ++b) paths.push_back(dir + "/data_batch_" + std::to_string(b) + ".bin");
  } else {
    paths.push_back(dir + "/test_batch.bin");
  }
  CifarRecords records;
  read_records(paths, 1, 10, 0, "expected the extracted cifar-10-batches-bin directory", records);
  LabelHierarchy hierarchy;
  hierarchy.fine_names = read_names(dir + "/batches.meta.txt", 10);
  return std::make_shared<CifarDataset>(train ? "cifar10/train" : "cifar10/test", std::move(records),
                                        std::move(hierarchy));
}

DatasetPtr open_cifar100(bool train, const std::string& dir) {
  const std::string path = dir + (train ? "/train.bin" : "/test.bin");
  CifarRecords records;
  read_records({path}, 2, 100, 20, "expected the extracted cifar-100-binary directory", records);
  LabelHierarchy hierarchy;
  hierarchy.fine_names = read_names(dir + "/fine_label_names.txt", 100);
  LabelLevel coarse_level{"coarse", read_names(dir + "/coarse_label_names.txt", 20), std::vector<std::int64_t>(100, -1)};
  for (std::int64_t i = 0; i < records.count(); ++i) {
    const int fine = records.fine_labels[i], coarse = records.coarse_labels[i];
    std::int64_t& mapped = coarse_level.of_fine[fine];
    if (mapped >= 0 && mapped != coarse) {
      throw std::runtime_error("[cifar] " + path + ": inconsistent hierarchy: fine class " + std::to_string(fine) +
                               " appears with coarse class " + std::to_string(mapped) + " and, in record " +
                               std::to_string(i) + ", with coarse class " + std::to_string(coarse));
    }
    mapped = coarse;
  }
  for (int fine = 0; fine < 100; ++fine) {
    if (coarse_level.of_fine[fine] < 0) {
      throw std::runtime_error("[cifar] " + path + ": fine class " + std::to_string(fine) +
                               " never appears, so its coarse class is unknown");
    }
  }
  hierarchy.levels = {std::move(coarse_level)};
  return std::make_shared<CifarDataset>(train ? "cifar100/train" : "cifar100/test", std::move(records),
                                        std::move(hierarchy));
}

}  // namespace nanossl::data
