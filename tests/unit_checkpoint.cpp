// Checkpoints: the safetensors format byte for byte, every corruption giving an error
// that names the file, checkpoint directories (round trip, newest, fallback, pruning,
// leftovers), and a writer killed with SIGKILL mid-save resuming from a complete one.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "nn/checkpoint.h"
#include "nn/safetensors.h"

namespace nanossl::nn {
namespace {

namespace fs = std::filesystem;

// A fresh directory under /tmp, removed with everything in it at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/nanossl-ckpt-XXXXXX";
    if (::mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = name;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string length_prefix(std::uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

// A raw safetensors file: length, the header as given (padded to 8), the data.
void write_raw(const std::string& path, std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  write_bytes(path, length_prefix(header.size()) + header + data);
}

// Runs `load` and passes only if it throws std::runtime_error whose message names
// `path` and contains `needle`.
template <class F>
void expect_file_error(F&& load, const std::string& path, const std::string& needle) {
  try {
    load();
    ADD_FAILURE() << "no error for " << path << " (expected '" << needle << "')";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << "expected '" << needle << "' in: " << what;
  }
}

void expect_same(const Tensor& a, const Tensor& b, const std::string& name) {
  ASSERT_TRUE(a.defined() && b.defined()) << name;
  EXPECT_EQ(a.dtype(), b.dtype()) << name;
  EXPECT_EQ(a.shape(), b.shape()) << name;
  ASSERT_EQ(a.nbytes(), b.nbytes()) << name;
  if (a.nbytes() > 0) {
    EXPECT_EQ(std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()), 0) << name;
  }
}

void expect_same(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    expect_same(t, b.at(name), name);
  }
}

std::map<std::string, Tensor> every_dtype() {
  return {
      {"f32", Tensor::from_vector<float>({1.5f, -2.25f, 3e-38f, 7.f, 0.f, -0.f}, {2, 3})},
      {"f64", Tensor::from_vector<double>({1e300, -1.0 / 3.0, 2.0, 4.5}, {4})},
      {"i64", Tensor::from_vector<std::int64_t>({INT64_MIN, -1, 0, INT64_MAX}, {2, 2})},
      {"u8", Tensor::from_vector<std::uint8_t>({0, 1, 127, 128, 255}, {5})},
      {"scalar", Tensor::scalar(42.0, DType::f64)},
      {"empty", Tensor::empty({0, 3}, DType::f32)},
      {"layer1.0.conv1.weight", Tensor::arange(0, 2 * 3 * 3 * 3, 1, DType::f32).view({2, 3, 3, 3})},
  };
}

TEST(Safetensors, RoundTripsEveryDtypeScalarAndEmpty) {
  TempDir dir;
  const auto tensors = every_dtype();
  save_safetensors(dir / "t.safetensors", tensors);
  std::map<std::string, std::string> meta{{"stale", "x"}};
  const auto loaded = load_safetensors(dir / "t.safetensors", &meta);
  expect_same(tensors, loaded);
  EXPECT_TRUE(meta.empty());
  EXPECT_TRUE(loaded.at("scalar").shape().empty());
  EXPECT_EQ(loaded.at("empty").shape(), (Shape{0, 3}));
  EXPECT_EQ(static_cast<unsigned char>(read_bytes(dir / "t.safetensors")[0]) % 8, 0);  // header padded to 8
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    EXPECT_EQ(entry.path().filename(), "t.safetensors") << "a temporary was left";
  }
}

TEST(Safetensors, ByteLayoutMatchesHandBuiltFile) {
  TempDir dir;
  save_safetensors(dir / "tiny.safetensors",
                   {{"b", Tensor::from_vector<float>({1.0f, -2.0f}, {2})},
                    {"a", Tensor::from_vector<std::uint8_t>({1, 2, 3}, {3})}},
                   {{"k", "v"}});
  std::string header =
      R"({"__metadata__":{"k":"v"},"a":{"data_offsets":[0,3],"dtype":"U8","shape":[3]},)"
      R"("b":{"data_offsets":[3,11],"dtype":"F32","shape":[2]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  ASSERT_EQ(header.size(), 136u);
  const std::string data("\x01\x02\x03\x00\x00\x80\x3f\x00\x00\x00\xc0", 11);
  std::string expected = std::string("\x88\0\0\0\0\0\0\0", 8) + header + data;
  EXPECT_EQ(read_bytes(dir / "tiny.safetensors"), expected);
}

TEST(Safetensors, MetadataRoundTrips) {
  TempDir dir;
  const std::map<std::string, std::string> meta{
      {"format", "pt"}, {"preprocessing", R"({"mean": [0.5], "std": [0.25]})"},
      {"note", "line one\nline \"two\"\ttab \\ backslash"}, {"unicode", "σ = 0.5 ✓"}, {"empty", ""}};
  save_safetensors(dir / "m.safetensors", {{"x", Tensor::ones({2})}}, meta);
  std::map<std::string, std::string> loaded;
  load_safetensors(dir / "m.safetensors", &loaded);
  EXPECT_EQ(loaded, meta);
}

TEST(Safetensors, RejectsBadTensorNamesOnSave) {
  TempDir dir;
  EXPECT_THROW(save_safetensors(dir / "x", {{"__metadata__", Tensor::ones({1})}}), std::runtime_error);
  EXPECT_THROW(save_safetensors(dir / "x", {{"undefined", Tensor()}}), std::runtime_error);
  EXPECT_FALSE(fs::exists(dir / "x"));
}

TEST(Safetensors, TruncationAnywhereIsAnErrorNamingTheFile) {
  TempDir dir;
  const std::string path = dir / "t.safetensors";
  save_safetensors(path, every_dtype(), {{"k", "v"}});
  const std::string good = read_bytes(path);
  const std::uint64_t header = good.size() > 8 ? static_cast<unsigned char>(good[0]) | (static_cast<unsigned char>(good[1]) << 8) : 0;
  struct Cut { std::size_t size; const char* needle; };
  const std::vector<Cut> cuts = {{0, "shorter than the 8-byte"}, {5, "shorter than the 8-byte"},
                                 {8, "beyond the file"},         {8 + header / 2, "beyond the file"},
                                 {8 + header, "data section"},   {8 + header + 20, "data section"},
                                 {good.size() - 1, "data section"}};
  for (const Cut& cut : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(cut.size));
    write_bytes(path, good.substr(0, cut.size));
    expect_file_error([&] { load_safetensors(path); }, path, cut.needle);
  }
  // Every other length too: an error, never a crash.
  for (std::size_t size = 0; size < good.size(); ++size) {
    write_bytes(path, good.substr(0, size));
    EXPECT_THROW(load_safetensors(path), std::runtime_error) << "cut at " << size;
  }
}

TEST(Safetensors, EveryHeaderByteFlipIsAnErrorOrAValidFileNeverACrash) {
  TempDir dir;
  const std::string path = dir / "t.safetensors";
  save_safetensors(path, every_dtype(), {{"k", "v"}});
  const std::string good = read_bytes(path);
  const std::size_t header_end = 8 + static_cast<unsigned char>(good[0]) + (static_cast<unsigned char>(good[1]) << 8);
  int errors = 0;
  for (std::size_t i = 0; i < header_end; ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      write_bytes(path, bad);
      try {
        load_safetensors(path);
      } catch (const std::runtime_error& e) {
        ++errors;
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_GT(errors, static_cast<int>(header_end));  // most flips break the header
}

TEST(Safetensors, BadHeadersGiveExactErrors) {
  TempDir dir;
  const std::string path = dir / "bad.safetensors";
  auto load = [&] { load_safetensors(path); };

  write_bytes(path, length_prefix(std::uint64_t{1} << 40) + "{}");
  expect_file_error(load, path, "absurd header length 1099511627776");
  write_bytes(path, length_prefix(64) + "{}");
  expect_file_error(load, path, "header length 64 goes beyond the file");
  write_raw(path, R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})", "abcd");
  expect_file_error(load, path, "invalid JSON header");
  write_raw(path, R"([1, 2])", "");
  expect_file_error(load, path, "not an object");
  write_raw(path, R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", "abcd");
  expect_file_error(load, path, "tensor 'a' has unsupported dtype 'BF16'");
  write_raw(path, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "abcd");
  expect_file_error(load, path, "tensor 'a': shape 2 of F32 needs 8 bytes");
  write_raw(path, R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "abcd");
  expect_file_error(load, path, "is not a non-negative integer");
  write_raw(path, R"({"a":{"dtype":"U8","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}})", "");
  expect_file_error(load, path, "absurd shape");
  write_raw(path, R"({"a":{"dtype":"F32","shape":[1]}})", "abcd");
  expect_file_error(load, path, "tensor 'a' has no \"data_offsets\"");
  write_raw(path, R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
            "abcdef");
  expect_file_error(load, path, "tensor 'b' data_offsets [2, 6] overlap tensor 'a'");
  write_raw(path, R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})",
            "abcdef");
  expect_file_error(load, path, "hole in the data: bytes [2, 4)");
  write_raw(path, R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", "abcdef");
  expect_file_error(load, path, "data section is 6 bytes but the tensors end at byte 2");
  write_raw(path, R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", "abc");
  expect_file_error(load, path, "data section is 3 bytes but the tensors end at byte 8");
  write_raw(path, R"({"__metadata__":{"n":3}})", "");
  expect_file_error(load, path, "metadata \"n\" is not a string");
  expect_file_error([&] { load_safetensors(dir / "missing.safetensors"); }, dir / "missing.safetensors", "cannot open");
  // Tensors given out of name order in the header and empty ones between others load fine.
  write_raw(path, R"({"z":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"e":{"dtype":"F64","shape":[0],"data_offsets":[2,2]},)"
                  R"("a":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}})", "xyz");
  const auto ok = load_safetensors(path);
  EXPECT_EQ(ok.at("z").to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{'x', 'y'}));
  EXPECT_EQ(ok.at("a").to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{'z'}));
  EXPECT_EQ(ok.at("e").numel(), 0);
}

// Found while writing fuzz/fuzz_safetensors.cpp: nlohmann's dump() recursed once
// per level while quoting a bad shape entry, so a 200 KB header of nested arrays
// overflowed the stack (SIGSEGV) instead of failing. Nesting is now refused while
// the header is parsed.
TEST(Safetensors, DeeplyNestedHeaderIsAnErrorNotAStackOverflow) {
  TempDir dir;
  const std::string path = dir / "deep.safetensors";
  const std::size_t depth = 1'000'000;
  const std::string nested = std::string(depth, '[') + std::string(depth, ']');
  write_raw(path, R"({"a":{"dtype":"F32","shape":[)" + nested + R"(],"data_offsets":[0,0]}})", "");
  expect_file_error([&] { load_safetensors(path); }, path, "JSON header nested deeper than 16 levels");
  write_raw(path, R"({"__metadata__":{"k":)" + nested + "}}", "");
  expect_file_error([&] { load_safetensors(path); }, path, "nested deeper than 16 levels");
  // Our own headers nest three levels; a little deeper is still read (and then refused for what it is).
  write_raw(path, R"({"a":{"dtype":"F32","shape":[[[[1]]]],"data_offsets":[0,4]}})", "abcd");
  expect_file_error([&] { load_safetensors(path); }, path, "shape entry [[[1]]] is not a non-negative integer");
}

TEST(Safetensors, ErrorMessagesQuoteAtMostAHundredCharactersOfTheHeader) {
  TempDir dir;
  const std::string path = dir / "long.safetensors";
  std::string offsets = "[0";
  for (int i = 0; i < 10000; ++i) offsets += ",1";
  write_raw(path, R"({"a":{"dtype":"U8","shape":[1],"data_offsets":)" + offsets + "]}}", "x");
  try {
    load_safetensors(path);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_LT(std::string(e.what()).size(), 300u) << e.what();
    EXPECT_NE(std::string(e.what()).find("[0,1,1,"), std::string::npos) << e.what();
  }
}

TEST(Safetensors, ParseFromMemoryIsTheSameReader) {
  TempDir dir;
  const std::string path = dir / "t.safetensors";
  save_safetensors(path, every_dtype(), {{"k", "v"}});
  const std::string bytes = read_bytes(path);
  std::map<std::string, std::string> file_meta, memory_meta;
  const auto from_file = load_safetensors(path, &file_meta);
  const auto from_memory = parse_safetensors(bytes.data(), bytes.size(), "in-memory", &memory_meta);
  expect_same(from_file, from_memory);
  EXPECT_EQ(file_meta, memory_meta);
  // Every truncation is the file reader's error, naming the buffer.
  for (std::size_t size : {std::size_t{0}, std::size_t{7}, std::size_t{8}, std::size_t{40}, bytes.size() - 1}) {
    expect_file_error([&] { parse_safetensors(bytes.data(), size, "in-memory"); }, "in-memory", "");
  }
  expect_file_error([&] { parse_safetensors(bytes.data(), 7, "in-memory"); }, "[safetensors] in-memory",
                    "shorter than the 8-byte header length");
}

// ---- checkpoint directories ----

std::map<std::string, Tensor> model_state(float base) {
  std::map<std::string, Tensor> m;
  m["conv1.weight"] = Tensor::arange(0, 4 * 1 * 3 * 3, 1, DType::f32).view({4, 1, 3, 3});
  m["conv1.weight"].add_(Tensor::full({4, 1, 3, 3}, base));
  m["bn1.weight"] = Tensor::full({4}, base);
  m["bn1.running_mean"] = Tensor::full({4}, -base);
  m["bn1.num_batches_tracked"] = Tensor::scalar(base, DType::i64);
  m["fc.weight"] = Tensor::full({10, 4}, base / 3);
  m["fc.bias"] = Tensor::zeros({10});
  return m;
}

TrainingState training_state(std::int64_t step) {
  TrainingState s;
  s.step = step;
  s.epoch = step / 10;
  s.loader_position = step % 10 * 256;
  s.rng = {0xfeedfacecafebeefull, 1234567890123ull + static_cast<std::uint64_t>(step)};
  s.config_json = "{\n  \"lr\": 0.1,\n  \"name\": \"run \\\"a\\\"\"\n}";
  s.optimizer["momentum.conv1.weight"] = Tensor::full({4, 1, 3, 3}, 0.5 * static_cast<double>(step));
  s.optimizer["momentum.fc.bias"] = Tensor::full({10}, -1.0);
  s.extra["scheduler"] = "cosine";
  return s;
}

void save_step(const std::string& run, std::int64_t step, int keep_last = 2) {
  save_checkpoint(run, model_state(static_cast<float>(step)), training_state(step), {{"preprocessing", "mean=0.5"}},
                  keep_last);
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void flip_byte(const std::string& path, std::size_t from_end) {
  std::string bytes = read_bytes(path);
  bytes[bytes.size() - 1 - from_end] = static_cast<char>(bytes[bytes.size() - 1 - from_end] ^ 0x10);
  write_bytes(path, bytes);
}

TEST(Checkpoint, SavedCheckpointLoadsBackEqual) {
  TempDir run;
  save_step(run.path, 7);
  EXPECT_EQ(names_in(run / "checkpoints"), (std::vector<std::string>{"step-000000007"}));
  EXPECT_EQ(names_in(run / "checkpoints/step-000000007"),
            (std::vector<std::string>{"model.safetensors", "state.safetensors"}));
  const LoadedCheckpoint c = load_checkpoint(run / "checkpoints/step-000000007");
  const TrainingState want = training_state(7);
  expect_same(model_state(7), c.model);
  expect_same(want.optimizer, c.state.optimizer);
  EXPECT_EQ(c.state.step, 7);
  EXPECT_EQ(c.state.epoch, want.epoch);
  EXPECT_EQ(c.state.loader_position, want.loader_position);
  EXPECT_EQ(c.state.rng.seed, want.rng.seed);
  EXPECT_EQ(c.state.rng.offset, want.rng.offset);
  EXPECT_EQ(c.state.config_json, want.config_json);
  EXPECT_EQ(c.state.extra, want.extra);
  EXPECT_EQ(c.model_metadata, (std::map<std::string, std::string>{{"preprocessing", "mean=0.5"}}));
  // model.safetensors is plain safetensors with PyTorch's "format" tag and a CRC per tensor.
  std::map<std::string, std::string> meta;
  load_safetensors(run / "checkpoints/step-000000007/model.safetensors", &meta);
  EXPECT_EQ(meta.at("format"), "pt");
  EXPECT_EQ(meta.at("format_version"), "1");
  EXPECT_EQ(meta.at("crc32.fc.bias"), "e9ec3db1");  // Python: zlib.crc32(bytes(40)) == 0xe9ec3db1
  EXPECT_TRUE(meta.count("crc32.__header__"));
}

TEST(Checkpoint, RejectsReservedMetadataKeysAndBadArguments) {
  TempDir run;
  EXPECT_THROW(save_checkpoint(run.path, model_state(1), training_state(1), {{"crc32.fc.bias", "0"}}), std::invalid_argument);
  EXPECT_THROW(save_checkpoint(run.path, model_state(1), training_state(1), {{"format_version", "2"}}), std::invalid_argument);
  TrainingState s = training_state(1);
  s.extra["step"] = "9";
  EXPECT_THROW(save_checkpoint(run.path, model_state(1), s), std::invalid_argument);
  s = training_state(-1);
  EXPECT_THROW(save_checkpoint(run.path, model_state(1), s), std::invalid_argument);
  EXPECT_THROW(save_checkpoint(run.path, model_state(1), training_state(1), {}, 0), std::invalid_argument);
  EXPECT_TRUE(list_checkpoints(run.path).empty());
}

TEST(Checkpoint, DataByteFlipIsACrcMismatchNamingFileAndTensor) {
  TempDir run;
  save_step(run.path, 3);
  const std::string dir = run / "checkpoints/step-000000003";
  flip_byte(dir + "/model.safetensors", 0);  // the last byte: sorted last tensor is fc.weight
  expect_file_error([&] { load_checkpoint(dir); }, dir + "/model.safetensors", "crc32 mismatch for tensor 'fc.weight'");
  save_step(run.path, 3);  // saving the same step again replaces it
  EXPECT_NO_THROW(load_checkpoint(dir));
  flip_byte(dir + "/state.safetensors", 0);
  expect_file_error([&] { load_checkpoint(dir); }, dir + "/state.safetensors", "crc32 mismatch for tensor 'momentum.fc.bias'");
}

TEST(Checkpoint, EveryCorruptionOfAFileIsAnErrorNamingIt) {
  TempDir run;
  save_step(run.path, 4);
  const std::string dir = run / "checkpoints/step-000000004";
  for (const std::string file : {"model.safetensors", "state.safetensors"}) {
    const std::string path = dir + "/" + file;
    const std::string good = read_bytes(path);
    const std::size_t header_end = 8 + static_cast<unsigned char>(good[0]) + (static_cast<unsigned char>(good[1]) << 8);
    // Every header byte, flipped: always caught (the header CRC covers what parses).
    for (std::size_t i = 0; i < header_end; ++i) {
      for (unsigned char mask : {0x01, 0x80}) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ mask);
        write_bytes(path, bad);
        SCOPED_TRACE(file + " byte " + std::to_string(i) + " ^ " + std::to_string(mask));
        expect_file_error([&] { load_checkpoint(dir); }, path, "");
      }
    }
    // Every data byte, flipped: a CRC mismatch.
    for (std::size_t i = header_end; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      write_bytes(path, bad);
      expect_file_error([&] { load_checkpoint(dir); }, path, "crc32 mismatch for tensor");
    }
    for (std::size_t size : {std::size_t{0}, std::size_t{7}, std::size_t{8}, header_end - 1, header_end, good.size() - 1}) {
      write_bytes(path, good.substr(0, size));
      expect_file_error([&] { load_checkpoint(dir); }, path, "");
    }
    write_bytes(path, length_prefix(std::uint64_t{1} << 50) + good.substr(8));
    expect_file_error([&] { load_checkpoint(dir); }, path, "absurd header length");
    std::filesystem::remove(path);
    expect_file_error([&] { load_checkpoint(dir); }, path, "cannot open");
    write_bytes(path, good);
    EXPECT_NO_THROW(load_checkpoint(dir));
  }
}

TEST(Checkpoint, LoadLatestPicksTheNewest) {
  TempDir run;
  EXPECT_FALSE(load_latest_checkpoint(run.path).has_value());
  for (std::int64_t step : {5, 100, 20}) save_step(run.path, step, 5);
  save_step(run.path, 1000000000, 5);  // past nine digits: still ordered by number
  const auto latest = load_latest_checkpoint(run.path);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->state.step, 1000000000);
  EXPECT_EQ(fs::path(latest->dir).filename(), "step-1000000000");
  expect_same(model_state(1e9f), latest->model);
}

TEST(Checkpoint, LeftoverTmpDirectoryIsIgnoredAndCleanedOnNextSave) {
  TempDir run;
  save_step(run.path, 1);
  save_step(run.path, 2);
  // What a kill in the middle of writing step 3 leaves: a half-written tmp directory.
  fs::create_directories(run / "checkpoints/.tmp-step-000000003");
  write_bytes(run / "checkpoints/.tmp-step-000000003/model.safetensors", "\x40\0\0\0\0\0\0\0{\"a\":");
  write_bytes(run / "checkpoints/step-000000002/model.safetensors.tmp-999", "partial");
  const auto latest = load_latest_checkpoint(run.path);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->state.step, 2);
  save_step(run.path, 3);
  EXPECT_EQ(names_in(run / "checkpoints"), (std::vector<std::string>{"step-000000002", "step-000000003"}));
  EXPECT_EQ(load_latest_checkpoint(run.path)->state.step, 3);
}

TEST(Checkpoint, CorruptNewestFallsBackToThePreviousWithAWarning) {
  TempDir run;
  save_step(run.path, 1);
  save_step(run.path, 2);
  flip_byte(run / "checkpoints/step-000000002/model.safetensors", 5);
  ::testing::internal::CaptureStderr();
  const auto latest = load_latest_checkpoint(run.path);
  const std::string warning = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->state.step, 1);
  expect_same(model_state(1), latest->model);
  EXPECT_NE(warning.find("step-000000002/model.safetensors"), std::string::npos) << warning;
  EXPECT_NE(warning.find("crc32 mismatch for tensor 'fc.weight'"), std::string::npos) << warning;
  // All corrupt: none.
  flip_byte(run / "checkpoints/step-000000001/state.safetensors", 0);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(load_latest_checkpoint(run.path).has_value());
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("step-000000001/state.safetensors"), std::string::npos);
}

TEST(Checkpoint, KeepsTheLastK) {
  TempDir run;
  for (std::int64_t step = 1; step <= 6; ++step) save_step(run.path, step, 3);
  EXPECT_EQ(names_in(run / "checkpoints"),
            (std::vector<std::string>{"step-000000004", "step-000000005", "step-000000006"}));
  save_step(run.path, 7, 1);
  EXPECT_EQ(names_in(run / "checkpoints"), (std::vector<std::string>{"step-000000007"}));
  // A step below the newest (a run resumed from an older checkpoint) is kept too.
  save_step(run.path, 8, 2);
  save_step(run.path, 5, 2);
  EXPECT_EQ(names_in(run / "checkpoints"), (std::vector<std::string>{"step-000000005", "step-000000008"}));
}

TEST(Checkpoint, StateMismatchListsEveryProblemInOneMessage) {
  std::map<std::string, Tensor> expected{{"layer1.0.conv1.weight", Tensor::zeros({4, 4, 3, 3})},
                                         {"fc.weight", Tensor::zeros({100, 512})},
                                         {"bn.num_batches_tracked", Tensor::scalar(0, DType::i64)}};
  std::map<std::string, Tensor> loaded{{"foo.bar", Tensor::zeros({1})},
                                       {"fc.weight", Tensor::zeros({10, 512})},
                                       {"bn.num_batches_tracked", Tensor::scalar(0, DType::f32)}};
  try {
    check_state_matches(expected, loaded, "DIR/model.safetensors");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "[checkpoint] DIR/model.safetensors: missing layer1.0.conv1.weight; unexpected foo.bar; "
                 "bn.num_batches_tracked has dtype f32, expected i64; fc.weight has shape 10x512, expected 100x512");
  }
  EXPECT_NO_THROW(check_state_matches(expected, expected, "same"));
}

// ---- SIGKILL during writing ----

// Fills the tensors with values that depend on the step, so a loaded checkpoint can be
// checked against the step it claims to be.
void fill_for_step(Tensor& weights, Tensor& momentum, std::int64_t step) {
  float* w = weights.data<float>();
  for (std::int64_t i = 0; i < weights.numel(); ++i) w[i] = static_cast<float>(step) + static_cast<float>(i % 1024);
  double* m = momentum.data<double>();
  for (std::int64_t i = 0; i < momentum.numel(); ++i) m[i] = -static_cast<double>(step) * 0.5 - static_cast<double>(i % 7);
}

[[noreturn]] void writer_child(const std::string& run, Tensor weights, Tensor momentum, std::int64_t first_step) {
  try {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (std::int64_t step = first_step; std::chrono::steady_clock::now() < deadline; ++step) {
      fill_for_step(weights, momentum, step);
      TrainingState s;
      s.step = step;
      s.optimizer["momentum.fc.weight"] = momentum;
      save_checkpoint(run, {{"fc.weight", weights}}, s);
    }
    ::_exit(0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "writer child failed: %s\n", e.what());
    ::_exit(3);
  }
}

TEST(CheckpointKill, SigkillWhileWritingResumesFromTheLastCompleteOne) {
  TempDir run;
  // About 6 MB per checkpoint: 4 MB of model, 2 MB of optimizer state.
  Tensor weights = Tensor::empty({1 << 20}, DType::f32);
  Tensor momentum = Tensor::empty({1 << 18}, DType::f64);
  std::mt19937 rng(20240607);
  const std::vector<int> upper_ms = {30, 150, 300, 600, 80, 400, 1000, 250};
  int with_checkpoint = 0, without = 0, killed_mid_write = 0;
  for (std::size_t round = 0; round < upper_ms.size(); ++round) {
    const std::int64_t first_step = static_cast<std::int64_t>(round) * 100000 + 1;
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0) writer_child(run.path, weights, momentum, first_step);
    const int delay = std::uniform_int_distribution<int>(5, upper_ms[round])(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the writer ended on its own, status " << status;

    // A writer killed within its first milliseconds (a loaded machine) may not have
    // made checkpoints/ yet: that round simply has no checkpoint.
    if (fs::exists(run / "checkpoints")) {
      for (const std::string& name : names_in(run / "checkpoints")) killed_mid_write += name.rfind(".tmp-", 0) == 0;
    }
    ::testing::internal::CaptureStderr();
    const auto latest = load_latest_checkpoint(run.path);
    const std::string warnings = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(warnings, "") << "round " << round << ": an incomplete checkpoint was visible";
    if (!latest) {
      EXPECT_TRUE(list_checkpoints(run.path).empty()) << "round " << round;
      ++without;
      continue;
    }
    ++with_checkpoint;
    const std::int64_t step = latest->state.step;
    EXPECT_EQ(fs::path(latest->dir).filename(), "step-" + std::string(9 - std::to_string(step).size(), '0') + std::to_string(step));
    Tensor want_w = weights.clone(), want_m = momentum.clone();
    fill_for_step(want_w, want_m, step);
    expect_same(want_w, latest->model.at("fc.weight"), "fc.weight");
    expect_same(want_m, latest->state.optimizer.at("momentum.fc.weight"), "momentum");
    std::cout << "[ kill     ] round " << round << ": killed after " << delay << " ms, resumed from step "
              << step << "\n";
  }
  std::cout << "[ kill     ] " << with_checkpoint << " rounds resumed, " << without
            << " had no complete checkpoint yet, " << killed_mid_write << " left a half-written .tmp directory\n";
  EXPECT_EQ(with_checkpoint + without, static_cast<int>(upper_ms.size()));
  EXPECT_GT(with_checkpoint, 0);
  // The next save cleans whatever the last kill left.
  TrainingState last;
  last.step = 999999999;
  save_checkpoint(run.path, {{"fc.weight", weights}}, last);
  for (const std::string& name : names_in(run / "checkpoints")) EXPECT_NE(name.rfind(".tmp-", 0), 0u) << name;
}

}  // namespace
}  // namespace nanossl::nn
