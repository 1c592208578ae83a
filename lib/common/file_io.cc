#include "common/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/memory.h"

namespace cdc {

namespace {

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  if (path.empty() || path.back() == '/')
    fail(CDC_STATUS_IO_ERROR, "cannot write '{}': not a file name", path);
  // The destination: a folder is refused; an existing file's permissions are
  // kept; a symlink is replaced by the new file, never written through.
  struct stat target;
  mode_t mode = 0;
  if (::lstat(path.c_str(), &target) == 0) {
    if (S_ISDIR(target.st_mode)) fail(CDC_STATUS_IO_ERROR, "cannot write '{}': it is a folder", path);
    if (S_ISREG(target.st_mode)) mode = target.st_mode & 07777;
  }
  if (mode == 0) {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  // A fresh, unpredictable temporary name in the destination's folder,
  // created exclusively (mkstemp: O_CREAT | O_EXCL), so that no existing file
  // or symlink of that name can be written through.
  const std::string dir = directory_of(path);
  const size_t slash = path.find_last_of('/');
  std::string tmp = dir + "/." + (slash == std::string::npos ? path : path.substr(slash + 1)) +
                    ".tmp-XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) fail(CDC_STATUS_IO_ERROR, "cannot create a file in '{}': {}", dir, std::strerror(errno));
  auto give_up = [&](const char* what) {
    const int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(CDC_STATUS_IO_ERROR, "cannot write '{}': {}: {}", path, what, std::strerror(e));
  };
  if (::fchmod(fd, mode) != 0) give_up("cannot set its permissions");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t k = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) give_up("write failed");
    done += static_cast<size_t>(k);
  }
  if (::fsync(fd) != 0) give_up("fsync failed");
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    fail(CDC_STATUS_IO_ERROR, "cannot write '{}': {}", path, std::strerror(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    fail(CDC_STATUS_IO_ERROR, "cannot write '{}': {}", path, std::strerror(e));
  }
  // Make the rename durable: fsync the folder (best effort).
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

namespace {

// Opens path, checks that it is a regular file of at most max_bytes, and
// reads it into the buffer that allocate(size) returns.
template <typename Allocate>
void read_file_into(const std::string& path, uint64_t max_bytes, Allocate allocate) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(CDC_STATUS_IO_ERROR, "cannot open '{}': {}", path, std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(CDC_STATUS_IO_ERROR, "cannot read '{}': not a regular file", path);
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    fail(CDC_STATUS_LIMIT_EXCEEDED, "cannot read '{}': {} bytes, more than the limit of {}", path,
         static_cast<uint64_t>(st.st_size), max_bytes);
  }
  const auto size = static_cast<size_t>(st.st_size);
  uint8_t* data = nullptr;
  try {
    data = allocate(size);
  } catch (...) {
    ::close(fd);
    throw;
  }
  size_t done = 0;
  while (done < size) {
    const ssize_t k = ::read(fd, data + done, size - done);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      const int e = k < 0 ? errno : 0;
      ::close(fd);
      fail(CDC_STATUS_IO_ERROR, "cannot read '{}': {}", path,
           e != 0 ? std::strerror(e) : "the file shrank while being read");
    }
    done += static_cast<size_t>(k);
  }
  ::close(fd);
}

}  // namespace

std::vector<uint8_t> read_whole_file(const std::string& path, uint64_t max_bytes) {
  std::vector<uint8_t> bytes;
  read_file_into(path, max_bytes, [&](size_t size) {
    bytes.resize(size);
    return bytes.data();
  });
  return bytes;
}

std::shared_ptr<uint8_t> read_whole_file_large(const std::string& path, size_t* size,
                                               uint64_t max_bytes) {
  std::shared_ptr<uint8_t> bytes;
  read_file_into(path, max_bytes, [&](size_t n) {
    bytes = make_large_buffer(n);
    *size = n;
    return bytes.get();
  });
  return bytes;
}

}  // namespace cdc
