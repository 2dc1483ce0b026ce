// Format sniffing, decoder dispatch, and whole-file I/O for the data layer:
// read_file names the path and the OS reason on every failure; write_file goes
// through base/file_write.h (a temporary beside the target, fsync, rename).
#include "data/codec.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "base/file_write.h"

namespace nanossl::data {

ImageFormat sniff_format(const std::uint8_t* bytes, std::size_t size) {
  static const std::uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 8 && std::memcmp(bytes, png_signature, 8) == 0) return ImageFormat::png;
  if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return ImageFormat::jpeg;
  return ImageFormat::unknown;
}

Image decode_image(const std::uint8_t* bytes, std::size_t size, const std::string& source) {
  switch (sniff_format(bytes, size)) {
    case ImageFormat::png: return decode_png(bytes, size, source);
    case ImageFormat::jpeg: return decode_jpeg(bytes, size, source);
    case ImageFormat::unknown: break;
  }
  throw std::runtime_error("[decode] " + source + ": not a PNG or JPEG file (" + std::to_string(size) +
                           " bytes, unrecognised signature)");
}

namespace {

std::runtime_error os_error(const std::string& op, const std::string& what, const std::string& path, int err) {
  return std::runtime_error("[" + op + "] " + what + " " + path + ": " + std::strerror(err));
}

// Closes a descriptor on every exit path.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::vector<std::uint8_t> read_file(const std::string& path) {
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) throw os_error("read", "cannot open", path, errno);
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) throw os_error("read", "cannot stat", path, errno);
  if (S_ISDIR(info.st_mode)) throw std::runtime_error("[read] cannot read " + path + ": it is a directory");
  if (!S_ISREG(info.st_mode)) throw std::runtime_error("[read] cannot read " + path + ": not a regular file");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::read(file.fd, bytes.data() + done, bytes.size() - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw os_error("read", "cannot read", path, errno);
    }
    if (got == 0) {
      throw std::runtime_error("[read] " + path + " shrank while being read (" + std::to_string(done) + " of " +
                               std::to_string(bytes.size()) + " bytes)");
    }
    done += static_cast<std::size_t>(got);
  }
  return bytes;
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "[write]");
}

}  // namespace nanossl::data
