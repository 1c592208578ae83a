#include "common/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"

namespace cdc {

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(CDC_STATUS_IO_ERROR, "cannot create '{}': {}", tmp, std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t k = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(CDC_STATUS_IO_ERROR, "cannot write '{}': {}", tmp, std::strerror(e));
    }
    done += static_cast<size_t>(k);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    fail(CDC_STATUS_IO_ERROR, "cannot write '{}': {}", tmp, std::strerror(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    fail(CDC_STATUS_IO_ERROR, "cannot rename '{}' to '{}': {}", tmp, path, std::strerror(e));
  }
  // Make the rename durable: fsync the folder (best effort).
  std::string dir = path;
  const size_t slash = dir.find_last_of('/');
  dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : dir.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::vector<uint8_t> read_whole_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    fail(CDC_STATUS_IO_ERROR, "cannot open '{}': {}", path,
         std::filesystem::exists(path, ec) ? "not a regular file" : "no such file");
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) fail(CDC_STATUS_IO_ERROR, "cannot open '{}'", path);
  const std::streamoff n = f.tellg();
  if (n < 0) fail(CDC_STATUS_IO_ERROR, "cannot read '{}'", path);
  std::vector<uint8_t> bytes(static_cast<size_t>(n));
  f.seekg(0);
  if (n > 0 && !f.read(reinterpret_cast<char*>(bytes.data()), n))
    fail(CDC_STATUS_IO_ERROR, "cannot read '{}'", path);
  return bytes;
}

}  // namespace cdc
