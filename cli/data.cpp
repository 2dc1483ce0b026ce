// `nanossl data`: look at datasets before training on them.
//   list              the built-in datasets, present or not (with the apt command)
//   stats DATASET     images per class at every level of the hierarchy
//   inspect FILE      what an image or dataset file is, or why it cannot be read
//   preview DATASET   PNG grids: samples, each corruption, SimCLR view pairs
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "data/augment.h"
#include "data/codec.h"
#include "data/corrupt.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "data/keyed_random.h"
#include "data/registry.h"
#include "commands/commands.h"

namespace nanossl {
namespace {

using namespace nanossl::data;

// Tiles same-sized images into rows of `columns`, with a 2-pixel gray gutter.
Image make_grid(const std::vector<Image>& tiles, int columns) {
  if (tiles.empty()) throw std::invalid_argument("[preview] nothing to draw");
  const int c = tiles[0].channels, h = tiles[0].height, w = tiles[0].width, gap = 2;
  const int rows = (static_cast<int>(tiles.size()) + columns - 1) / columns;
  Image grid = make_image(c, rows * (h + gap) + gap, columns * (w + gap) + gap, 128);
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const Image tile = with_channels(tiles[i], c);
    const int top = gap + static_cast<int>(i) / columns * (h + gap);
    const int left = gap + static_cast<int>(i) % columns * (w + gap);
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < h && y < tile.height; ++y)
        for (int x = 0; x < w && x < tile.width; ++x) grid.at(ch, top + y, left + x) = tile.at(ch, y, x);
  }
  return grid;
}

// Enlarges by an integer factor (nearest neighbour), so 32-pixel tiles are visible.
Image enlarge(const Image& image, int factor) {
  Image out = make_image(image.channels, image.height * factor, image.width * factor);
  for (int c = 0; c < image.channels; ++c)
    for (int y = 0; y < out.height; ++y)
      for (int x = 0; x < out.width; ++x) out.at(c, y, x) = image.at(c, y / factor, x / factor);
  return out;
}

void write_png(const std::string& path, const Image& image) {
  write_file(path, encode_png(enlarge(image, 3)));
  std::printf("wrote %s\n", path.c_str());
}

std::string describe_image(const Image& image) {
  return std::to_string(image.channels) + " channel(s), " + std::to_string(image.width) + "x" +
         std::to_string(image.height);
}

}  // namespace

int run_data_list() {
  for (const BuiltinDataset& d : builtin_datasets()) {
    std::printf("%-8s %-8s %s\n", d.name.c_str(), d.present ? "present" : "MISSING", d.description.c_str());
    if (!d.present) std::printf("         %s\n", d.missing.c_str());
  }
  std::printf("user data: cifar10:DIR, cifar100:DIR, mnist:DIR, folder:DIR (see data/registry.h)\n");
  return 0;
}

int run_data_stats(const DataOptions& options) {
  DatasetPtr dataset = open_dataset(options.dataset, parse_split(options.split));
  const LabelHierarchy& h = dataset->hierarchy();
  std::vector<std::int64_t> fine(static_cast<std::size_t>(h.num_fine()), 0);
  for (std::int64_t i = 0; i < dataset->size(); ++i) ++fine[static_cast<std::size_t>(dataset->label(i))];
  std::printf("%s: %lld images", dataset->name().c_str(), static_cast<long long>(dataset->size()));
  if (dataset->channels() > 0) {
    std::printf(", %dx%dx%d", dataset->channels(), dataset->height(), dataset->width());
  }
  if (const auto* folder = dynamic_cast<const ImageFolderDataset*>(dataset.get())) {
    std::printf(", %zu undecodable file(s) skipped", folder->skipped().size());
    for (const SkippedFile& skipped : folder->skipped()) std::printf("\n  skipped %s: %s", skipped.path.c_str(), skipped.reason.c_str());
  }
  std::printf("\nfine classes (%lld):\n", static_cast<long long>(h.num_fine()));
  for (std::size_t k = 0; k < fine.size(); ++k) std::printf("  %-16s %lld\n", h.fine_names[k].c_str(), static_cast<long long>(fine[k]));
  for (const LabelLevel& level : h.levels) {  // coarsest first
    std::vector<std::int64_t> count(static_cast<std::size_t>(level.num_classes()), 0);
    for (std::size_t k = 0; k < fine.size(); ++k) count[static_cast<std::size_t>(level.of_fine[k])] += fine[k];
    std::printf("%s classes (%lld):\n", level.name.c_str(), static_cast<long long>(level.num_classes()));
    for (std::size_t k = 0; k < count.size(); ++k) {
      std::printf("  %-16s %lld\n", level.class_names[k].c_str(), static_cast<long long>(count[k]));
    }
  }
  return 0;
}

int run_data_inspect(const DataOptions& options) {
  const std::string& path = options.file;
  const std::vector<std::uint8_t> bytes = read_file(path);
  const ImageFormat format = sniff_format(bytes.data(), bytes.size());
  if (format != ImageFormat::unknown) {
    const Image image = decode_image(bytes.data(), bytes.size(), path);
    std::printf("%s: %s image, %s\n", path.c_str(), format == ImageFormat::png ? "PNG" : "JPEG", describe_image(image).c_str());
    return 0;
  }
  const bool gzip = bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
  const bool idx_magic = bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08;
  if (gzip || idx_magic) {
    const std::vector<std::int64_t> shape = check_idx(bytes.data(), bytes.size(), path);
    std::string dims;
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (i > 0) dims += 'x';
      dims += std::to_string(shape[i]);
    }
    std::printf("%s: IDX%s array of u8, %s\n", path.c_str(), gzip ? " (gzipped)" : "", dims.c_str());
    return 0;
  }
  if (!bytes.empty() && bytes.size() % 3073 == 0) {
    std::printf("%s: CIFAR-10 binary, %zu records of 1 label + 3x32x32 pixels\n", path.c_str(), bytes.size() / 3073);
    return 0;
  }
  if (!bytes.empty() && bytes.size() % 3074 == 0) {
    std::printf("%s: CIFAR-100 binary, %zu records of 2 labels + 3x32x32 pixels\n", path.c_str(), bytes.size() / 3074);
    return 0;
  }
  throw std::runtime_error("[inspect] " + path + ": not a PNG, JPEG, IDX or CIFAR binary file (" +
                           std::to_string(bytes.size()) + " bytes)");
}

int run_data_preview(const DataOptions& options) {
  DatasetPtr dataset = open_dataset(options.dataset, parse_split(options.split));
  std::filesystem::create_directories(options.out);
  const int count = static_cast<int>(std::min<std::int64_t>(options.count, dataset->size()));
  const int columns = 8;
  std::vector<Image> samples;
  for (int i = 0; i < count; ++i) samples.push_back(dataset->image(i));
  write_png(options.out + "/samples.png", make_grid(samples, columns));

  // One row per corruption of the quality study, the clean images on top.
  std::vector<Image> corrupted(samples.begin(), samples.begin() + std::min(count, columns));
  for (const CorruptionSpec& spec : quality_study_corruptions()) {
    for (int i = 0; i < std::min(count, columns); ++i) {
      KeyedRandom random(options.seed, kPurposeCorrupt, 0, static_cast<std::uint64_t>(i));
      corrupted.push_back(corrupt(samples[static_cast<std::size_t>(i)], spec, random));
    }
    std::printf("corruption row %zu: %s\n", corrupted.size() / columns - 1, to_string(spec).c_str());
  }
  write_png(options.out + "/corrupted.png", make_grid(corrupted, columns));

  // Pairs of SimCLR views: the original, then view 0 and view 1, side by side.
  std::vector<Image> views;
  const SimclrAugmentConfig config;
  const int size = samples[0].height;
  for (int i = 0; i < std::min(count, 16); ++i) {
    views.push_back(samples[static_cast<std::size_t>(i)]);
    for (std::uint64_t view = 0; view < 2; ++view) {
      KeyedRandom random(options.seed, kPurposeAugment, 0, static_cast<std::uint64_t>(i), view);
      views.push_back(to_bytes(simclr_view(samples[static_cast<std::size_t>(i)], config, random, size)));
    }
  }
  write_png(options.out + "/views.png", make_grid(views, 6));
  return 0;
}

}  // namespace nanossl
