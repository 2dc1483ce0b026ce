// Writes a small seed corpus for the fuzzers: valid PNG (gray, RGB), JPEG (gray,
// RGB), IDX (plain and gzipped, images and labels) and CIFAR records, one folder
// per target under the directory given as the only argument.
#include <zlib.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "data/cifar.h"
#include "data/codec.h"
#include "data/idx.h"

using namespace nanossl::data;

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
  for (const char* target : {"png", "jpeg", "idx", "cifar"}) std::filesystem::create_directories(out + "/" + target);
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
  std::cout << "seeds written to " << out << "\n";
  return 0;
}
