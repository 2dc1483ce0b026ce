// Run directories: configuration, checkpoints, metrics and the progress clock; see run_directory.h.
#include "commands/run_directory.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "base/file_write.h"
#include "cpu/gemm.h"
#include "tensor/random.h"

namespace nanossl {

namespace {

void write_config(const std::string& out, const Json& config) {
  std::filesystem::create_directories(out);
  write_text(out + "/config.json", config.dump(2));
}

// The saved configuration of the run in `dir` and its latest complete checkpoint.
template <class Config>
std::pair<Config, nn::LoadedCheckpoint> saved_run(const std::string& command, const RunOptions& options) {
  std::optional<nn::LoadedCheckpoint> checkpoint = nn::load_latest_checkpoint(options.resume);
  if (!checkpoint) {
    throw std::runtime_error("[" + command + "] --resume " + options.resume + ": no complete checkpoint to resume from");
  }
  for (const std::string& assignment : options.overrides) {
    if (assignment.rfind("stop_after_steps=", 0) != 0 && assignment.rfind("detect_anomaly=", 0) != 0) {
      throw std::invalid_argument("[" + command +
                                  "] --resume takes the saved configuration; only stop_after_steps and detect_anomaly may change");
    }
  }
  Json saved = Json::parse(checkpoint->state.config_json);
  saved["stop_after_steps"] = 0;  // a stop asked of the earlier process is not inherited
  saved["detect_anomaly"] = false;  // nor a diagnosis
  Config config = config_with_overrides<Config>(saved, options.overrides, checkpoint->dir + " (its configuration)");
  return {std::move(config), std::move(*checkpoint)};
}

}  // namespace

// The command's name for messages, from its configuration type.
template <class Config>
const char* command_of() {
  if constexpr (std::is_same_v<Config, TrainConfig>) return "train";
  else if constexpr (std::is_same_v<Config, PretrainConfig>) return "pretrain";
  else if constexpr (std::is_same_v<Config, ProbeConfig>) return "linear";
  else return "knn";
}

template <class Config>
RunStart<Config> start_fresh(const std::string& out, const Config& config) {
  auto lock = std::make_shared<DirectoryLock>(out, command_of<Config>());  // before anything is written
  write_config(out, config_to_json(config));
  return {out, config, std::nullopt, std::move(lock)};
}

template <class Config>
Config planned_config(const std::string& command, const RunOptions& options) {
  if (options.resume.empty()) return resolve_config<Config>(options.preset, options.overrides);
  return saved_run<Config>(command, options).first;
}

template <class Config>
RunStart<Config> start_run(const std::string& command, const RunOptions& options) {
  if (options.resume.empty()) return start_fresh(options.out, resolve_config<Config>(options.preset, options.overrides));
  auto lock = std::make_shared<DirectoryLock>(options.resume, command);  // before the checkpoint is read
  auto [config, checkpoint] = saved_run<Config>(command, options);
  write_config(options.resume, config_to_json(config));
  return {options.resume, std::move(config), std::move(checkpoint), std::move(lock)};
}

template RunStart<TrainConfig> start_fresh(const std::string&, const TrainConfig&);
template RunStart<PretrainConfig> start_fresh(const std::string&, const PretrainConfig&);
template RunStart<ProbeConfig> start_fresh(const std::string&, const ProbeConfig&);
template RunStart<KnnConfig> start_fresh(const std::string&, const KnnConfig&);
template RunStart<TrainConfig> start_run<TrainConfig>(const std::string&, const RunOptions&);
template RunStart<PretrainConfig> start_run<PretrainConfig>(const std::string&, const RunOptions&);
template TrainConfig planned_config<TrainConfig>(const std::string&, const RunOptions&);
template PretrainConfig planned_config<PretrainConfig>(const std::string&, const RunOptions&);

GemmPrecision::GemmPrecision(const std::string& precision) {
  if (precision == "fp32") return;
  if (precision != "bf16") throw std::invalid_argument("[config] precision: expected fp32 or bf16, got '" + precision + "'");
  if (!cpu::cpu_has_avx512_bf16()) {
    std::printf("precision bf16: this CPU has no AVX512_BF16; the run stays fp32\n");
    return;
  }
  cpu::set_gemm_kernel(cpu::GemmKernel::avx512_bf16);
  forced_ = true;
}

GemmPrecision::~GemmPrecision() {
  if (forced_) cpu::set_gemm_kernel(cpu::GemmKernel::automatic);
}

RunCounters restore_run(const nn::LoadedCheckpoint& checkpoint, nn::Module& model, nn::Optimizer& optimizer) {
  nn::check_state_matches(model.state_dict(), checkpoint.model, checkpoint.dir + "/model.safetensors");
  model.load_state_dict(checkpoint.model);
  optimizer.load_state(checkpoint.state.optimizer);
  set_generator_state(checkpoint.state.rng);
  std::printf("resuming from %s (step %lld, epoch %lld, batch %lld)\n", checkpoint.dir.c_str(),
              static_cast<long long>(checkpoint.state.step), static_cast<long long>(checkpoint.state.epoch),
              static_cast<long long>(checkpoint.state.loader_position));
  return {checkpoint.state.step, checkpoint.state.epoch, checkpoint.state.loader_position};
}

void save_run(const std::string& out, const nn::Module& model, const nn::Optimizer& optimizer,
              const RunCounters& counters, const Json& config, const std::string& preprocessing) {
  nn::TrainingState state;
  state.step = counters.step;
  state.epoch = counters.epoch;
  state.loader_position = counters.position;
  state.rng = generator_state();
  state.config_json = config.dump();
  for (const auto& [name, tensor] : optimizer.state()) state.optimizer[name] = tensor;
  nn::save_checkpoint(out, model.state_dict(), state, {{"preprocessing", preprocessing}});
}

void write_text(const std::string& path, const std::string& text) {
  // Written beside the target and renamed over it: a run killed or out of space
  // mid-write leaves the old file or the new one, never half of one (result.json
  // marks a finished run).
  write_file_atomically(path, text + "\n", "[write]");
}

Json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  try {
    return Json::parse(in);
  } catch (const std::exception& error) {
    throw std::runtime_error(path + ": " + error.what());
  }
}

ProgressClock::ProgressClock(std::int64_t first_step, std::int64_t total_steps)
    : start_(Clock::now()), since_(start_), first_step_(first_step), total_steps_(total_steps) {}

double ProgressClock::images_per_s(double images_in_window) {
  const auto now = Clock::now();
  const double window = std::chrono::duration<double>(now - since_).count();
  since_ = now;
  return window > 0 ? images_in_window / window : 0.0;
}

std::string ProgressClock::eta(std::int64_t step) const {
  const double done = static_cast<double>(step - first_step_);
  const double seconds = done > 0 ? this->seconds() / done * static_cast<double>(total_steps_ - step) : 0.0;
  return format_duration(seconds);
}

std::string format_duration(double seconds) {
  const long total = seconds > 0 ? static_cast<long>(seconds + 0.5) : 0;
  char text[32];
  if (total < 60) std::snprintf(text, sizeof text, "%lds", total);
  else if (total < 3600) std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
  else std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, total % 3600 / 60);
  return text;
}

double ProgressClock::seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

namespace {

// The complete rows of an earlier metrics.csv up to `resume_step`. A last line
// without its newline (a row whose append failed or was killed) is not a row.
std::vector<std::string> rows_up_to(const std::string& path, std::int64_t resume_step) {
  std::vector<std::string> kept;
  std::ifstream in(path, std::ios::binary);
  if (!in) return kept;
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  std::size_t begin = text.find('\n');  // after the header
  while (begin != std::string::npos && begin + 1 < text.size()) {
    const std::size_t end = text.find('\n', begin + 1);
    if (end == std::string::npos) break;
    const std::string line = text.substr(begin + 1, end - begin - 1);
    std::int64_t step = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), step);
    if (ec == std::errc() && ptr != line.data() && *ptr == ',' && step <= resume_step) kept.push_back(line);
    begin = end;
  }
  return kept;
}

std::string csv_line(const std::vector<std::string>& values) {
  std::string line;
  for (std::size_t i = 0; i < values.size(); ++i) line += (i ? "," : "") + values[i];
  return line + "\n";
}

}  // namespace

MetricsFile::MetricsFile(const std::string& path, const std::vector<std::string>& columns, std::int64_t resume_step) {
  // The kept rows are rewritten atomically, so a failure here loses nothing.
  std::string text = csv_line(columns);
  if (resume_step > 0) {
    for (const std::string& line : rows_up_to(path, resume_step)) text += line + "\n";
  }
  write_file_atomically(path, text, "[metrics]");
  file_ = std::make_unique<AppendFile>(path, "[metrics]");
}

MetricsFile::~MetricsFile() = default;

// One unbuffered write per row: a failed one throws at once (the training loop
// stops the run), and every earlier row is complete in the file.
void MetricsFile::row(const std::vector<std::string>& values) { file_->append(csv_line(values)); }

std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

}  // namespace nanossl
