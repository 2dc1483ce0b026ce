// The one way the program writes files, so that a failed write (disk full, a
// read-only or removed directory) stops with the file and the system's reason, and
// never leaves half a file where a good one was: every byte goes through
// write_all; whole files are replaced atomically (AtomicFile: a temporary beside the
// target, fsync, rename, fsync of the directory); metrics.csv appends through
// AppendFile. Tests make the N-th write fail on purpose: NANOSSL_FAIL_WRITE (below).
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nanossl {

// "[who] PATH: WHAT: strerror(error)"; path() and error() let a caller add context.
class WriteError : public std::runtime_error {
 public:
  WriteError(const std::string& who, const std::string& path, const std::string& what, int error);
  const std::string& path() const { return path_; }
  int error() const { return error_; }

 private:
  std::string path_;
  int error_;
};

// Writes every byte to `fd` (EINTR and short writes retried); one call is one write
// for the fault hook. Throws WriteError naming `path`.
void write_all(int fd, const void* data, std::size_t bytes, const std::string& path, const std::string& who);
// fsync of an open file, and of a directory (which makes a rename in it durable;
// where a file system cannot fsync a directory, EINVAL, it is skipped).
void fsync_file(int fd, const std::string& path, const std::string& who);
void fsync_directory(const std::string& dir, const std::string& who);

// A file that replaces `path` only when complete: bytes go to PATH.tmp-XXXXXX
// (mode 0644); commit() fsyncs and closes it, renames it onto `path` and fsyncs
// the directory. Until then `path` keeps its old contents; destroyed without
// commit (a failed write, an exception), the temporary is removed.
class AtomicFile {
 public:
  AtomicFile(std::string path, std::string who);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(const void* data, std::size_t bytes);
  void write(std::string_view text) { write(text.data(), text.size()); }
  void commit();
  const std::string& temporary() const { return temporary_; }

 private:
  std::string path_, temporary_, who_;
  int fd_ = -1;
  bool committed_ = false;
};

// AtomicFile in one call.
void write_file_atomically(const std::string& path, std::string_view bytes, const std::string& who);

// A file opened for appending and written unbuffered, one write per append(), so a
// failure leaves every earlier append complete (and at most a part of the failing one).
class AppendFile {
 public:
  AppendFile(std::string path, std::string who);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  void append(std::string_view text);

 private:
  std::string path_, who_;
  int fd_ = -1;
};

// Fault injection. NANOSSL_FAIL_WRITE=N[:ERRNO][@TEXT] makes the N-th write_all of
// the process (counting only writes to paths containing TEXT, when given) fail with
// ERRNO (ENOSPC by default; EIO, EDQUOT, EROFS, EFBIG, ENOSPC are understood), once.
// NANOSSL_WRITE_DELAY_MS=M sleeps M ms before every write (for kill-during-save
// tests). Both are read at the first write; a malformed value is an error then.
struct WriteFault {
  std::int64_t nth = 0;       // 0: no fault
  int error = 0;              // errno to fail with; 0 means ENOSPC
  std::string path_contains;  // empty: every path counts
};
// Replaces the environment's fault and restarts the count (tests).
void set_write_fault(const WriteFault& fault);
// Writes counted since the process started or the last set_write_fault.
std::int64_t write_count();
// Parses a NANOSSL_FAIL_WRITE value; throws std::invalid_argument on a bad one.
WriteFault parse_write_fault(const std::string& text);

}  // namespace nanossl
