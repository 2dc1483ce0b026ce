// Writes a small seed corpus for the fuzzers: valid PNG (gray, RGB), JPEG (gray,
// RGB), IDX (plain and gzipped, images and labels), CIFAR records, safetensors
// files written by the engine's own writer (every dtype, metadata, and the two
// files of a checkpoint) and the presets of presets/ (alone and with --set
// overrides after NUL bytes, as fuzz_config reads them), one folder per target
// under the directory given as the only argument.
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "data/cifar.h"
#include "data/codec.h"
#include "data/idx.h"
#include "nn/checkpoint.h"
#include "nn/safetensors.h"

using namespace nanossl::data;
namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& bytes) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<std::uint8_t> out(deflateBound(&zs, bytes.size()) + 64);
  zs.next_in = const_cast<Bytef*>(bytes.data());
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("[make_seeds] deflate failed");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

void write_safetensors_seeds(const std::string& dir) {
  using nanossl::DType;
  using nanossl::Tensor;
  nanossl::nn::save_safetensors(dir + "/dtypes.safetensors",
                                {{"f32", Tensor::arange(0, 6, 1, DType::f32).view({2, 3})},
                                 {"f64", Tensor::full({2}, -1.5, DType::f64)},
                                 {"i64", Tensor::scalar(7, DType::i64)},
                                 {"u8", Tensor::arange(0, 5, 1, DType::u8)},
                                 {"empty", Tensor::empty({0, 4})}},
                                {{"format", "pt"}, {"note", "seed"}});
  // A checkpoint's two files, CRCs and training state included (what load_checkpoint checks).
  char tmp[] = "/tmp/nanossl-seeds-XXXXXX";
  if (::mkdtemp(tmp) == nullptr) throw std::runtime_error("[make_seeds] mkdtemp failed");
  nanossl::nn::TrainingState state;
  state.step = 7;
  state.epoch = 1;
  state.loader_position = 3;
  state.config_json = R"({"epochs":2})";
  state.optimizer["momentum.fc.weight"] = Tensor::full({2, 3}, 0.25);
  nanossl::nn::save_checkpoint(tmp, {{"fc.weight", Tensor::ones({2, 3})}, {"fc.bias", Tensor::zeros({2})}}, state);
  const fs::path checkpoint = fs::path(tmp) / "checkpoints/step-000000007";
  fs::copy_file(checkpoint / "model.safetensors", dir + "/model.safetensors", fs::copy_options::overwrite_existing);
  fs::copy_file(checkpoint / "state.safetensors", dir + "/state.safetensors", fs::copy_options::overwrite_existing);
  fs::remove_all(tmp);
}

void write_config_seeds(const std::string& dir) {
  for (const fs::directory_entry& entry : fs::directory_iterator(NANOSSL_PRESET_DIR)) {
    if (entry.path().extension() == ".json") write_text(dir + "/" + entry.path().filename().string(), read_text(entry.path()));
  }
  using namespace std::string_literals;
  write_text(dir + "/overrides-train", read_text(NANOSSL_PRESET_DIR "/train-smoke.json") +
                                           "\0model.width=8\0optimizer.lr=0.3\0dataset=glyphs\0model.stem=imagenet"s);
  write_text(dir + "/overrides-pretrain", read_text(NANOSSL_PRESET_DIR "/pretrain-smoke.json") +
                                              "\0head.dim=64\0knn.k=5\0augment.blur=on\0epochs=1"s);
  write_text(dir + "/overrides-probe", read_text(NANOSSL_PRESET_DIR "/linear-fashion.json") +
                                           "\0probe.epochs=3\0encoder=random\0model.depth=34"s);
  write_text(dir + "/overrides-bad", "{}\0nosuchkey=1\0epochs=\"x\"\0=3\0model.width=[1]"s);
}

Image pattern(int channels, int height, int width) {
  Image image = make_image(channels, height, width);
  for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<std::uint8_t>(i * 37 % 256);
  return image;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds OUT_DIR\n";
    return 2;
  }
  const std::string out = argv[1];
  for (const char* target : {"png", "jpeg", "idx", "cifar", "safetensors", "config"}) {
    fs::create_directories(out + "/" + target);
  }
  write_file(out + "/png/gray.png", encode_png(pattern(1, 7, 5)));
  write_file(out + "/png/rgb.png", encode_png(pattern(3, 6, 9)));
  write_file(out + "/jpeg/gray.jpg", encode_jpeg(pattern(1, 8, 8), 75));
  write_file(out + "/jpeg/rgb.jpg", encode_jpeg(pattern(3, 16, 12), 90));
  const IdxArray images{{3, 4, 4}, std::vector<std::uint8_t>(48, 17)};
  const IdxArray labels{{3}, {0, 1, 2}};
  write_file(out + "/idx/images.idx", encode_idx(images));
  write_file(out + "/idx/labels.idx", encode_idx(labels));
  write_file(out + "/idx/images.idx.gz", gzip(encode_idx(images)));
  write_file(out + "/idx/labels.idx.gz", gzip(encode_idx(labels)));
  for (int label_bytes : {1, 2}) {
    std::vector<std::uint8_t> records;
    for (int r = 0; r < 2; ++r) {
      for (int l = 0; l < label_bytes; ++l) records.push_back(static_cast<std::uint8_t>(r + l));
      for (std::size_t p = 0; p < kCifarPixels; ++p) records.push_back(static_cast<std::uint8_t>(p));
    }
    write_file(out + "/cifar/records" + std::to_string(label_bytes) + ".bin", records);
  }
  write_safetensors_seeds(out + "/safetensors");
  write_config_seeds(out + "/config");
  std::cout << "seeds written to " << out << "\n";
  return 0;
}
