// CIFAR-10 and CIFAR-100 in their binary distributions: fixed-size records of
// label byte(s) then 3072 pixel bytes (32x32 red plane, green, blue). CIFAR-10:
// data_batch_1..5.bin / test_batch.bin; CIFAR-100: train.bin / test.bin, whose
// records carry (coarse, fine) so the 100 -> 20 hierarchy comes from the data.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace nanossl::data {

constexpr int kCifarSide = 32;
constexpr std::size_t kCifarPixels = 3 * kCifarSide * kCifarSide;  // 3072

// Records parsed from one or more files, eagerly (at most about 180 MB).
struct CifarRecords {
  std::vector<std::uint8_t> pixels;        // count * 3072
  std::vector<std::uint8_t> fine_labels;   // count
  std::vector<std::uint8_t> coarse_labels; // count (CIFAR-100 only, else empty)
  std::int64_t count() const { return static_cast<std::int64_t>(fine_labels.size()); }
};

// Appends the records of one file's bytes to `records`. `label_bytes` is 1
// (CIFAR-10: fine) or 2 (CIFAR-100: coarse then fine); labels must be below
// `num_fine` / `num_coarse`. Every error names `source`.
void parse_cifar(const std::uint8_t* bytes, std::size_t size, const std::string& source, int label_bytes,
                 int num_fine, int num_coarse, CifarRecords& records);

class CifarDataset : public Dataset {
 public:
  CifarDataset(std::string name, CifarRecords records, LabelHierarchy hierarchy);
  std::string name() const override { return name_; }
  std::int64_t size() const override { return records_.count(); }
  Image image(std::int64_t index) const override;
  std::int64_t label(std::int64_t index) const override;
  const LabelHierarchy& hierarchy() const override { return hierarchy_; }
  int channels() const override { return 3; }
  int height() const override { return kCifarSide; }
  int width() const override { return kCifarSide; }

 private:
  std::string name_;
  CifarRecords records_;
  LabelHierarchy hierarchy_;
};

// `dir` holds the extracted cifar-10-batches-bin (names from batches.meta.txt when
// present, else "0".."9").
DatasetPtr open_cifar10(bool train, const std::string& dir);
// `dir` holds the extracted cifar-100-binary (names from fine_label_names.txt and
// coarse_label_names.txt when present). Every fine class must appear, always with
// the same coarse class.
DatasetPtr open_cifar100(bool train, const std::string& dir);

}  // namespace nanossl::data
