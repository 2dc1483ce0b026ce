// Dataset readers on files written into a temporary directory: IDX (plain and
// gzipped), MNIST-format pairs, CIFAR-10/100 binaries and image folders; their
// error paths (truncated, bit-flipped, wrong magic, lying headers, missing files),
// and the real Fashion-MNIST where it is installed.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <string>
#include <thread>

#include "data/cifar.h"
#include "data/codec.h"
#include "test_util.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "data/mnist_format.h"

namespace nanossl::data {
namespace {

using nanossl::testing::TempDir;

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

// EXPECTs that `f` throws a message containing every one of `parts`.
template <typename F>
void expect_error(F f, std::initializer_list<std::string> parts) {
  const std::string message = error_of(f);
  for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& bytes) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<std::uint8_t> out(deflateBound(&zs, bytes.size()) + 64);
  zs.next_in = const_cast<Bytef*>(bytes.data());
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

IdxArray image_array(std::int64_t n, std::int64_t rows, std::int64_t cols) {
  IdxArray a{{n, rows, cols}, std::vector<std::uint8_t>(static_cast<std::size_t>(n * rows * cols))};
  for (std::size_t i = 0; i < a.data.size(); ++i) a.data[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return a;
}

IdxArray label_array(std::int64_t n, int classes) {
  IdxArray a{{n}, std::vector<std::uint8_t>(static_cast<std::size_t>(n))};
  for (std::int64_t i = 0; i < n; ++i) a.data[i] = static_cast<std::uint8_t>(i % classes);
  return a;
}

using nanossl::testing::expect_byte_flips_are_safe;

// ---- IDX ----

TEST(Idx, PlainAndGzippedRoundTrip) {
  TempDir dir;
  const IdxArray images = image_array(5, 3, 4);
  write_file(dir.file("plain.idx"), encode_idx(images));
  write_file(dir.file("packed.idx.gz"), gzip(encode_idx(images)));
  for (const char* name : {"plain.idx", "packed.idx.gz"}) {
    const IdxArray back = read_idx(dir.file(name), 3);
    EXPECT_EQ(back.dims, images.dims) << name;
    EXPECT_EQ(back.data, images.data) << name;
  }
  const IdxArray labels = read_idx((write_file(dir.file("l.gz"), gzip(encode_idx(label_array(7, 3)))), dir.file("l.gz")), 1);
  EXPECT_EQ(labels.dims, (std::vector<std::int64_t>{7}));
}

TEST(Idx, HeaderErrorsNameTheFileAndProblem) {
  std::vector<std::uint8_t> good = encode_idx(image_array(2, 2, 2));
  auto parse = [](std::vector<std::uint8_t> b, int dims = 0) { return parse_idx(b.data(), b.size(), "x.idx", dims); };
  std::vector<std::uint8_t> bad = good;
  bad[0] = 0x12;
  expect_error([&] { parse(bad); }, {"[idx] x.idx", "wrong magic 0x12000803"});
  bad = good;
  bad[2] = 0x0d;  // float
  expect_error([&] { parse(bad); }, {"x.idx", "unsupported type code 0x0d"});
  bad = good;
  bad[3] = 9;
  expect_error([&] { parse(bad); }, {"x.idx", "absurd dimension count 9"});
  expect_error([&] { parse(good, 1); }, {"x.idx", "wrong magic 0x00000803", "expected 1 dimensions"});
  bad = good;
  bad[7] = 0;  // N = 0
  expect_error([&] { parse(bad); }, {"x.idx", "absurd dimensions: dimension 0 is 0"});
  bad = good;
  for (int i = 4; i < 16; ++i) bad[i] = 0xff;
  expect_error([&] { parse(bad); }, {"x.idx", "absurd dimensions", "more than 2147483648 bytes"});
  expect_error([&] { parse({0, 0}); }, {"x.idx", "truncated: 2 bytes"});
  expect_error([&] { parse({0, 0, 8, 3, 0, 0}); }, {"x.idx", "16-byte header"});
}

TEST(Idx, LengthMustMatchTheHeader) {
  const std::vector<std::uint8_t> good = encode_idx(image_array(3, 4, 4));
  auto parse = [](const std::vector<std::uint8_t>& b) { return parse_idx(b.data(), b.size(), "len.idx"); };
  std::vector<std::uint8_t> cut(good.begin(), good.end() - 5);
  expect_error([&] { parse(cut); }, {"[idx] len.idx: truncated", "declares 48 bytes", "holds 43"});
  std::vector<std::uint8_t> longer = good;
  longer.push_back(1);
  expect_error([&] { parse(longer); }, {"len.idx: trailing bytes", "holds 49"});
  expect_error([&] { parse(gzip(cut)); }, {"len.idx: truncated", "gzip stream holds 43"});
  expect_error([&] { parse(gzip(longer)); }, {"len.idx: trailing bytes"});
  // A header promising a gigabyte from a few bytes fails without allocating it.
  std::vector<std::uint8_t> liar = {0, 0, 8, 3, 0, 0, 0x40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 2, 3};
  expect_error([&] { parse(liar); }, {"len.idx: truncated", "declares 1073741824 bytes"});
  expect_error([&] { parse(gzip(liar)); }, {"len.idx: truncated", "gzip stream holds 3"});
}

TEST(Idx, CheckingKeepsNoDataButMakesEveryCheck) {
  // check_idx (used by `data inspect`) gives parse_idx's dimensions and errors.
  const std::vector<std::uint8_t> good = encode_idx(image_array(300, 64, 64));  // 1.2 MB: several windows
  for (const auto& bytes : {good, gzip(good)}) {
    EXPECT_EQ(check_idx(bytes.data(), bytes.size(), "ok.idx"), (std::vector<std::int64_t>{300, 64, 64}));
  }
  auto check = [](const std::vector<std::uint8_t>& b) { return check_idx(b.data(), b.size(), "len.idx"); };
  std::vector<std::uint8_t> cut(good.begin(), good.end() - 5), longer = good;
  longer.push_back(1);
  expect_error([&] { check(cut); }, {"[idx] len.idx: truncated", "holds 1228795"});
  expect_error([&] { check(longer); }, {"len.idx: trailing bytes"});
  expect_error([&] { check(gzip(cut)); }, {"len.idx: truncated", "gzip stream holds 1228795"});
  expect_error([&] { check(gzip(longer)); }, {"len.idx: trailing bytes"});
  const std::vector<std::uint8_t> packed = gzip(good);
  std::vector<std::uint8_t> half(packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(packed.size() / 2));
  expect_error([&] { check(half); }, {"[idx] len.idx", "truncated"});
}

TEST(Idx, TruncatedGzipStreamsAreErrors) {
  const std::vector<std::uint8_t> packed = gzip(encode_idx(image_array(20, 8, 8)));
  for (std::size_t keep : {std::size_t{2}, std::size_t{10}, std::size_t{25}, packed.size() / 2, packed.size() - 4}) {
    std::vector<std::uint8_t> cut(packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(keep));
    expect_error([&] { parse_idx(cut.data(), cut.size(), "cut.gz"); }, {"[idx] cut.gz"});
  }
}

TEST(Idx, BitFlipsParseOrThrow) {
  const std::vector<std::uint8_t> plain = encode_idx(image_array(10, 6, 6));
  auto parse = [](const std::vector<std::uint8_t>& b) { parse_idx(b.data(), b.size(), "f.idx"); };
  expect_byte_flips_are_safe(plain, parse);
  expect_byte_flips_are_safe(gzip(plain), parse);
}

TEST(Idx, MissingFileNamesThePath) {
  expect_error([] { read_idx("/nonexistent/train.idx"); }, {"/nonexistent/train.idx", "No such file"});
}

// ---- MNIST-format pairs ----

TEST(MnistFormat, OpensAPairAndPadsCentred) {
  TempDir dir;
  write_file(dir.file("img.gz"), gzip(encode_idx(image_array(6, 4, 4))));
  write_file(dir.file("lab"), encode_idx(label_array(6, 3)));
  const DatasetPtr plain = open_mnist_format(dir.file("img.gz"), dir.file("lab"));
  EXPECT_EQ(plain->size(), 6);
  EXPECT_EQ(plain->hierarchy().num_fine(), 3);
  EXPECT_EQ(plain->height(), 4);
  EXPECT_EQ(plain->label(4), 1);
  const Image native = plain->image(2);
  EXPECT_EQ(native.at(0, 0, 0), static_cast<std::uint8_t>(2 * 16 * 31 + 7));
  const DatasetPtr padded = open_mnist_format(dir.file("img.gz"), dir.file("lab"), {"a", "b", "c"}, 8);
  const Image big = padded->image(2);
  EXPECT_EQ(big.height, 8);
  EXPECT_EQ(big.width, 8);
  EXPECT_EQ(big.at(0, 0, 0), 0);
  EXPECT_EQ(big.at(0, 2, 2), native.at(0, 0, 0));
  EXPECT_EQ(big.at(0, 5, 5), native.at(0, 3, 3));
  EXPECT_EQ(padded->hierarchy().fine_names[1], "b");
  EXPECT_THROW(padded->image(6), std::out_of_range);
}

TEST(MnistFormat, MismatchedFilesAreErrors) {
  TempDir dir;
  write_file(dir.file("img"), encode_idx(image_array(6, 4, 4)));
  write_file(dir.file("lab5"), encode_idx(label_array(5, 3)));
  write_file(dir.file("lab6"), encode_idx(label_array(6, 3)));
  expect_error([&] { open_mnist_format(dir.file("img"), dir.file("lab5")); },
               {dir.file("img") + " holds 6 images", dir.file("lab5") + " holds 5 labels"});
  expect_error([&] { open_mnist_format(dir.file("img"), dir.file("lab6"), {"a", "b"}); },
               {dir.file("lab6"), "label 2 of image 2 is outside [0, 2)"});
  expect_error([&] { open_mnist_format(dir.file("lab6"), dir.file("img")); }, {dir.file("lab6"), "wrong magic"});
  expect_error([&] { open_mnist_format(dir.file("img"), dir.file("lab6"), {}, 2); }, {"cannot pad 4x4 images to 2"});
}

TEST(MnistFormat, MissingFashionDirectorySaysHowToInstall) {
  expect_error([] { open_fashion_mnist(true, "/nonexistent/fashion"); },
               {"/nonexistent/fashion/train-images-idx3-ubyte.gz", "apt-get install dataset-fashion-mnist"});
}

TEST(MnistFormat, RealFashionMnist) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << dir << " not installed";
  const DatasetPtr train = open_fashion_mnist(true, dir);
  const DatasetPtr test = open_fashion_mnist(false, dir);
  EXPECT_EQ(train->size(), 60000);
  EXPECT_EQ(test->size(), 10000);
  EXPECT_EQ(train->name(), "fashion/train");
  const LabelHierarchy& h = train->hierarchy();
  ASSERT_EQ(h.num_fine(), 10);
  ASSERT_EQ(h.num_coarse(), 5);
  EXPECT_EQ(h.fine_names[9], "Ankle boot");
  EXPECT_EQ(h.coarse_names()[h.fine_to_coarse()[9]], "footwear");
  EXPECT_EQ(h.coarse_names()[h.fine_to_coarse()[6]], "tops");
  std::vector<int> per_class(10, 0);
  for (std::int64_t i = 0; i < train->size(); ++i) {
    const std::int64_t label = train->label(i);
    ASSERT_GE(label, 0);
    ASSERT_LT(label, 10);
    ++per_class[label];
  }
  for (int c = 0; c < 10; ++c) EXPECT_EQ(per_class[c], 6000) << "class " << c;
  for (std::int64_t i : {std::int64_t{0}, std::int64_t{59999}}) {
    const Image image = train->image(i);
    EXPECT_EQ(image.channels, 1);
    EXPECT_EQ(image.height, 32);
    EXPECT_EQ(image.width, 32);
    for (int x = 0; x < 32; ++x) EXPECT_EQ(image.at(0, 0, x), 0);  // the 2-pixel border is padding
  }
  const Image image = test->image(9999);
  EXPECT_EQ(image.pixels.size(), 32u * 32u);
  EXPECT_LT(test->label(9999), 10);
}

// ---- CIFAR ----

std::vector<std::uint8_t> cifar_records(int count, int label_bytes, int first_fine, int fine_classes) {
  std::vector<std::uint8_t> out;
  for (int i = 0; i < count; ++i) {
    const int fine = (first_fine + i) % fine_classes;
    if (label_bytes == 2) out.push_back(static_cast<std::uint8_t>(fine / 5));
    out.push_back(static_cast<std::uint8_t>(fine));
    for (std::size_t p = 0; p < kCifarPixels; ++p) out.push_back(static_cast<std::uint8_t>(i + p / 1024 * 50));
  }
  return out;
}

TEST(Cifar, Cifar10BatchesAndNames) {
  TempDir dir;
  for (int b = 1; b <= 5; ++b) write_file(dir.file("data_batch_" + std::to_string(b) + ".bin"), cifar_records(4, 1, b, 10));
  write_file(dir.file("test_batch.bin"), cifar_records(3, 1, 0, 10));
  const std::string names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
  write_file(dir.file("batches.meta.txt"), std::vector<std::uint8_t>(names.begin(), names.end()));
  const DatasetPtr train = open_cifar10(true, dir.path);
  EXPECT_EQ(train->size(), 20);
  EXPECT_EQ(train->label(0), 1);
  EXPECT_EQ(train->label(4), 2);
  EXPECT_EQ(train->hierarchy().fine_names[9], "truck");
  EXPECT_FALSE(train->hierarchy().has_coarse());
  const Image image = open_cifar10(false, dir.path)->image(2);
  EXPECT_EQ(image.channels, 3);
  EXPECT_EQ(image.at(0, 0, 0), 2);
  EXPECT_EQ(image.at(1, 31, 31), 52);  // green plane
  EXPECT_EQ(image.at(2, 0, 5), 102);   // blue plane
}

TEST(Cifar, Cifar10Errors) {
  TempDir dir;
  std::vector<std::uint8_t> test = cifar_records(3, 1, 0, 10);
  write_file(dir.file("test_batch.bin"), std::vector<std::uint8_t>(test.begin(), test.end() - 10));
  expect_error([&] { open_cifar10(false, dir.path); },
               {dir.file("test_batch.bin"), "truncated: 9209 bytes is not a whole number of 3073-byte records"});
  test[3073] = 10;
  write_file(dir.file("test_batch.bin"), test);
  expect_error([&] { open_cifar10(false, dir.path); }, {dir.file("test_batch.bin"), "record 1 has label 10, outside [0, 10)"});
  expect_error([&] { open_cifar10(true, dir.path); }, {dir.file("data_batch_1.bin"), "missing"});
  write_file(dir.file("test_batch.bin"), cifar_records(3, 1, 0, 10));
  write_file(dir.file("batches.meta.txt"), {'a', '\n', 'b', '\n'});
  expect_error([&] { open_cifar10(false, dir.path); }, {dir.file("batches.meta.txt"), "expected 10 class names, found 2"});
  write_file(dir.file("test_batch.bin"), {});
  expect_error([&] { open_cifar10(false, dir.path); }, {dir.file("test_batch.bin"), "empty"});
}

TEST(Cifar, Cifar100HierarchyFromRecords) {
  TempDir dir;
  write_file(dir.file("train.bin"), cifar_records(150, 2, 0, 100));
  const DatasetPtr train = open_cifar100(true, dir.path);
  EXPECT_EQ(train->size(), 150);
  const LabelHierarchy& h = train->hierarchy();
  ASSERT_EQ(h.num_fine(), 100);
  ASSERT_EQ(h.num_coarse(), 20);
  for (int f = 0; f < 100; ++f) EXPECT_EQ(h.fine_to_coarse()[f], f / 5);
  EXPECT_EQ(train->label(120), 20);
  EXPECT_EQ(train->image(3).at(0, 0, 0), 3);
}

TEST(Cifar, Cifar100Errors) {
  TempDir dir;
  std::vector<std::uint8_t> records = cifar_records(100, 2, 0, 100);
  records[3074 * 7] = 19;  // fine 7 is under coarse 1 everywhere else
  records.insert(records.end(), records.begin(), records.begin() + 3074 * 8);
  for (std::size_t i = 0; i < 8; ++i) records[3074 * (100 + i)] = static_cast<std::uint8_t>(i / 5);
  write_file(dir.file("train.bin"), records);
  expect_error([&] { open_cifar100(true, dir.path); },
               {dir.file("train.bin"), "inconsistent hierarchy: fine class 7 appears with coarse class 19", "coarse class 1"});
  write_file(dir.file("test.bin"), cifar_records(99, 2, 0, 100));
  expect_error([&] { open_cifar100(false, dir.path); }, {dir.file("test.bin"), "fine class 99 never appears"});
  records = cifar_records(100, 2, 0, 100);
  records[3074 * 4] = 20;
  write_file(dir.file("test.bin"), records);
  expect_error([&] { open_cifar100(false, dir.path); }, {dir.file("test.bin"), "record 4 has coarse label 20"});
  records[3074 * 4] = 0;
  records[3074 * 4 + 1] = 100;
  write_file(dir.file("test.bin"), records);
  expect_error([&] { open_cifar100(false, dir.path); }, {dir.file("test.bin"), "record 4 has fine label 100"});
  write_file(dir.file("test.bin"), std::vector<std::uint8_t>(3073 * 2));
  expect_error([&] { open_cifar100(false, dir.path); }, {"not a whole number of 3074-byte records"});
}

TEST(Cifar, BitFlipsParseOrThrow) {
  const std::vector<std::uint8_t> bytes = cifar_records(3, 2, 0, 100);
  expect_byte_flips_are_safe(bytes, [](const std::vector<std::uint8_t>& b) {
    CifarRecords records;
    parse_cifar(b.data(), b.size(), "f.bin", 2, 100, 20, records);
    EXPECT_EQ(records.count(), 3);
  });
}

// ---- image folders ----

// root/cat (2 PNG), root/dog (1 JPEG, 1 PNG), root/fish (1 gray PNG); plus noise.
void write_folder(const TempDir& dir) {
  std::filesystem::create_directories(dir.file("root/cat"));
  std::filesystem::create_directories(dir.file("root/dog"));
  std::filesystem::create_directories(dir.file("root/fish"));
  std::filesystem::create_directories(dir.file("root/.hidden"));
  write_file(dir.file("root/cat/b.png"), encode_png(make_image(3, 8, 6, 200)));
  write_file(dir.file("root/cat/a.png"), encode_png(make_image(3, 4, 4, 100)));
  write_file(dir.file("root/dog/x.JPG"), encode_jpeg(make_image(3, 16, 16, 50), 95));
  write_file(dir.file("root/dog/y.png"), encode_png(make_image(3, 4, 4, 10)));
  write_file(dir.file("root/dog/notes.txt"), {'h', 'i'});
  write_file(dir.file("root/fish/f.png"), encode_png(make_image(1, 5, 5, 77)));
}

TEST(ImageFolder, ScansSortedClassesAndFiles) {
  TempDir dir;
  write_folder(dir);
  const ImageFolderDataset folder(dir.file("root"));
  ASSERT_EQ(folder.size(), 5);
  EXPECT_EQ(folder.hierarchy().fine_names, (std::vector<std::string>{"cat", "dog", "fish"}));
  EXPECT_EQ(folder.path(0), dir.file("root/cat/a.png"));
  EXPECT_EQ(folder.label(0), 0);
  EXPECT_EQ(folder.label(2), 1);
  EXPECT_EQ(folder.label(4), 2);
  EXPECT_EQ(folder.image(1).height, 8);
  EXPECT_EQ(folder.image(4).channels, 1);
  EXPECT_EQ(folder.channels(), 0);
  const Image jpeg = folder.image(2);
  EXPECT_EQ(jpeg.height, 16);
  EXPECT_NEAR(jpeg.at(0, 8, 8), 50, 3);
}

TEST(ImageFolder, FixedSizeAndChannelsFromManyThreads) {
  TempDir dir;
  write_folder(dir);
  ImageFolderOptions options;
  options.height = options.width = 12;
  options.channels = 3;
  const ImageFolderDataset folder(dir.file("root"), options);
  EXPECT_EQ(folder.channels(), 3);
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round) {
        for (std::int64_t i = 0; i < folder.size(); ++i) {
          const Image image = folder.image(i);
          if (image.channels != 3 || image.height != 12 || image.width != 12) ++bad[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[t], 0);
  EXPECT_EQ(folder.image(4).at(2, 6, 6), 77);  // gray repeated into 3 planes, flat so resize keeps it
}

TEST(ImageFolder, HierarchyFile) {
  TempDir dir;
  write_folder(dir);
  const std::string good = "# fine coarse\ncat mammal\r\n\ndog mammal\nfish other\n";
  write_file(dir.file("h.txt"), std::vector<std::uint8_t>(good.begin(), good.end()));
  ImageFolderOptions options;
  options.hierarchy_file = dir.file("h.txt");
  const ImageFolderDataset folder(dir.file("root"), options);
  const LabelHierarchy& h = folder.hierarchy();
  EXPECT_EQ(h.coarse_names(), (std::vector<std::string>{"mammal", "other"}));
  EXPECT_EQ(h.fine_to_coarse(), (std::vector<std::int64_t>{0, 0, 1}));

  auto expect_bad = [&](const std::string& text, std::initializer_list<std::string> parts) {
    write_file(dir.file("h.txt"), std::vector<std::uint8_t>(text.begin(), text.end()));
    expect_error([&] { ImageFolderDataset(dir.file("root"), options); }, parts);
  };
  expect_bad("cat mammal\ndog mammal\nbird other\nfish other\n", {dir.file("h.txt") + " line 3", "unknown class 'bird'"});
  expect_bad("cat mammal\ndog mammal\n", {dir.file("h.txt"), "missing entry for class 'fish'"});
  expect_bad("cat mammal\ndog mammal\nfish other\ncat other\n", {"line 4", "duplicate entry for class 'cat' (first on line 1)"});
  expect_bad("cat\n", {"line 1", "expected 'fine_class coarse_class'"});
  expect_bad("cat a b\n", {"line 1", "unexpected third field 'b'"});
  options.hierarchy_file = dir.file("absent.txt");
  expect_error([&] { ImageFolderDataset(dir.file("root"), options); }, {dir.file("absent.txt"), "No such file"});
}

TEST(ImageFolder, CorruptFilesThrowOrAreSkipped) {
  TempDir dir;
  write_folder(dir);
  std::vector<std::uint8_t> png = encode_png(make_image(3, 4, 4, 9));
  png.resize(png.size() / 2);
  write_file(dir.file("root/cat/c.png"), png);
  write_file(dir.file("root/dog/z.jpeg"), {0xff, 0xd8, 0xff, 0xe0, 0, 0});
  const ImageFolderDataset strict(dir.file("root"));
  EXPECT_EQ(strict.size(), 7);
  expect_error([&] { strict.image(2); }, {dir.file("root/cat/c.png")});
  EXPECT_TRUE(strict.skipped().empty());

  ImageFolderOptions options;
  options.skip_corrupt = true;
  const ImageFolderDataset lenient(dir.file("root"), options);
  EXPECT_EQ(lenient.size(), 5);
  ASSERT_EQ(lenient.skipped().size(), 2u);
  EXPECT_EQ(lenient.skipped()[0].path, dir.file("root/cat/c.png"));
  EXPECT_EQ(lenient.skipped()[1].path, dir.file("root/dog/z.jpeg"));
  EXPECT_NE(lenient.skipped()[1].reason.find("z.jpeg"), std::string::npos);
  for (std::int64_t i = 0; i < lenient.size(); ++i) EXPECT_GT(lenient.image(i).height, 0);
}

TEST(ImageFolder, EmptyFoldersAndRootsAreErrors) {
  TempDir dir;
  expect_error([&] { ImageFolderDataset(dir.file("nothing")); }, {dir.file("nothing"), "not a directory"});
  std::filesystem::create_directories(dir.file("root"));
  expect_error([&] { ImageFolderDataset(dir.file("root")); }, {dir.file("root"), "no class sub-folders"});
  write_folder(dir);
  std::filesystem::create_directories(dir.file("root/empty"));
  expect_error([&] { ImageFolderDataset(dir.file("root")); }, {dir.file("root"), "class folder 'empty' holds no"});
  std::filesystem::remove(dir.file("root/empty"));
  ImageFolderOptions options;
  options.channels = 2;
  expect_error([&] { ImageFolderDataset(dir.file("root"), options); }, {"channels must be 0 (keep), 1 or 3"});
  options.channels = 0;
  options.height = 8;
  expect_error([&] { ImageFolderDataset(dir.file("root"), options); }, {"invalid output size 8x0"});
  ImageFolderDataset ok(dir.file("root"));
  EXPECT_THROW(ok.image(99), std::out_of_range);
}

}  // namespace
}  // namespace nanossl::data
