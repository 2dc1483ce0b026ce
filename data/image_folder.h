// Image folders: root/CLASS/*.png|jpg|jpeg, one sub-folder per class (classes and
// files sorted by name, so the order is deterministic), an optional fine -> coarse
// hierarchy file, images decoded on demand, optionally resized and recoloured.
#pragma once
#include <string>
#include <vector>

#include "data/dataset.h"

namespace nanossl::data {

struct ImageFolderOptions {
  int height = 0, width = 0;  // 0: keep each image's own size; else bilinear resize
  int channels = 0;           // 0: keep each image's own channels; else 1 or 3
  // Lines "fine_class coarse_class"; empty: no coarse level.
  std::string hierarchy_file;
  // Decode every file up front and drop the ones that fail (see skipped()); by
  // default a corrupt file makes image() throw, naming it.
  bool skip_corrupt = false;
  std::string name;  // the dataset's name; empty: "folder:ROOT"
};

struct SkippedFile {
  std::string path;
  std::string reason;  // the decoder's error
};

class ImageFolderDataset : public Dataset {
 public:
  ImageFolderDataset(const std::string& root, ImageFolderOptions options = {});

  std::string name() const override { return name_; }
  std::int64_t size() const override { return static_cast<std::int64_t>(files_.size()); }
  Image image(std::int64_t index) const override;  // thread-safe: reads and decodes the file
  std::int64_t label(std::int64_t index) const override;
  const LabelHierarchy& hierarchy() const override { return hierarchy_; }
  int channels() const override { return options_.channels; }
  int height() const override { return options_.height; }
  int width() const override { return options_.width; }

  const std::string& path(std::int64_t index) const;
  // Files dropped by skip_corrupt, in path order.
  const std::vector<SkippedFile>& skipped() const { return skipped_; }

 private:
  std::string root_, name_;
  ImageFolderOptions options_;
  LabelHierarchy hierarchy_;
  std::vector<std::string> files_;
  std::vector<std::int64_t> labels_;
  std::vector<SkippedFile> skipped_;
};

// Reads a hierarchy file for `fine_names`; every fine class needs exactly one line.
LabelHierarchy read_hierarchy_file(const std::string& path, const std::vector<std::string>& fine_names);

}  // namespace nanossl::data
