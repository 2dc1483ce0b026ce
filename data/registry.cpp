// open_dataset: one place that turns a dataset name into a Dataset.
#include "data/registry.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "data/cifar.h"
#include "data/glyphs.h"
#include "data/image_folder.h"
#include "data/mnist_format.h"
#include "data/shapes.h"

namespace nanossl::data {
namespace {

namespace fs = std::filesystem;

// Procedural datasets draw their test split from a different seed than train,
// so the two never share an image.
constexpr std::uint64_t kProceduralTrainSeed = 1, kProceduralTestSeed = 2;

std::int64_t procedural_size(const std::string& spec, const std::string& prefix, Split split) {
  if (spec == prefix) return split == Split::train ? 60000 : 10000;
  const std::string count = spec.substr(prefix.size() + 1);
  std::size_t used = 0;
  long long n = -1;
  try {
    n = std::stoll(count, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != count.size() || n <= 0) {
    throw std::invalid_argument("[dataset] '" + spec + "': expected " + prefix + ":N with N > 0");
  }
  return n;
}

// "DIR/name" or "DIR/name.gz", whichever exists.
std::string idx_file(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {dir + "/" + name, dir + "/" + name + ".gz"}) {
    if (fs::exists(candidate)) return candidate;
  }
  throw std::runtime_error("[dataset mnist:" + dir + "] missing " + name + " (or " + name + ".gz)");
}

// "DIR[?OPTION[&OPTION]]" with options skip_corrupt (files that fail to decode are
// dropped up front, and counted, instead of failing the run) and size=N (every
// image resized to N x N, so batches of photos of any size can be formed).
DatasetPtr open_folder(const std::string& spec, Split split) {
  const std::size_t question = spec.find('?');
  const std::string dir = spec.substr(0, question);
  const std::string options_text = question == std::string::npos ? "" : spec.substr(question + 1);
  bool skip_corrupt = false;
  int size = 0;
  for (std::size_t start = 0; start < options_text.size();) {
    const std::size_t end = std::min(options_text.find('&', start), options_text.size());
    const std::string option = options_text.substr(start, end - start);
    start = end + 1;
    if (option == "skip_corrupt") {
      skip_corrupt = true;
    } else if (option.rfind("size=", 0) == 0 && option.size() > 5 &&
               option.find_first_not_of("0123456789", 5) == std::string::npos && std::stoi(option.substr(5)) > 0 &&
               std::stoi(option.substr(5)) <= 4096) {
      size = std::stoi(option.substr(5));
    } else {
      throw std::invalid_argument("[dataset folder:" + spec + "] unknown option '" + option +
                                  "' (known: skip_corrupt, size=N with 1 <= N <= 4096)");
    }
  }
  const fs::path root(dir);
  if (!fs::is_directory(root)) throw std::runtime_error("[dataset folder:" + dir + "] no such directory");
  fs::path chosen = root;
  ImageFolderOptions options;
  options.name = "folder:" + dir;
  if (fs::is_directory(root / "train") && fs::is_directory(root / "test")) {
    chosen = root / split_name(split);
    options.name += std::string("/") + split_name(split);
  }
  if (fs::exists(root / "hierarchy.txt")) options.hierarchy_file = (root / "hierarchy.txt").string();
  options.skip_corrupt = skip_corrupt;
  options.height = options.width = size;
  return std::make_shared<ImageFolderDataset>(chosen.string(), options);
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

Split parse_split(const std::string& text) {
  if (text == "train") return Split::train;
  if (text == "test") return Split::test;
  throw std::invalid_argument("[dataset] split must be train or test, got '" + text + "'");
}

const char* split_name(Split split) { return split == Split::train ? "train" : "test"; }

DatasetPtr open_dataset(const std::string& spec, Split split) {
  const bool train = split == Split::train;
  const std::uint64_t seed = train ? kProceduralTrainSeed : kProceduralTestSeed;
  if (spec == "fashion") return open_fashion_mnist(train);
  if (spec == "glyphs" || starts_with(spec, "glyphs:")) {
    return std::make_shared<GlyphsDataset>(procedural_size(spec, "glyphs", split), seed);
  }
  if (spec == "shapes" || starts_with(spec, "shapes:")) {
    return std::make_shared<ShapesDataset>(procedural_size(spec, "shapes", split), seed);
  }
  if (starts_with(spec, "cifar10:")) return open_cifar10(train, spec.substr(8));
  if (starts_with(spec, "cifar100:")) return open_cifar100(train, spec.substr(9));
  if (starts_with(spec, "mnist:")) {
    const std::string dir = spec.substr(6), prefix = train ? "train" : "t10k";
    return open_mnist_format(idx_file(dir, prefix + "-images-idx3-ubyte"), idx_file(dir, prefix + "-labels-idx1-ubyte"));
  }
  if (starts_with(spec, "folder:")) return open_folder(spec.substr(7), split);
  throw std::invalid_argument("[dataset] unknown dataset '" + spec +
                              "': expected fashion, glyphs[:N], shapes[:N], cifar10:DIR, cifar100:DIR, "
                              "mnist:DIR or folder:DIR");
}

std::vector<BuiltinDataset> builtin_datasets() {
  std::vector<BuiltinDataset> list;
  BuiltinDataset fashion{"fashion", "Fashion-MNIST, 60000/10000 images 1x32x32, 10 garments -> 5 groups", false, ""};
  try {
    open_fashion_mnist(false);
    fashion.present = true;
  } catch (const std::exception& e) {
    fashion.missing = e.what();
  }
  list.push_back(fashion);
  BuiltinDataset glyphs{"glyphs", "procedural characters from system fonts, 62 classes -> digit/upper/lower", false, ""};
  try {
    GlyphsDataset probe(1, 1);
    glyphs.present = true;
  } catch (const std::exception& e) {
    glyphs.missing = e.what();
  }
  list.push_back(glyphs);
  list.push_back({"shapes", "procedural textured shapes on noisy backgrounds, shape x texture -> shape", true, ""});
  return list;
}

}  // namespace nanossl::data
