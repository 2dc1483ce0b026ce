// Image codecs and file I/O: PNG and JPEG round trips, format sniffing, and the
// error paths (truncated, bit-flipped, oversized, malformed files; missing,
// directory and unwritable paths), each checked for a message naming the file.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "data/codec.h"
#include "test_util.h"

namespace nanossl::data {
namespace {

using nanossl::testing::TempDir;

// A smooth test picture (gradients without wrap-around), so JPEG's error stays small.
Image gradient(int channels, int height, int width) {
  Image image = make_image(channels, height, width);
  for (int c = 0; c < channels; ++c) {
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) image.at(c, y, x) = static_cast<std::uint8_t>(std::min(255, x * 2 + y * 2 + c * 20));
    }
  }
  return image;
}

// Every byte value, scrambled: PNG must keep it exactly.
Image noise(int channels, int height, int width) {
  Image image = make_image(channels, height, width);
  for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<std::uint8_t>((i * 7919 + 13) % 251);
  return image;
}

// Byte flips of an encoded image: each copy decodes to a well-formed image or is
// rejected with an error (see expect_byte_flips_are_safe).
template <typename Decode>
void expect_flips_are_safe(const std::vector<std::uint8_t>& bytes, Decode decode) {
  nanossl::testing::expect_byte_flips_are_safe(bytes, [&](const std::vector<std::uint8_t>& copy) {
    const Image image = decode(copy);
    EXPECT_TRUE(image.channels == 1 || image.channels == 3);
    EXPECT_EQ(image.pixels.size(), static_cast<std::size_t>(image.channels) * image.height * image.width);
  });
}

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

TEST(Codec, SniffsFormats) {
  const std::vector<std::uint8_t> png = encode_png(gradient(1, 4, 4));
  const std::vector<std::uint8_t> jpeg = encode_jpeg(gradient(3, 8, 8), 90);
  EXPECT_EQ(sniff_format(png.data(), png.size()), ImageFormat::png);
  EXPECT_EQ(sniff_format(jpeg.data(), jpeg.size()), ImageFormat::jpeg);
  const std::uint8_t junk[4] = {1, 2, 3, 4};
  EXPECT_EQ(sniff_format(junk, 4), ImageFormat::unknown);
  EXPECT_EQ(sniff_format(png.data(), 3), ImageFormat::unknown);
  EXPECT_EQ(sniff_format(junk, 0), ImageFormat::unknown);
}

TEST(Codec, PngRoundTripsExactly) {
  for (int channels : {1, 3}) {
    const Image original = noise(channels, 13, 17);
    const std::vector<std::uint8_t> bytes = encode_png(original);
    const Image decoded = decode_png(bytes.data(), bytes.size(), "mem.png");
    EXPECT_EQ(decoded.channels, channels);
    EXPECT_EQ(decoded.height, 13);
    EXPECT_EQ(decoded.width, 17);
    EXPECT_EQ(decoded.pixels, original.pixels);
    EXPECT_EQ(decode_image(bytes.data(), bytes.size(), "mem.png").pixels, original.pixels);
  }
}

TEST(Codec, JpegRoundTripsClosely) {
  for (int channels : {1, 3}) {
    const Image original = gradient(channels, 48, 40);
    const std::vector<std::uint8_t> bytes = encode_jpeg(original, 95);
    const Image decoded = decode_jpeg(bytes.data(), bytes.size(), "mem.jpg");
    ASSERT_EQ(decoded.channels, channels);
    ASSERT_EQ(decoded.height, 48);
    ASSERT_EQ(decoded.width, 40);
    double total = 0;
    int worst = 0;
    for (std::size_t i = 0; i < original.pixels.size(); ++i) {
      const int diff = std::abs(int{decoded.pixels[i]} - int{original.pixels[i]});
      total += diff;
      worst = std::max(worst, diff);
    }
    EXPECT_LT(total / static_cast<double>(original.pixels.size()), 3.0) << channels << " channels";
    EXPECT_LT(worst, 16) << channels << " channels";
    EXPECT_EQ(decode_image(bytes.data(), bytes.size(), "mem.jpg").pixels, decoded.pixels);
  }
}

TEST(Codec, EncodersRejectBadInput) {
  const Image image = gradient(3, 8, 8);
  EXPECT_NE(error_of([&] { encode_jpeg(image, 0); }).find("quality 0 is outside 1..100"), std::string::npos);
  EXPECT_NE(error_of([&] { encode_jpeg(image, 101); }).find("quality 101"), std::string::npos);
  Image broken = image;
  broken.pixels.pop_back();
  EXPECT_THROW(encode_png(broken), std::invalid_argument);
  EXPECT_THROW(encode_jpeg(broken, 90), std::invalid_argument);
  Image two{2, 4, 4, std::vector<std::uint8_t>(32)};
  EXPECT_THROW(encode_png(two), std::invalid_argument);
}

TEST(Codec, UnknownFormatNamesTheFile) {
  const std::vector<std::uint8_t> bytes = {'G', 'I', 'F', '8', '9', 'a'};
  const std::string message = error_of([&] { decode_image(bytes.data(), bytes.size(), "cat.gif"); });
  EXPECT_NE(message.find("cat.gif"), std::string::npos) << message;
  EXPECT_NE(message.find("not a PNG or JPEG"), std::string::npos) << message;
  EXPECT_THROW(decode_png(bytes.data(), bytes.size(), "x"), std::runtime_error);
  EXPECT_THROW(decode_jpeg(bytes.data(), bytes.size(), "x"), std::runtime_error);
  EXPECT_THROW(decode_image(nullptr, 0, "empty.png"), std::runtime_error);
}

TEST(Codec, PngOversizedHeaderIsRejectedBeforeDecoding) {
  std::vector<std::uint8_t> bytes = encode_png(gradient(1, 4, 4));
  const std::uint8_t side[4] = {0x00, 0x01, 0x11, 0x70};  // 70000
  std::copy(side, side + 4, bytes.begin() + 16);           // width
  std::copy(side, side + 4, bytes.begin() + 20);           // height
  const std::string message = error_of([&] { decode_png(bytes.data(), bytes.size(), "big.png"); });
  EXPECT_NE(message.find("[png] big.png: image 70000x70000 exceeds the 67108864-pixel limit"), std::string::npos)
      << message;
  // Within the pixel budget but wider than a side may be.
  const std::uint8_t wide[4] = {0x00, 0x00, 0x80, 0x00};  // 32768
  const std::uint8_t one[4] = {0, 0, 0, 1};
  std::copy(wide, wide + 4, bytes.begin() + 16);
  std::copy(one, one + 4, bytes.begin() + 20);
  EXPECT_NE(error_of([&] { decode_png(bytes.data(), bytes.size(), "wide.png"); }).find("32768x1 exceeds"),
            std::string::npos);
}

TEST(Codec, PngTruncatedAndCorruptFilesNameTheFile) {
  const std::vector<std::uint8_t> bytes = encode_png(noise(3, 20, 20));
  for (std::size_t keep : {std::size_t{0}, std::size_t{8}, std::size_t{20}, std::size_t{40}, bytes.size() / 2,
                           bytes.size() - 13}) {
    const std::string message = error_of([&] { decode_png(bytes.data(), keep, "cut.png"); });
    EXPECT_NE(message.find("cut.png"), std::string::npos) << keep << ": " << message;
  }
  std::vector<std::uint8_t> bad = bytes;
  bad[12] = 'X';  // the IHDR chunk type
  const std::string message = error_of([&] { decode_png(bad.data(), bad.size(), "bad.png"); });
  EXPECT_NE(message.find("[png] bad.png: corrupt PNG: "), std::string::npos) << message;
}

TEST(Codec, PngLyingChunkLengthIsRejectedWithoutHugeAllocation) {
  // Found by fuzz_png: an IDAT chunk declaring 2^31 bytes made stb_image realloc 2 GB.
  const std::vector<std::uint8_t> bytes = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
      0x52, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0xe5,
      0xcc, 0xd8, 0x3a, 0x00, 0x00, 0x00, 0x2c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x5e, 0x63, 0x64,
      0x50, 0x2c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x5e, 0x63, 0x64, 0x50, 0x05, 0x02, 0x96, 0x9d,
      0xaa, 0xbd, 0x7f, 0xff, 0x3e, 0x9f, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf1,
      0x09, 0x48, 0x9c, 0x53, 0x74, 0x39, 0x65, 0x78, 0x63, 0x65, 0x70, 0x74, 0x69, 0x6f, 0x6e,
      0x63, 0x0f, 0x2c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x5e, 0x63, 0x64, 0x50, 0x05, 0x02, 0x96,
      0x9d, 0xaa, 0xbd, 0x7f};
  const std::string message = error_of([&] { decode_png(bytes.data(), bytes.size(), "oom.png"); });
  EXPECT_NE(message.find("[png] oom.png: corrupt PNG: chunk at offset"), std::string::npos) << message;
  EXPECT_NE(message.find("bytes remain"), std::string::npos) << message;
}

TEST(Codec, PngBitFlipsDecodeOrThrow) {
  const std::vector<std::uint8_t> bytes = encode_png(noise(3, 24, 24));
  expect_flips_are_safe(bytes, [](const std::vector<std::uint8_t>& b) { return decode_png(b.data(), b.size(), "f.png"); });
}

TEST(Codec, JpegTruncatedFilesAreErrorsNamingTheFile) {
  const std::vector<std::uint8_t> bytes = encode_jpeg(gradient(3, 64, 64), 90);
  for (std::size_t keep : {std::size_t{2}, std::size_t{10}, std::size_t{100}, bytes.size() / 2, bytes.size() - 2}) {
    const std::string message = error_of([&] { decode_jpeg(bytes.data(), keep, "cut.jpg"); });
    EXPECT_NE(message.find("[jpeg] cut.jpg: "), std::string::npos) << keep << ": " << message;
  }
}

TEST(Codec, JpegOversizedHeaderIsRejected) {
  std::vector<std::uint8_t> bytes = encode_jpeg(gradient(3, 16, 16), 90);
  std::size_t sof = 0;
  for (std::size_t i = 2; i + 9 < bytes.size(); ++i) {
    if (bytes[i] == 0xff && bytes[i + 1] == 0xc0) {
      sof = i;
      break;
    }
  }
  ASSERT_GT(sof, 0u);
  bytes[sof + 5] = 0xea;  // height 60000
  bytes[sof + 6] = 0x60;
  bytes[sof + 7] = 0xea;  // width 60000
  bytes[sof + 8] = 0x60;
  const std::string message = error_of([&] { decode_jpeg(bytes.data(), bytes.size(), "big.jpg"); });
  EXPECT_NE(message.find("[jpeg] big.jpg: image 60000x60000 exceeds the 67108864-pixel limit"), std::string::npos)
      << message;
}

TEST(Codec, JpegBitFlipsDecodeOrThrow) {
  for (int channels : {1, 3}) {
    const std::vector<std::uint8_t> bytes = encode_jpeg(gradient(channels, 32, 32), 80);
    expect_flips_are_safe(bytes,
                          [](const std::vector<std::uint8_t>& b) { return decode_jpeg(b.data(), b.size(), "f.jpg"); });
  }
}

TEST(Codec, JpegHuffmanOverflowFixtureIsRejected) {
  // The 38-byte file that corrupts the heap of Debian 12's stb_image 2.27 (kept in
  // the repository; tests run from its root).
  const std::vector<std::uint8_t> bytes = read_file("tests/fixtures/jpeg_dht_overflow_38B.bin");
  ASSERT_EQ(bytes.size(), 38u);
  EXPECT_NE(error_of([&] { decode_jpeg(bytes.data(), bytes.size(), "dht.bin"); }).find("dht.bin"), std::string::npos);
  EXPECT_NE(error_of([&] { decode_image(bytes.data(), bytes.size(), "dht.bin"); }).find("dht.bin"), std::string::npos);
}

TEST(Codec, ReadFileErrorsNameThePathAndReason) {
  TempDir dir;
  const std::string missing = dir.file("nothing.png");
  std::string message = error_of([&] { read_file(missing); });
  EXPECT_NE(message.find("[read] cannot open " + missing + ": No such file or directory"), std::string::npos)
      << message;
  message = error_of([&] { read_file(dir.path); });
  EXPECT_NE(message.find(dir.path), std::string::npos) << message;
  EXPECT_NE(message.find("directory"), std::string::npos) << message;
  if (::geteuid() != 0) {  // root reads anything, so the permission check needs a normal user
    const std::string locked = dir.file("locked.bin");
    write_file(locked, {1, 2, 3});
    ::chmod(locked.c_str(), 0);
    message = error_of([&] { read_file(locked); });
    EXPECT_NE(message.find("Permission denied"), std::string::npos) << message;
  }
}

TEST(Codec, WriteFileIsAtomicAndReadsBack) {
  TempDir dir;
  const std::string target = dir.file("out.bin");
  write_file(target, {1, 2, 3});
  write_file(target, {9, 8, 7, 6});  // replaces
  EXPECT_EQ(read_file(target), (std::vector<std::uint8_t>{9, 8, 7, 6}));
  write_file(dir.file("empty.bin"), {});
  EXPECT_TRUE(read_file(dir.file("empty.bin")).empty());
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << "left behind: " << entry.path();
    ++entries;
  }
  EXPECT_EQ(entries, 2);
  const std::string nowhere = dir.file("no/such/dir/out.bin");
  const std::string message = error_of([&] { write_file(nowhere, {1}); });
  EXPECT_NE(message.find(nowhere), std::string::npos) << message;
}

TEST(Codec, FilesRoundTripThroughDisk) {
  TempDir dir;
  const Image original = noise(3, 9, 11);
  write_file(dir.file("a.png"), encode_png(original));
  const std::vector<std::uint8_t> bytes = read_file(dir.file("a.png"));
  EXPECT_EQ(decode_image(bytes.data(), bytes.size(), dir.file("a.png")).pixels, original.pixels);
}

}  // namespace
}  // namespace nanossl::data
