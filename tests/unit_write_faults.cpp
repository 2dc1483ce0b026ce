// Write failures lose nothing (issue 17, item 5): with the fault hook of
// base/file_write.h making the N-th write fail (ENOSPC, as a full disk does), every
// writer throws an error naming the file and the system's reason, and the file it
// was replacing (a checkpoint, result.json, metrics.csv) is still the old, complete one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "base/file_write.h"
#include "commands/run_directory.h"
#include "nn/checkpoint.h"
#include "test_util.h"

namespace nanossl {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::TempDir;

// Every test starts and ends with no fault armed and a fresh count.
class WriteFaults : public ::testing::Test {
 protected:
  void SetUp() override { set_write_fault({}); }
  void TearDown() override { set_write_fault({}); }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Names in `dir` that a writer uses for its temporaries.
std::vector<std::string> temporaries_in(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) found.push_back(entry.path().string());
  }
  return found;
}

// Runs `f`, which must throw WriteError whose message names a path containing
// `path_part` and says `reason`.
template <class F>
void expect_write_error(F f, const std::string& path_part, const std::string& reason = "No space left on device") {
  try {
    f();
    ADD_FAILURE() << "no WriteError; expected one naming " << path_part;
  } catch (const WriteError& e) {
    const std::string what = e.what();
    EXPECT_NE(e.path().find(path_part), std::string::npos) << what;
    EXPECT_NE(what.find(e.path()), std::string::npos) << what;
    EXPECT_NE(what.find(reason), std::string::npos) << what;
  }
}

TEST_F(WriteFaults, TheVariableIsParsedOrRefusedByName) {
  WriteFault f = parse_write_fault("3");
  EXPECT_EQ(f.nth, 3);
  EXPECT_EQ(f.error, 0);  // ENOSPC
  EXPECT_TRUE(f.path_contains.empty());
  f = parse_write_fault("2:EIO");
  EXPECT_EQ(f.nth, 2);
  EXPECT_EQ(f.error, EIO);
  f = parse_write_fault("4:EROFS@step-000000006/state");
  EXPECT_EQ(f.nth, 4);
  EXPECT_EQ(f.error, EROFS);
  EXPECT_EQ(f.path_contains, "step-000000006/state");
  f = parse_write_fault("1@metrics.csv");
  EXPECT_EQ(f.nth, 1);
  EXPECT_EQ(f.path_contains, "metrics.csv");
  for (const char* bad : {"0", "-1", "x", "3x", ":EIO", "3:ENOPE", "3@", ""}) {
    expect_error([&] { parse_write_fault(bad); }, {"NANOSSL_FAIL_WRITE='" + std::string(bad) + "'", "N[:ERRNO][@TEXT]"});
  }
}

TEST_F(WriteFaults, OnlyTheNthMatchingWriteFailsAndOnlyOnce) {
  TempDir dir;
  set_write_fault({2, 0, "b.txt"});
  write_file_atomically(dir.file("a.txt"), "a", "[test]");  // does not count
  write_file_atomically(dir.file("b.txt"), "1", "[test]");
  EXPECT_EQ(write_count(), 1);
  expect_write_error([&] { write_file_atomically(dir.file("b.txt"), "2", "[test]"); }, dir.file("b.txt"));
  write_file_atomically(dir.file("b.txt"), "3", "[test]");  // a one-off fault
  EXPECT_EQ(read_text(dir.file("b.txt")), "3");
  EXPECT_EQ(write_count(), 3);
}

TEST_F(WriteFaults, AFailedReplaceKeepsTheOldFileAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir.file("result.json");
  write_text(path, "{\"old\": 1}");
  for (const int error : {ENOSPC, EIO, EDQUOT, EROFS, EFBIG}) {
    set_write_fault({1, error, ""});
    expect_write_error([&] { write_text(path, "{\"new\": 2}"); }, dir.file("result.json"), std::strerror(error));
    EXPECT_EQ(read_text(path), "{\"old\": 1}\n");
    EXPECT_TRUE(temporaries_in(dir.path).empty());
  }
}

TEST_F(WriteFaults, RemovedDirectoryIsAnErrorNamingTheFile) {
  TempDir dir;
  const std::string gone = dir.file("run");
  fs::create_directory(gone);
  fs::remove(gone);
  expect_write_error([&] { write_text(gone + "/result.json", "{}"); }, gone + "/result.json", "No such file or directory");
  expect_write_error([&] { AppendFile(gone + "/metrics.csv", "[metrics]"); }, gone + "/metrics.csv",
                     "No such file or directory");
  // A file whose directory goes while it is being appended to: the rows would go
  // nowhere, so the next append says so.
  fs::create_directory(gone);
  AppendFile metrics(gone + "/metrics.csv", "[metrics]");
  metrics.append("step\n");
  fs::remove_all(gone);
  expect_write_error([&] { metrics.append("1\n"); }, gone + "/metrics.csv", "No such file or directory");
}

TEST_F(WriteFaults, AFailedMetricsRowStopsAndKeepsEveryEarlierRow) {
  TempDir dir;
  const std::string path = dir.file("metrics.csv");
  {
    MetricsFile metrics(path, {"step", "loss"}, 0);
    metrics.row({"1", "0.5"});
    metrics.row({"2", "0.4"});
    set_write_fault({1, 0, "metrics.csv"});
    expect_write_error([&] { metrics.row({"3", "0.3"}); }, path);
  }
  EXPECT_EQ(read_text(path), "step,loss\n1,0.5\n2,0.4\n");
  // The rewrite on resume is atomic: failing, it leaves the file as it was.
  set_write_fault({1, 0, "metrics.csv"});
  expect_write_error([&] { MetricsFile(path, {"step", "loss"}, 1); }, path);
  EXPECT_EQ(read_text(path), "step,loss\n1,0.5\n2,0.4\n");
  EXPECT_TRUE(temporaries_in(dir.path).empty());
}

TEST_F(WriteFaults, ResumeDropsAPartialLastRow) {
  TempDir dir;
  const std::string path = dir.file("metrics.csv");
  std::ofstream(path) << "step,loss\n1,0.5\n2,0.4\n3,0.";  // a row cut short by a full disk
  {
    MetricsFile metrics(path, {"step", "loss"}, 3);
    metrics.row({"4", "0.2"});
  }
  EXPECT_EQ(read_text(path), "step,loss\n1,0.5\n2,0.4\n4,0.2\n");
  std::ofstream(path) << "step,loss\n1,0.5\n2";  // cut inside the step number
  { MetricsFile metrics(path, {"step", "loss"}, 3); }
  EXPECT_EQ(read_text(path), "step,loss\n1,0.5\n");
}

// ---- checkpoints ----

std::map<std::string, Tensor> model_state(float base) {
  return {{"conv1.weight", Tensor::full({4, 1, 3, 3}, base)},
          {"bn1.num_batches_tracked", Tensor::scalar(base, DType::i64)},
          {"fc.weight", Tensor::full({10, 4}, base / 3)},
          {"fc.bias", Tensor::zeros({10})}};
}

nn::TrainingState training_state(std::int64_t step, float base) {
  nn::TrainingState s;
  s.step = step;
  s.epoch = step / 10;
  s.loader_position = step % 10;
  s.rng = {42, 1000 + static_cast<std::uint64_t>(step)};
  s.config_json = "{\"lr\": 0.1}";
  s.optimizer["momentum.conv1.weight"] = Tensor::full({4, 1, 3, 3}, 0.5 * base);
  s.optimizer["momentum.fc.bias"] = Tensor::full({10}, -1.0);
  return s;
}

void save(const std::string& run, std::int64_t step, float base) {
  nn::save_checkpoint(run, model_state(base), training_state(step, base), {{"preprocessing", "x/255"}});
}

void expect_same(const std::map<std::string, Tensor>& want, const std::map<std::string, Tensor>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (const auto& [name, t] : want) {
    ASSERT_TRUE(got.count(name)) << name;
    const Tensor& g = got.at(name);
    ASSERT_EQ(t.shape(), g.shape()) << name;
    ASSERT_EQ(t.dtype(), g.dtype()) << name;
    if (t.nbytes() > 0) {
      EXPECT_EQ(std::memcmp(t.data_ptr(), g.data_ptr(), t.nbytes()), 0) << name;
    }
  }
}

// The newest checkpoint of `run` loads, without a warning, as step `step` saved with `base`.
void expect_latest(const std::string& run, std::int64_t step, float base, const std::string& context) {
  SCOPED_TRACE(context);
  ::testing::internal::CaptureStderr();
  const auto latest = nn::load_latest_checkpoint(run);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << "a checkpoint was skipped";
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->state.step, step);
  expect_same(model_state(base), latest->model);
  expect_same(training_state(step, base).optimizer, latest->state.optimizer);
  EXPECT_EQ(latest->state.rng.offset, training_state(step, base).rng.offset);
  EXPECT_EQ(latest->state.config_json, "{\"lr\": 0.1}");
  EXPECT_EQ(latest->model_metadata.at("preprocessing"), "x/255");
}

TEST_F(WriteFaults, EveryWriteOfACheckpointSaveCanFailAndThePreviousOneStays) {
  TempDir run;
  save(run.path, 1, 1.0f);
  save(run.path, 2, 2.0f);
  // How many writes one save performs.
  {
    TempDir other;
    set_write_fault({});
    save(other.path, 3, 3.0f);
  }
  const std::int64_t writes = write_count();
  ASSERT_GE(writes, 4);  // two files, each a header and tensors
  const std::vector<std::string> before = nn::list_checkpoints(run.path);
  ASSERT_EQ(before.size(), 2u);
  for (std::int64_t n = 1; n <= writes; ++n) {
    const std::string context = "write " + std::to_string(n) + " of " + std::to_string(writes);
    set_write_fault({n, 0, ""});
    expect_write_error([&] { save(run.path, 3, 3.0f); }, run.path + "/checkpoints/.tmp-step-000000003/");
    set_write_fault({});
    EXPECT_EQ(nn::list_checkpoints(run.path), before) << context;
    EXPECT_TRUE(temporaries_in(run.path).empty()) << context;  // the half-made one is removed
    expect_latest(run.path, 2, 2.0f, context);
    // Saving the same step again (a resumed run) must not lose the old one either.
    set_write_fault({n, 0, ""});
    expect_write_error([&] { save(run.path, 2, 9.0f); }, run.path + "/checkpoints/.tmp-step-000000002/");
    set_write_fault({});
    expect_latest(run.path, 2, 2.0f, context + ", same step");
  }
  std::cout << "[ faults   ] each of the " << writes << " writes of a checkpoint save failed in turn\n";
  // Then, with room again, saves go on as before.
  save(run.path, 3, 3.0f);
  expect_latest(run.path, 3, 3.0f, "after the faults");
  EXPECT_EQ(nn::list_checkpoints(run.path).size(), 2u);
}

TEST_F(WriteFaults, AHalfWrittenTemporaryIsNeverLoadedAsACheckpoint) {
  TempDir run;
  save(run.path, 1, 1.0f);
  // What a kill at the failing write would leave: the temporary directory with a part of a file.
  const std::string tmp = run.path + "/checkpoints/.tmp-step-000000002";
  fs::create_directory(tmp);
  std::ofstream(tmp + "/model.safetensors") << "\x40\0\0\0";
  EXPECT_EQ(nn::list_checkpoints(run.path), std::vector<std::string>{run.path + "/checkpoints/step-000000001"});
  expect_latest(run.path, 1, 1.0f, "with a stray .tmp directory");
}

}  // namespace
}  // namespace nanossl
