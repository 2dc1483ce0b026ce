// Image-folder datasets: scanning the class folders, the hierarchy file parser,
// optional up-front validation (skip_corrupt), and on-demand decoding with the
// requested channels and size.
#include "data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "data/codec.h"

namespace nanossl::data {

namespace fs = std::filesystem;

namespace {

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::runtime_error folder_error(const std::string& root, const std::string& what) {
  return std::runtime_error("[image_folder] " + root + ": " + what);
}

// Decodes `path` and applies the options' channels and size.
Image load(const std::string& path, const ImageFolderOptions& options) {
  const std::vector<std::uint8_t> bytes = read_file(path);
  Image image = decode_image(bytes.data(), bytes.size(), path);
  if (options.channels != 0) image = with_channels(image, options.channels);
  if (options.height != 0 && (image.height != options.height || image.width != options.width)) {
    image = to_bytes(resize_bilinear(to_float(image), options.height, options.width));
  }
  return image;
}

}  // namespace

LabelHierarchy read_hierarchy_file(const std::string& path, const std::vector<std::string>& fine_names) {
  const std::vector<std::uint8_t> bytes = read_file(path);
  std::map<std::string, std::int64_t> fine_index;
  for (std::size_t i = 0; i < fine_names.size(); ++i) fine_index[fine_names[i]] = static_cast<std::int64_t>(i);
  std::vector<std::string> coarse_of(fine_names.size());
  std::vector<int> line_of(fine_names.size(), 0);
  std::istringstream text(std::string(bytes.begin(), bytes.end()));
  std::string line;
  int number = 0;
  while (std::getline(text, line)) {
    ++number;
    const std::string where = "[hierarchy] " + path + " line " + std::to_string(number) + ": ";
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields(line);
    std::string fine, coarse, extra;
    if (!(fields >> fine) || fine[0] == '#') continue;  // blank line or comment
    if (!(fields >> coarse)) throw std::runtime_error(where + "expected 'fine_class coarse_class', found '" + line + "'");
    if (fields >> extra) throw std::runtime_error(where + "unexpected third field '" + extra + "'");
    const auto found = fine_index.find(fine);
    if (found == fine_index.end()) throw std::runtime_error(where + "unknown class '" + fine + "'");
    const auto f = static_cast<std::size_t>(found->second);
    if (line_of[f] != 0) {
      throw std::runtime_error(where + "duplicate entry for class '" + fine + "' (first on line " +
                               std::to_string(line_of[f]) + ")");
    }
    line_of[f] = number;
    coarse_of[f] = coarse;
  }
  for (std::size_t f = 0; f < fine_names.size(); ++f) {
    if (line_of[f] == 0) throw std::runtime_error("[hierarchy] " + path + ": missing entry for class '" + fine_names[f] + "'");
  }
  const std::set<std::string> coarse_set(coarse_of.begin(), coarse_of.end());
  LabelHierarchy h;
  h.fine_names = fine_names;
  LabelLevel level{"coarse", {coarse_set.begin(), coarse_set.end()}, {}};
  for (const std::string& coarse : coarse_of) {
    level.of_fine.push_back(std::distance(coarse_set.begin(), coarse_set.find(coarse)));
  }
  h.levels = {level};
  return h;
}

ImageFolderDataset::ImageFolderDataset(const std::string& root, ImageFolderOptions options)
    : root_(root), options_(std::move(options)) {
  name_ = options_.name.empty() ? "folder:" + root : options_.name;
  if (options_.channels != 0 && options_.channels != 1 && options_.channels != 3) {
    throw folder_error(root, "channels must be 0 (keep), 1 or 3, not " + std::to_string(options_.channels));
  }
  if ((options_.height == 0) != (options_.width == 0) || options_.height < 0 || options_.width < 0 ||
      options_.height > kMaxImageSide || options_.width > kMaxImageSide) {
    throw folder_error(root, "invalid output size " + std::to_string(options_.height) + "x" +
                                 std::to_string(options_.width));
  }
  std::error_code error;
  if (!fs::is_directory(root, error)) throw folder_error(root, "not a directory (or missing)");
  std::vector<std::string> classes;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, error)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name[0] != '.') classes.push_back(name);  // skip hidden folders
  }
  if (error) throw folder_error(root, "cannot list: " + error.message());
  std::sort(classes.begin(), classes.end());
  if (classes.empty()) throw folder_error(root, "no class sub-folders (expected ROOT/CLASS/*.png|jpg|jpeg)");

  for (std::size_t c = 0; c < classes.size(); ++c) {
    const fs::path folder = fs::path(root) / classes[c];
    std::vector<std::string> paths;
    for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
      if (entry.is_regular_file() && is_image_file(entry.path())) paths.push_back(entry.path().string());
    }
    if (error) throw folder_error(root, "cannot list " + folder.string() + ": " + error.message());
    std::sort(paths.begin(), paths.end());
    if (paths.empty()) throw folder_error(root, "class folder '" + classes[c] + "' holds no .png/.jpg/.jpeg images");
    std::size_t kept = 0;
    for (const std::string& path : paths) {
      if (options_.skip_corrupt) {
        try {
          load(path, options_);
        } catch (const std::exception& e) {
          skipped_.push_back({path, e.what()});
          continue;
        }
      }
      files_.push_back(path);
      labels_.push_back(static_cast<std::int64_t>(c));
      ++kept;
    }
    if (kept == 0) {
      throw folder_error(root, "class folder '" + classes[c] + "' holds no readable image (all " +
                                   std::to_string(paths.size()) + " skipped as corrupt)");
    }
  }
  if (options_.hierarchy_file.empty()) {
    hierarchy_.fine_names = classes;
  } else {
    hierarchy_ = read_hierarchy_file(options_.hierarchy_file, classes);
  }
  hierarchy_.validate("image_folder " + name_);
}

const std::string& ImageFolderDataset::path(std::int64_t index) const {
  check_index(*this, index);
  return files_[static_cast<std::size_t>(index)];
}

Image ImageFolderDataset::image(std::int64_t index) const { return load(path(index), options_); }

std::int64_t ImageFolderDataset::label(std::int64_t index) const {
  check_index(*this, index);
  return labels_[static_cast<std::size_t>(index)];
}

}  // namespace nanossl::data
