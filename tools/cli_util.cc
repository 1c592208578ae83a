// cli_util.cc - file IO, Ctrl-C handling and progress display of `cdc`.
#include "cli_util.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

namespace cdc_tools {

bool read_file(const std::string& path, uint64_t max_bytes, std::vector<uint8_t>* data,
               std::string* error) {
  data->clear();
  const bool from_stdin = is_stdio(path);
  const std::string name = display_name(path);
  std::FILE* f = from_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = fmt::format("cannot open {}: {}", name, std::strerror(errno));
    return false;
  }
  auto close_file = [&] {
    if (!from_stdin) std::fclose(f);
  };
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    close_file();
    *error = fmt::format("cannot read {}: it is a directory", name);
    return false;
  }
  // Read in chunks up to the cap (devices and pipes, standard input
  // included, have no size to check).
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0) {
    if (data->size() + n > max_bytes) {
      close_file();
      data->clear();
      *error = fmt::format("cannot read {}: larger than the limit of {} bytes", name, max_bytes);
      return false;
    }
    data->insert(data->end(), chunk, chunk + n);
  }
  const bool failed = std::ferror(f) != 0;
  const int saved_errno = errno;
  close_file();
  if (failed) {
    *error = fmt::format("cannot read {}: {}", name, std::strerror(saved_errno));
    return false;
  }
  return true;
}

bool is_stdio(const std::string& path) { return path == "-"; }

std::string display_name(const std::string& path) {
  return is_stdio(path) ? "standard input" : path;
}

bool write_stdout(const uint8_t* data, size_t size, std::string* error) {
  size_t written = 0;
  while (written < size) {
    const ssize_t n = write(STDOUT_FILENO, data + written, size - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = fmt::format("cannot write to standard output: {}", std::strerror(errno));
      return false;
    }
    written += static_cast<size_t>(n);
  }
  return true;
}

unsigned cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<unsigned>(CPU_COUNT(&set));
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1u;
}

namespace {

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool write_file_atomic(const std::string& path, const uint8_t* data, size_t size,
                       std::string* error) {
  if (path.empty() || path.back() == '/') {
    *error = fmt::format("cannot write '{}': not a file name", path);
    return false;
  }
  const std::string dir = directory_of(path);
  std::string temp = dir + "/." + base_of(path) + ".tmp-XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) {
    *error = fmt::format("cannot create a file in {}: {}", dir, std::strerror(errno));
    return false;
  }
  auto fail = [&](const std::string& what) {
    const int saved_errno = errno;
    if (fd >= 0) close(fd);
    unlink(temp.c_str());
    *error = saved_errno != 0 ? fmt::format("cannot write {}: {}: {}", path, what,
                                            std::strerror(saved_errno))
                              : fmt::format("cannot write {}: {}", path, what);
    return false;
  };
  // mkstemp creates the file 0600: an existing output keeps its permissions,
  // a new one gets the usual 0666 & ~umask.
  struct stat existing;
  if (stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
    fchmod(fd, existing.st_mode & 07777);
  } else {
    const mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
  }

  size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd, data + written, size - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write failed");
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("fsync failed");
  if (close(fd) != 0) {
    const int saved_errno = errno;
    unlink(temp.c_str());
    *error = fmt::format("cannot write {}: {}", path, std::strerror(saved_errno));
    return false;
  }
  if (interrupted()) {
    unlink(temp.c_str());
    *error = "interrupted";
    return false;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved_errno = errno;
    unlink(temp.c_str());
    *error = fmt::format("cannot write {}: {}", path, std::strerror(saved_errno));
    return false;
  }
  // Make the rename itself durable; a failure here loses nothing already
  // visible, so it is not reported.
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return true;
}

namespace {

// Read by every worker thread, written by the handler on whichever thread the
// signal lands: an atomic (lock-free, so usable in a handler), not a plain
// sig_atomic_t, which is only safe within one thread.
std::atomic<int> g_interrupted{0};
static_assert(std::atomic<int>::is_always_lock_free, "the Ctrl-C flag must be lock-free");

extern "C" void on_sigint(int) {
  const int saved_errno = errno;  // the interrupted code may be about to read it
  if (g_interrupted.exchange(1) != 0) _exit(128 + SIGINT);  // second Ctrl-C: stop now
  static const char kMessage[] = "\ncdc: interrupted, stopping (Ctrl-C again to kill)\n";
  const ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  (void)ignored;
  errno = saved_errno;
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

bool interrupted() { return g_interrupted.load() != 0; }

SigintBlock::SigintBlock() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, &saved_);
}

SigintBlock::~SigintBlock() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

std::string json_escape(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{}", v);
}

JsonObject& JsonObject::raw(const std::string& key, const std::string& json) {
  text_ += fmt::format("{}\"{}\": {}", text_.empty() ? "" : ", ", json_escape(key), json);
  return *this;
}
JsonObject& JsonObject::string(const std::string& key, const std::string& value) {
  return raw(key, "\"" + json_escape(value) + "\"");
}
JsonObject& JsonObject::number(const std::string& key, double value) {
  return raw(key, json_number(value));
}
JsonObject& JsonObject::integer(const std::string& key, uint64_t value) {
  return raw(key, std::to_string(value));
}
JsonObject& JsonObject::boolean(const std::string& key, bool value) {
  return raw(key, value ? "true" : "false");
}
std::string JsonObject::str() const { return "{" + text_ + "}"; }

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Progress::Progress(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

Progress::~Progress() { finish(); }

int Progress::callback(void* user, const cdc_progress* progress) {
  auto* self = static_cast<Progress*>(user);
  if (self == nullptr || progress == nullptr) return interrupted() ? 1 : 0;
  // Never let an exception (e.g. from a failed write to stderr) cross into C.
  try {
    return self->on_progress(*progress);
  } catch (...) {
    return interrupted() ? 1 : 0;
  }
}

void Progress::finish() {
  if (line_open_) {
    std::fputc('\n', stderr);
    line_open_ = false;
  }
}

int Progress::on_progress(const cdc_progress& p) {
  if (interrupted()) return 1;
  if (quiet_) return 0;
  const int stage = static_cast<int>(p.stage);
  if (stage != stage_) {
    finish();
    stage_ = stage;
    last_decile_ = -1;
    stage_start_ = std::chrono::steady_clock::now();
  }
  const uint32_t total = p.total;
  const uint32_t done = p.done <= total ? p.done : total;
  const double fraction = total > 0 ? static_cast<double>(done) / total : 1.0;
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth + 0.5);
    fmt::print(stderr, "\r{:<15} [{:#<{}}{:.<{}}] {:>6}/{:<6} {:6.1f} s", cdc_stage_string(p.stage), "",
               filled, "", kWidth - filled, done, total, seconds_since(stage_start_));
    std::fflush(stderr);
    line_open_ = true;
    if (done == total) finish();
  } else {
    // Plain lines for logs: at most one per tenth of a stage.
    const int decile = static_cast<int>(fraction * 10);
    if (decile != last_decile_) {
      fmt::print(stderr, "cdc: {}: {}/{} ({:.1f} s)\n", cdc_stage_string(p.stage), done, total,
                 seconds_since(stage_start_));
      last_decile_ = decile;
    }
  }
  return 0;
}

BatchProgress::BatchProgress(size_t total, bool quiet)
    : total_(total),
      quiet_(quiet),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

BatchProgress::~BatchProgress() { finish(); }

int BatchProgress::callback(void* user, const cdc_progress* /*progress*/) {
  if (interrupted()) return 1;
  auto* self = static_cast<BatchProgress*>(user);
  if (self == nullptr) return 0;
  try {
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->draw_locked(false);
  } catch (...) {
  }
  return interrupted() ? 1 : 0;
}

void BatchProgress::file_done() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++done_;
  if (quiet_) return;
  if (tty_) {
    draw_locked(true);
  } else {
    const double elapsed = seconds_since(start_);
    if (done_ < total_) {
      const double eta = elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_);
      fmt::print(stderr, "cdc: {}/{} files done ({:.1f} s, ETA {:.0f} s)\n", done_, total_, elapsed,
                 eta);
    } else {
      fmt::print(stderr, "cdc: {}/{} files done ({:.1f} s)\n", done_, total_, elapsed);
    }
  }
}

void BatchProgress::print(std::FILE* out, const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  clear_locked();
  fmt::print(out, "{}\n", line);
  std::fflush(out);
  if (!quiet_ && tty_ && done_ < total_) draw_locked(true);
}

void BatchProgress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (line_open_) {
    std::fputc('\n', stderr);
    line_open_ = false;
  }
}

void BatchProgress::clear_locked() {
  if (line_open_) {
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    line_open_ = false;
  }
}

void BatchProgress::draw_locked(bool force) {
  if (quiet_ || !tty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(500)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  const double fraction = total_ > 0 ? static_cast<double>(done_) / total_ : 1.0;
  const int filled = static_cast<int>(fraction * kWidth + 0.5);
  const double elapsed = seconds_since(start_);
  std::string eta = "ETA ?";
  if (done_ > 0 && done_ < total_) {
    eta = fmt::format("ETA {:.0f} s",
                      elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_));
  } else if (done_ == total_) {
    eta = "done";
  }
  fmt::print(stderr, "\r\x1b[K[{:#<{}}{:.<{}}] {}/{} files, {:.1f} s, {}", "", filled, "",
             kWidth - filled, done_, total_, elapsed, eta);
  std::fflush(stderr);
  line_open_ = true;
}

}  // namespace cdc_tools
