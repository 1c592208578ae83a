// cli_util.h - helpers of the cdc command line tool: exit codes, file IO
// (atomic writes), Ctrl-C handling, the progress display and JSON output.
#ifndef CDC_TOOLS_CLI_UTIL_H_
#define CDC_TOOLS_CLI_UTIL_H_

#include <cdc.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace cdc_tools {

// Exit codes of `cdc` (documented in README.md and `cdc --help`).
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,          // bad command line or option value
  kExitBadInput = 2,       // missing/unreadable input file, bad image
  kExitCorruptStream = 3,  // corrupt, truncated or unsupported .cdc stream
  kExitModelMismatch = 4,  // the stream was made with another model
  kExitModelError = 5,     // model missing, unreadable or invalid
  kExitCancelled = 6,      // interrupted (Ctrl-C)
  kExitWriteFailed = 7,    // the output file could not be written
  kExitOther = 8,          // anything else (e.g. not implemented, out of memory)
};

// Reads a whole file of at most max_bytes (a cap that also holds for devices
// and pipes, which have no size); "-" reads standard input. On failure returns false with a message in
// *error.
bool read_file(const std::string& path, uint64_t max_bytes, std::vector<uint8_t>* data,
               std::string* error);

// "-" names standard input (as an input) or standard output (as an output).
bool is_stdio(const std::string& path);
// The path for messages: "standard input" for "-".
std::string display_name(const std::string& path);

// Writes all of data to standard output. On failure returns false with a
// message in *error.
bool write_stdout(const uint8_t* data, size_t size, std::string* error);

// The number of cores this process may run on (at least 1).
unsigned cpu_count();

// True when both paths exist and name the same file (links included).
bool same_file(const std::string& a, const std::string& b);

// Writes a file atomically: a temporary file in the same directory (mkstemp)
// is written, flushed with fsync and renamed over path; an existing file at
// path keeps its permissions. On any failure (or if
// Ctrl-C was pressed before the rename) the temporary file is removed and an
// existing file at path is left untouched.
bool write_file_atomic(const std::string& path, const uint8_t* data, size_t size,
                       std::string* error);

// Ctrl-C: the first SIGINT sets a flag that the progress callback turns into
// a cancellation; a second one ends the process at once.
void install_interrupt_handler();
bool interrupted();

// Blocks SIGINT in the calling thread while it lives (restoring the mask
// after). Threads started meanwhile inherit the blocked mask: the batch
// workers, and the OpenMP threads they start, are never interrupted by the
// handler; the signal goes to the main thread, which only waits for them.
class SigintBlock {
 public:
  SigintBlock();
  ~SigintBlock();
  SigintBlock(const SigintBlock&) = delete;
  SigintBlock& operator=(const SigintBlock&) = delete;

 private:
  sigset_t saved_;
};

// Progress display through cdc_context_set_progress: a bar on a terminal,
// plain lines otherwise, nothing with quiet. Returns non-zero (cancel) once
// Ctrl-C was pressed.
class Progress {
 public:
  explicit Progress(bool quiet);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  static int callback(void* user, const cdc_progress* progress);
  // Ends a bar line in progress, if any.
  void finish();

 private:
  int on_progress(const cdc_progress& p);

  bool quiet_;
  bool tty_;
  int stage_ = 0;
  int last_decile_ = -1;
  bool line_open_ = false;
  std::chrono::steady_clock::time_point stage_start_;
};

// Progress of several files at once (cdc encode/decode with many inputs):
// files done out of the total, the time so far and an estimate of the time
// left; a status line on a terminal, a plain line per finished file
// otherwise, nothing with quiet. Thread-safe: the jobs share one instance.
class BatchProgress {
 public:
  BatchProgress(size_t total, bool quiet);
  ~BatchProgress();
  BatchProgress(const BatchProgress&) = delete;
  BatchProgress& operator=(const BatchProgress&) = delete;

  // The progress callback of every job's context (user: this object):
  // refreshes the status line and returns non-zero once Ctrl-C was pressed.
  static int callback(void* user, const cdc_progress* progress);
  // Counts one more file done (succeeded or failed).
  void file_done();
  // Prints a line to out (stdout or stderr) without mixing it into the
  // status line.
  void print(std::FILE* out, const std::string& line);
  // Ends the status line, if any.
  void finish();

 private:
  void clear_locked();
  void draw_locked(bool force);

  std::mutex mutex_;
  size_t total_;
  size_t done_ = 0;
  bool quiet_;
  bool tty_;
  bool line_open_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// JSON text of a string's contents (without the quotes), and of a number
// (null for inf and nan, which JSON lacks).
std::string json_escape(const std::string& s);
std::string json_number(double v);

// A JSON object written field by field, in order:
//   JsonObject().string("file", path).integer("width", w).str()
class JsonObject {
 public:
  JsonObject& string(const std::string& key, const std::string& value);
  JsonObject& number(const std::string& key, double value);
  JsonObject& integer(const std::string& key, uint64_t value);
  JsonObject& boolean(const std::string& key, bool value);
  // A value that is JSON text already.
  JsonObject& raw(const std::string& key, const std::string& json);
  std::string str() const;

 private:
  std::string text_;
};

// Seconds since start, for messages.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace cdc_tools

#endif  // CDC_TOOLS_CLI_UTIL_H_
