// Writing files so that failures are reported and never half-done; see file_write.h.
#include "base/file_write.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

namespace nanossl {

namespace {

const char* const kFaultVariable = "NANOSSL_FAIL_WRITE";
const char* const kDelayVariable = "NANOSSL_WRITE_DELAY_MS";

struct FaultState {
  WriteFault fault;
  std::int64_t delay_ms = 0;
  std::int64_t count = 0;
};

// Read from the environment once, at the first use; tests replace it with set_write_fault.
FaultState& fault_state() {
  static FaultState state = [] {
    FaultState s;
    if (const char* text = std::getenv(kFaultVariable); text != nullptr && *text != '\0') {
      s.fault = parse_write_fault(text);
    }
    if (const char* text = std::getenv(kDelayVariable); text != nullptr && *text != '\0') {
      char* end = nullptr;
      s.delay_ms = std::strtoll(text, &end, 10);
      if (*end != '\0' || s.delay_ms < 0) {
        throw std::invalid_argument(std::string(kDelayVariable) + "='" + text + "': expected milliseconds");
      }
    }
    return s;
  }();
  return state;
}

std::mutex& fault_mutex() {
  static std::mutex mutex;
  return mutex;
}

// The errno the hook makes this write fail with, or 0; sleeps first when asked to.
int injected_error(const std::string& path) {
  std::int64_t delay_ms = 0;
  int error = 0;
  {
    std::lock_guard<std::mutex> lock(fault_mutex());
    FaultState& s = fault_state();
    delay_ms = s.delay_ms;
    const bool counts = s.fault.path_contains.empty() || path.find(s.fault.path_contains) != std::string::npos;
    if (counts && ++s.count == s.fault.nth) error = s.fault.error != 0 ? s.fault.error : ENOSPC;
  }
  if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  return error;
}

struct NamedErrno {
  const char* name;
  int value;
};
constexpr NamedErrno kErrnos[] = {{"ENOSPC", ENOSPC}, {"EIO", EIO}, {"EDQUOT", EDQUOT}, {"EROFS", EROFS}, {"EFBIG", EFBIG}};

void close_quietly(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

WriteError::WriteError(const std::string& who, const std::string& path, const std::string& what, int error)
    : std::runtime_error(who + " " + path + ": " + what + ": " + std::strerror(error)), path_(path), error_(error) {}

WriteFault parse_write_fault(const std::string& text) {
  auto bad = [&text](const std::string& why) {
    return std::invalid_argument(std::string(kFaultVariable) + "='" + text + "': " + why +
                                 " (expected N[:ERRNO][@TEXT], e.g. 3, 3:EIO or 1@metrics.csv)");
  };
  WriteFault fault;
  std::string rest = text;
  if (const std::size_t at = rest.find('@'); at != std::string::npos) {
    fault.path_contains = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (fault.path_contains.empty()) throw bad("empty text after '@'");
  }
  std::string number = rest, name;
  if (const std::size_t colon = rest.find(':'); colon != std::string::npos) {
    number = rest.substr(0, colon);
    name = rest.substr(colon + 1);
  }
  char* end = nullptr;
  fault.nth = number.empty() ? 0 : std::strtoll(number.c_str(), &end, 10);
  if (number.empty() || *end != '\0' || fault.nth < 1) throw bad("N must be a positive integer");
  if (!name.empty()) {
    const auto* found = std::find_if(std::begin(kErrnos), std::end(kErrnos),
                                     [&name](const NamedErrno& e) { return name == e.name; });
    if (found == std::end(kErrnos)) throw bad("unknown errno name '" + name + "'");
    fault.error = found->value;
  }
  return fault;
}

void set_write_fault(const WriteFault& fault) {
  std::lock_guard<std::mutex> lock(fault_mutex());
  fault_state().fault = fault;
  fault_state().count = 0;
}

std::int64_t write_count() {
  std::lock_guard<std::mutex> lock(fault_mutex());
  return fault_state().count;
}

void write_all(int fd, const void* data, std::size_t bytes, const std::string& path, const std::string& who) {
  if (const int error = injected_error(path)) throw WriteError(who, path, "write failed", error);
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd, p, std::min<std::size_t>(bytes, 1u << 30));
    if (n < 0 && errno == EINTR) continue;
    // write() returns 0 only for a zero-byte request; treat it as the disk being full.
    if (n <= 0) throw WriteError(who, path, "write failed", n < 0 ? errno : ENOSPC);
    p += n;
    bytes -= static_cast<std::size_t>(n);
  }
}

void fsync_file(int fd, const std::string& path, const std::string& who) {
  if (::fsync(fd) != 0) throw WriteError(who, path, "fsync failed", errno);
}

void fsync_directory(const std::string& dir, const std::string& who) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw WriteError(who, dir, "cannot open the directory to fsync it", errno);
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0 && error != EINVAL) throw WriteError(who, dir, "fsync of the directory failed", error);
}

AtomicFile::AtomicFile(std::string path, std::string who) : path_(std::move(path)), who_(std::move(who)) {
  temporary_ = path_ + ".tmp-XXXXXX";
  fd_ = ::mkostemp(temporary_.data(), O_CLOEXEC);
  if (fd_ < 0) throw WriteError(who_, path_, "cannot create a temporary file beside it", errno);
  if (::fchmod(fd_, 0644) != 0) {
    const int error = errno;
    close_quietly(fd_);
    ::unlink(temporary_.c_str());
    throw WriteError(who_, temporary_, "cannot set its permissions", error);
  }
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  close_quietly(fd_);
  ::unlink(temporary_.c_str());
}

void AtomicFile::write(const void* data, std::size_t bytes) {
  if (fd_ < 0) throw std::logic_error(who_ + " " + path_ + ": write after commit");
  if (bytes > 0) write_all(fd_, data, bytes, temporary_, who_);
}

void AtomicFile::commit() {
  if (fd_ < 0) throw std::logic_error(who_ + " " + path_ + ": committed twice");
  fsync_file(fd_, temporary_, who_);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) throw WriteError(who_, temporary_, "close failed", errno);
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
    throw WriteError(who_, path_, "cannot rename " + temporary_ + " onto it", errno);
  }
  committed_ = true;
  const std::size_t slash = path_.rfind('/');
  fsync_directory(slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash)), who_);
}

void write_file_atomically(const std::string& path, std::string_view bytes, const std::string& who) {
  AtomicFile file(path, who);
  file.write(bytes);
  file.commit();
}

AppendFile::AppendFile(std::string path, std::string who) : path_(std::move(path)), who_(std::move(who)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw WriteError(who_, path_, "cannot open for appending", errno);
}

AppendFile::~AppendFile() { close_quietly(fd_); }

void AppendFile::append(std::string_view text) {
  if (text.empty()) return;
  write_all(fd_, text.data(), text.size(), path_, who_);
  // A file removed while open (its directory deleted under a run) takes every write
  // and keeps none of it: say so rather than lose the rows.
  struct stat info {};
  if (::fstat(fd_, &info) != 0) throw WriteError(who_, path_, "cannot stat after writing", errno);
  if (info.st_nlink == 0) throw WriteError(who_, path_, "the file was removed while being written", ENOENT);
}

}  // namespace nanossl
