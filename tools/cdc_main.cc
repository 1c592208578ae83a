// cdc - the command line tool of libcdc.
//
//   cdc encode IN.(png|jpg) OUT.cdc     compress an image (- : stdin/stdout); its ICC
//                                       profile, EXIF and XMP are kept (--strip: not)
//   cdc encode IN... -o DIR [-j N]      compress many images into DIR
//   cdc decode IN.cdc OUT.(png|jpg)     decompress a stream (- : stdin/stdout)
//   cdc decode IN... -o DIR [-j N]      decompress many streams into DIR
//   cdc info IN.cdc [--json]            describe a stream
//   cdc convert REFERENCE.pt OUT.cdcm   convert a reference checkpoint (or a .cdcm)
//   cdc models [--json]                 list the built-in models
//   cdc compare A B [--json]            PSNR between two images
//
// It uses only the public C API (cdc.h) of the shared library libcdc.so.
#include <cdc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cdc_cxx.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli_util.h"
#include "image_io/image_io.h"

namespace cdc_tools {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Options shared by the subcommands.

struct Options {
  std::string model;  // empty: the built-in default model
  uint32_t threads = 0;
  uint32_t steps = 0;
  double gamma = -1.0;
  uint64_t seed = 0;
  uint64_t max_pixels = 0;
  int tile = -1;
  int tile_overlap = -1;
  int effort = 0;
  double residual = -1;    // CDC_OPTION_RESIDUAL to set (encode); < 0: leave the default
  double target_bpp = 0;   // CDC_OPTION_TARGET_BPP to set (encode); 0: leave the default
  std::string precision = "fp32";
  std::string device = "cpu";
  bool quiet = false;
  CLI::Option* threads_opt = nullptr;
  CLI::Option* steps_opt = nullptr;
  CLI::Option* gamma_opt = nullptr;
  CLI::Option* seed_opt = nullptr;
  CLI::Option* max_pixels_opt = nullptr;
  CLI::Option* tile_opt = nullptr;
  CLI::Option* tile_overlap_opt = nullptr;
  CLI::Option* effort_opt = nullptr;
  CLI::Option* precision_opt = nullptr;
  CLI::Option* device_opt = nullptr;
};

// The quality of `cdc encode` without --model, --quality, --target-bpp or
// --residual.
constexpr int kDefaultQuality = 50;

using cdc::BufferPtr;
using cdc::ContextPtr;
using cdc::ModelPtr;

// A failure of a subcommand: the exit code and what to print. Subcommands
// throw it; run() catches it once and prints the message.
class CliError : public std::runtime_error {
 public:
  CliError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

void print_error(const std::string& message) { fmt::print(stderr, "cdc: error: {}\n", message); }

using cdc::describe;

enum class Phase { kEncode, kDecode, kStream };

int exit_code_for(cdc_status status, Phase phase) {
  switch (status) {
    case CDC_STATUS_OK: return kExitOk;
    case CDC_STATUS_CORRUPT_STREAM:
    case CDC_STATUS_TRUNCATED_STREAM:
    case CDC_STATUS_UNSUPPORTED:
      return phase == Phase::kEncode ? kExitOther : kExitCorruptStream;
    case CDC_STATUS_LIMIT_EXCEEDED:
    case CDC_STATUS_INVALID_ARGUMENT:
      // Encode: the image is not acceptable. Decode: the stream's header
      // asks for something out of bounds.
      return phase == Phase::kEncode ? kExitBadInput : kExitCorruptStream;
    case CDC_STATUS_MODEL_MISMATCH: return kExitModelMismatch;
    case CDC_STATUS_INVALID_MODEL: return kExitModelError;
    case CDC_STATUS_CANCELLED: return kExitCancelled;
    default: return kExitOther;
  }
}

// The library's default pixel limit (written once, in the library).
uint64_t default_max_pixels() {
  double def = 0;
  const cdc_status status = cdc_option_bounds(CDC_OPTION_MAX_PIXELS, nullptr, nullptr, &def);
  if (status != CDC_STATUS_OK || def < 1)
    throw CliError(kExitOther, fmt::format("cannot read the default pixel limit: {}",
                                           describe(status)));
  return static_cast<uint64_t>(def);
}

uint64_t effective_max_pixels(const Options& o) {
  return o.max_pixels_opt != nullptr && o.max_pixels_opt->count() > 0 ? o.max_pixels
                                                                      : default_max_pixels();
}

// Loads --model through the library's resolver (cdc_model_load): a built-in
// model name, else a model file; the built-in default model when empty.
ModelPtr load_model(const Options& o) {
  cdc_status status = CDC_STATUS_OK;
  ModelPtr model = cdc::load_model(o.model, &status);
  if (!model) {
    const std::string what = o.model.empty() ? "the built-in default model"
                                             : fmt::format("--model {}", o.model);
    throw CliError(kExitModelError, fmt::format("cannot load {}: {}", what, describe(status)));
  }
  return model;
}

// shown: the value as the user wrote it, for options given as words ("" for
// numbers).
void set_option(cdc_context* context, cdc_option option, const char* flag, double value,
                const std::string& shown = "") {
  const cdc_status status = cdc_context_set_option(context, option, value);
  if (status == CDC_STATUS_OK) return;
  const std::string v = shown.empty() ? fmt::format("{}", value) : shown;
  double lo = 0, hi = 0;
  if (status == CDC_STATUS_INVALID_ARGUMENT &&
      cdc_option_bounds(option, &lo, &hi, nullptr) == CDC_STATUS_OK)
    throw CliError(kExitUsage, fmt::format("{} {}: out of range ({} to {})", flag, v, lo, hi));
  throw CliError(status == CDC_STATUS_INVALID_ARGUMENT ? kExitUsage : kExitOther,
                 fmt::format("{} {}: {}", flag, v, describe(status, context)));
}

// A context with the command line's options. fn/user: the progress callback
// (none when fn is NULL). threads > 0 sets the compute threads when --threads
// was not given (the share of one job among several).
ContextPtr make_context(const Options& o, cdc_progress_fn fn = nullptr, void* user = nullptr,
                        uint32_t threads = 0) {
  cdc_status status = CDC_STATUS_OK;
  ContextPtr context = cdc::make_context(&status);
  if (!context)
    throw CliError(kExitOther, fmt::format("cannot create a context: {}", describe(status)));
  struct {
    CLI::Option* opt;
    cdc_option option;
    const char* flag;
    double value;
  } settings[] = {
      {o.threads_opt, CDC_OPTION_THREADS, "--threads", static_cast<double>(o.threads)},
      {o.steps_opt, CDC_OPTION_STEPS, "--steps", static_cast<double>(o.steps)},
      {o.gamma_opt, CDC_OPTION_GAMMA, "--gamma", o.gamma},
      {o.seed_opt, CDC_OPTION_SEED, "--seed", static_cast<double>(o.seed)},
      {o.max_pixels_opt, CDC_OPTION_MAX_PIXELS, "--max-pixels", static_cast<double>(o.max_pixels)},
      {o.tile_opt, CDC_OPTION_TILE, "--tile", static_cast<double>(o.tile)},
      {o.tile_overlap_opt, CDC_OPTION_TILE_OVERLAP, "--tile-overlap",
       static_cast<double>(o.tile_overlap)},
      {o.effort_opt, CDC_OPTION_EFFORT, "--effort", static_cast<double>(o.effort)},
      {o.precision_opt, CDC_OPTION_PRECISION, "--precision", o.precision == "bf16" ? 1.0 : 0.0},
      {o.device_opt, CDC_OPTION_DEVICE, "--device", o.device == "cuda" ? 1.0 : 0.0},
  };
  for (const auto& s : settings) {
    if (s.opt == nullptr || s.opt->count() == 0) continue;
    // Options given as words are named as the user wrote them.
    const bool word = s.option == CDC_OPTION_PRECISION || s.option == CDC_OPTION_DEVICE;
    set_option(context.get(), s.option, s.flag, s.value, word ? s.opt->as<std::string>() : "");
  }
  if (o.residual >= 0) set_option(context.get(), CDC_OPTION_RESIDUAL, "--residual", o.residual);
  if (o.target_bpp > 0)
    set_option(context.get(), CDC_OPTION_TARGET_BPP, "--target-bpp", o.target_bpp);
  if (threads > 0 && (o.threads_opt == nullptr || o.threads_opt->count() == 0))
    set_option(context.get(), CDC_OPTION_THREADS, "--threads", static_cast<double>(threads));
  if (fn != nullptr) {
    const cdc_status ps = cdc_context_set_progress(context.get(), fn, user);
    if (ps != CDC_STATUS_OK)
      throw CliError(kExitOther, fmt::format("cannot set the progress callback: {}",
                                             describe(ps, context.get())));
  }
  return context;
}

// The models of a run, loaded once on first use and shared read-only by the
// jobs (cdc_model is thread-safe). A failed load is remembered: every file
// that needs the model then fails with the same error.
class ModelCache {
 public:
  explicit ModelCache(const Options& o) : o_(o) {}

  // --model, or the built-in default model. Throws CliError.
  const cdc_model* requested() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requested_locked();
  }

  // Decoding: --model when given; otherwise the built-in model that made the
  // stream, falling back to the default model (whose mismatch is then
  // reported). The built-in models are loaded one at a time until one
  // matches, the base model of --quality (what plain encodes use) first, then
  // the default model, then the others: each load costs about 0.05 s.
  const cdc_model* for_stream(const cdc_stream_info& info) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!o_.model.empty()) return requested_locked();
    std::vector<std::string> order;
    if (const char* base = cdc_builtin_model_for_quality(1)) order.emplace_back(base);
    for (size_t i = 0; i < cdc_builtin_model_count(); ++i) order.emplace_back(cdc_builtin_model_name(i));
    for (const std::string& name : order) {
      auto it = named_.find(name);
      if (it == named_.end()) {
        ModelPtr candidate = cdc::load_model(name);
        if (!candidate) continue;
        it = named_.emplace(name, std::move(candidate)).first;
      }
      if (cdc::model_id(it->second.get()) == info.model_id) return it->second.get();
    }
    return requested_locked();
  }

 private:
  const cdc_model* requested_locked() {
    if (!tried_) {
      tried_ = true;
      try {
        requested_ = load_model(o_);
      } catch (const CliError& e) {
        error_ = e.what();
      }
    }
    if (!requested_) throw CliError(kExitModelError, error_);
    return requested_.get();
  }

  const Options& o_;
  std::mutex mutex_;
  bool tried_ = false;
  ModelPtr requested_;
  std::string error_;
  std::map<std::string, ModelPtr> named_;
};

// Where the result lines of encode and decode go: stdout, but stderr when
// stdout carries the output itself; through the batch display when there is
// one.
struct Reporter {
  BatchProgress* batch = nullptr;
  void line(bool to_stderr, const std::string& text) const {
    std::FILE* out = to_stderr ? stderr : stdout;
    if (batch != nullptr) {
      batch->print(out, text);
    } else {
      fmt::print(out, "{}\n", text);
    }
  }
};

// Fails early, before long work, if the output directory cannot take a file.
void check_output_dir(const std::string& path) {
  if (is_stdio(path)) return;
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  if (access(dir.c_str(), W_OK) != 0)
    throw CliError(kExitWriteFailed,
                   fmt::format("cannot write {}: directory {} is missing or not writable", path, dir));
}

void write_output(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::string error;
  if (is_stdio(path)) {
    if (interrupted()) throw CliError(kExitCancelled, "interrupted");
    if (!write_stdout(bytes.data(), bytes.size(), &error)) throw CliError(kExitWriteFailed, error);
    return;
  }
  if (!write_file_atomic(path, bytes.data(), bytes.size(), &error))
    throw CliError(interrupted() ? kExitCancelled : kExitWriteFailed, error);
}

void check_interrupted() {
  if (interrupted()) throw CliError(kExitCancelled, "interrupted");
}

// The largest input file read for a pixel limit: an image or a stream of
// max_pixels pixels is smaller than 8 bytes a pixel (16-bit RGBA PNG, no
// compression) plus 64 MiB of headers and metadata (a stream holds up to
// three 16 MiB metadata blocks).
uint64_t input_cap(uint64_t max_pixels) { return max_pixels * 8 + (uint64_t{64} << 20); }

std::vector<uint8_t> read_input(const std::string& path, uint64_t max_pixels) {
  std::vector<uint8_t> bytes;
  std::string error;
  if (!read_file(path, input_cap(max_pixels), &bytes, &error))
    throw CliError(kExitBadInput, error);
  return bytes;
}

Image read_image(const std::string& path, uint64_t max_pixels) {
  const std::vector<uint8_t> bytes = read_input(path, max_pixels);
  Image image;
  std::string error;
  if (!decode_image(bytes.data(), bytes.size(), max_pixels, &image, &error))
    throw CliError(kExitBadInput, fmt::format("{}: {}", display_name(path), error));
  return image;
}

// ---------------------------------------------------------------------------
// Subcommands. Each throws CliError on failure.

// Refuses an output that is the input itself (it would replace it).
void check_distinct(const std::string& in, const std::string& out) {
  if (!is_stdio(in) && !is_stdio(out) && same_file(in, out))
    throw CliError(kExitUsage,
                   fmt::format("{} is the input file: choose another output name", out));
}

// Prints the notes of an image's reading or writing (stderr; not with --quiet).
void print_notes(const Options& o, const Reporter& reporter, const std::string& file,
                 const std::vector<std::string>& notes) {
  if (o.quiet) return;
  for (const std::string& note : notes)
    reporter.line(true, fmt::format("cdc: note: {}: {}", display_name(file), note));
}

// The metadata of an image as the C API takes it; a block larger than a
// stream can hold is left out with a note.
cdc_metadata metadata_for_stream(Image& image) {
  cdc_metadata m{};
  m.struct_size = sizeof(m);
  struct {
    std::vector<uint8_t>* block;
    const uint8_t** data;
    size_t* size;
    const char* name;
  } blocks[] = {{&image.metadata.icc, &m.icc, &m.icc_size, "ICC profile"},
                {&image.metadata.exif, &m.exif, &m.exif_size, "EXIF block"},
                {&image.metadata.xmp, &m.xmp, &m.xmp_size, "XMP packet"}};
  for (auto& b : blocks) {
    if (b.block->size() > CDC_METADATA_MAX_SIZE) {
      image.notes.push_back(fmt::format("the {} ({} bytes) is left out: a stream holds at most {}",
                                        b.name, b.block->size(), CDC_METADATA_MAX_SIZE));
      b.block->clear();
    }
    *b.data = b.block->empty() ? nullptr : b.block->data();
    *b.size = b.block->size();
  }
  return m;
}

// One file of `cdc encode`, with the caller's context (its options and
// progress callback). stage_progress: the per-stage display to end after the
// call, if any. strip: store no metadata.
void encode_one(const Options& o, cdc_context* context, ModelCache& models, const std::string& in,
                const std::string& out, bool strip, const Reporter& reporter,
                Progress* stage_progress) {
  const auto t0 = Clock::now();
  check_distinct(in, out);
  Image image = read_image(in, effective_max_pixels(o));
  if (strip) image.metadata = ImageMetadata();
  const cdc_metadata metadata = metadata_for_stream(image);
  print_notes(o, reporter, in, image.notes);
  check_output_dir(out);
  check_interrupted();
  const double pixels = static_cast<double>(image.width) * image.height;
  const cdc_pixel_format format = static_cast<cdc_pixel_format>(image.channels);
  auto encode_with = [&](const cdc_model* model) {
    uint8_t* data = nullptr;
    size_t size = 0;
    const cdc_status status =
        cdc_encode_with_metadata(context, model, image.pixels.data(), image.width, image.height,
                                 format, 0, &metadata, &data, &size);
    if (stage_progress != nullptr) stage_progress->finish();
    BufferPtr owned(data);
    if (status != CDC_STATUS_OK) {
      throw CliError(exit_code_for(status, Phase::kEncode),
            fmt::format("cannot encode {}: {}", display_name(in), describe(status, context)));
    }
    return std::vector<uint8_t>(data, data + size);
  };

  const auto t1 = Clock::now();
  check_interrupted();
  std::vector<uint8_t> stream = encode_with(models.requested());
  // What the residual layer took (a step chosen for --target-bpp, or given).
  std::string chosen;
  cdc_stream_info info{};
  info.struct_size = sizeof info;
  if (cdc_stream_get_info(stream.data(), stream.size(), &info) == CDC_STATUS_OK &&
      info.residual_size > 0)
    chosen = fmt::format(" (residual step {:g}: {} bytes)", info.residual_step, info.residual_size);
  const size_t size = stream.size();
  const double encode_s = seconds_since(t1);
  write_output(out, stream);
  if (!o.quiet) {
    reporter.line(is_stdio(out),
                  fmt::format("{} ({}x{}, {} channel{}) -> {}: {} bytes, {:.4f} bpp{}, encode {:.2f} "
                              "s, total {:.2f} s",
                              display_name(in), image.width, image.height, image.channels,
                              image.channels == 1 ? "" : "s",
                              is_stdio(out) ? "standard output" : out, size, size * 8.0 / pixels,
                              chosen,
                              encode_s, seconds_since(t0)));
  }
}

// Reads a .cdc file and its header.
void read_stream(const std::string& in, uint64_t max_pixels, std::vector<uint8_t>* stream,
                 cdc_stream_info* info) {
  *stream = read_input(in, max_pixels);
  *info = cdc_stream_info{};
  info->struct_size = sizeof(*info);
  const cdc_status hs = cdc_stream_get_info(stream->data(), stream->size(), info);
  if (hs != CDC_STATUS_OK) {
    throw CliError(exit_code_for(hs, Phase::kStream),
                   fmt::format("{}: {}", display_name(in), describe(hs)));
  }
}

// The metadata blocks of a checked stream.
ImageMetadata stream_metadata(const std::vector<uint8_t>& stream, const std::string& in) {
  ImageMetadata m;
  const std::pair<cdc_metadata_kind, std::vector<uint8_t>*> kinds[] = {
      {CDC_METADATA_ICC, &m.icc}, {CDC_METADATA_EXIF, &m.exif}, {CDC_METADATA_XMP, &m.xmp}};
  for (const auto& [kind, block] : kinds) {
    const uint8_t* data = nullptr;
    size_t size = 0;
    const cdc_status status = cdc_stream_get_metadata(stream.data(), stream.size(), kind, &data,
                                                      &size);
    if (status != CDC_STATUS_OK)
      throw CliError(exit_code_for(status, Phase::kStream),
                     fmt::format("{}: {}", display_name(in), describe(status)));
    if (size > 0) block->assign(data, data + size);
  }
  return m;
}

// One file of `cdc decode` (see encode_one); out_format: the image format
// to write; strip: write no metadata.
void decode_one(const Options& o, cdc_context* context, ModelCache& models, const std::string& in,
                const std::string& out, ImageFormat out_format, int quality, bool strip,
                const Reporter& reporter, Progress* stage_progress) {
  const auto t0 = Clock::now();
  check_distinct(in, out);
  std::vector<uint8_t> stream;
  cdc_stream_info info{};
  read_stream(in, effective_max_pixels(o), &stream, &info);
  check_output_dir(out);
  check_interrupted();
  const cdc_model* model = models.for_stream(info);
  check_interrupted();

  Image image;
  image.width = info.width;
  image.height = info.height;
  image.channels = info.channels;
  // JPEG has no alpha: ask the library for RGB.
  if (out_format == ImageFormat::kJpeg && image.channels == 4) image.channels = 3;
  if (image.channels != 1 && image.channels != 3 && image.channels != 4) image.channels = 3;
  const uint64_t pixels = static_cast<uint64_t>(image.width) * image.height;
  if (pixels == 0 || pixels > effective_max_pixels(o)) {
    throw CliError(kExitCorruptStream,
          fmt::format("{}: the stream is {}x{}, beyond the limit of {} pixels (see --max-pixels)",
                      display_name(in), image.width, image.height, effective_max_pixels(o)));
  }
  // The output buffer is left uninitialized: the library writes it only once
  // the whole stream has decoded, so a stream whose payload turns out to be
  // damaged never makes the pages of a large output resident (a large
  // allocation is mapped lazily). It is copied into the image afterwards.
  const size_t out_size = static_cast<size_t>(pixels) * image.channels;
  std::unique_ptr<uint8_t[]> out_pixels(new (std::nothrow) uint8_t[out_size]);
  if (!out_pixels) throw CliError(kExitOther, "out of memory");
  const auto t1 = Clock::now();
  const cdc_status status =
      cdc_decode(context, model, stream.data(), stream.size(), out_pixels.get(), out_size,
                 static_cast<cdc_pixel_format>(image.channels), 0);
  if (stage_progress != nullptr) stage_progress->finish();
  if (status != CDC_STATUS_OK) {
    throw CliError(exit_code_for(status, Phase::kDecode),
          fmt::format("cannot decode {}: {}", display_name(in), describe(status, context)));
  }
  try {
    image.pixels.assign(out_pixels.get(), out_pixels.get() + out_size);
  } catch (const std::bad_alloc&) {
    throw CliError(kExitOther, "out of memory");
  }
  out_pixels.reset();
  const double decode_s = seconds_since(t1);
  if (!strip) image.metadata = stream_metadata(stream, in);
  std::vector<uint8_t> encoded;
  std::string error;
  std::vector<std::string> notes;
  const bool ok = out_format == ImageFormat::kPng
                      ? encode_png(image, &encoded, &error, &notes)
                      : encode_jpeg(image, quality, &encoded, &error, &notes);
  if (!ok) {
    throw CliError(kExitWriteFailed, error);
  }
  print_notes(o, reporter, in, notes);
  write_output(out, encoded);
  if (!o.quiet) {
    reporter.line(is_stdio(out),
                  fmt::format("{} ({} bytes, {:.4f} bpp) -> {} ({}x{}): decode {:.2f} s, total "
                              "{:.2f} s",
                              display_name(in), stream.size(),
                              stream.size() * 8.0 / static_cast<double>(pixels),
                              is_stdio(out) ? "standard output" : out, image.width, image.height,
                              decode_s, seconds_since(t0)));
  }
}

// ---------------------------------------------------------------------------
// Encode and decode on one or many files.

// What `cdc encode` / `cdc decode` was asked to do.
struct FileJob {
  std::string in;
  std::string out;  // "-": standard output
  ImageFormat format = ImageFormat::kUnknown;  // decode: the image format written
};

struct CodecRequest {
  bool decode = false;
  std::vector<std::string> files;  // IN OUT, or the inputs with -o
  std::string output_dir;          // -o DIR; empty: the IN OUT form
  std::string format;              // decode --format (png, jpg, jpeg), or ""
  unsigned jobs = 1;
  int quality = 90;                // decode: JPEG quality
  int cdc_quality = 0;             // encode --quality: picks a built-in model; 0: not given
  double target_bpp = 0;           // encode --target-bpp; 0: not given
  double residual = -1;            // encode --residual; < 0: not given
  bool strip = false;              // --strip: no metadata stored (encode) or written (decode)
};

ImageFormat parse_format(const std::string& name) {
  if (name == "png") return ImageFormat::kPng;
  if (name == "jpg" || name == "jpeg") return ImageFormat::kJpeg;
  return ImageFormat::kUnknown;
}

// base name of path without its last extension ("dir/photo.png" -> "photo").
std::string stem_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base;
}

// The output folder of -o: created when missing (one level), else it must be
// a writable folder.
void prepare_output_dir(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    if (mkdir(dir.c_str(), 0777) != 0)
      throw CliError(kExitWriteFailed, fmt::format("cannot create the output folder {}: {}", dir,
                                                   std::strerror(errno)));
    return;
  }
  if (!S_ISDIR(st.st_mode))
    throw CliError(kExitWriteFailed, fmt::format("-o {}: not a folder", dir));
  if (access(dir.c_str(), W_OK) != 0)
    throw CliError(kExitWriteFailed, fmt::format("-o {}: the folder is not writable", dir));
}

// True when the -o value reads as an output file rather than a folder: it
// ends in the output's extension (.cdc when encoding; .png, .jpg or .jpeg when
// decoding) and is not an existing folder.
bool names_output_file(const std::string& path, bool decode) {
  if (path.empty() || path.back() == '/') return false;
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return false;
  if (decode) return format_from_extension(path) != ImageFormat::kUnknown;
  // ".cdc" alone is a name without a stem, not a stream's name.
  const size_t slash = path.find_last_of('/');
  const size_t name = path.size() - (slash == std::string::npos ? 0 : slash + 1);
  return lowercase_extension(path) == ".cdc" && name > 4;
}

// `-o out.cdc` (cwebp's and avifenc's spelling of the output file) with one
// input is the IN OUT form; with several it is refused. Throws
// CliError(kExitUsage).
CodecRequest resolve_output_file(CodecRequest r) {
  if (r.output_dir.empty() || !names_output_file(r.output_dir, r.decode)) return r;
  if (r.files.size() != 1)
    throw CliError(kExitUsage,
                   fmt::format("-o {} names a file, but {} inputs were given: several inputs "
                               "need an output folder",
                               r.output_dir, r.files.size()));
  r.files.push_back(r.output_dir);
  r.output_dir.clear();
  return r;
}

// Turns the command line into jobs. Throws CliError(kExitUsage) on misuse.
std::vector<FileJob> plan_jobs(const CodecRequest& r) {
  std::vector<FileJob> jobs;
  const ImageFormat requested = r.format.empty() ? ImageFormat::kUnknown : parse_format(r.format);
  if (r.output_dir.empty()) {
    if (r.files.size() != 2)
      throw CliError(kExitUsage,
                     fmt::format("{} takes IN OUT, or several inputs with -o DIR (got {} file "
                                 "name{})",
                                 r.decode ? "decode" : "encode", r.files.size(),
                                 r.files.size() == 1 ? "" : "s"));
    FileJob job{r.files[0], r.files[1], ImageFormat::kUnknown};
    if (r.decode) {
      if (is_stdio(job.out)) {
        job.format = requested == ImageFormat::kUnknown ? ImageFormat::kPng : requested;
      } else {
        job.format = format_from_extension(job.out);
        if (job.format == ImageFormat::kUnknown)
          throw CliError(kExitUsage,
                         fmt::format("{}: the output must end in .png, .jpg or .jpeg", job.out));
        if (requested != ImageFormat::kUnknown && requested != job.format)
          throw CliError(kExitUsage, fmt::format("--format {} contradicts the output name {}",
                                                 r.format, job.out));
      }
    }
    jobs.push_back(job);
    return jobs;
  }
  if (is_stdio(r.output_dir))
    throw CliError(kExitUsage, "-o takes a folder; write `- ` as OUT for standard output");
  const ImageFormat format = requested == ImageFormat::kUnknown ? ImageFormat::kPng : requested;
  const std::string extension =
      !r.decode ? ".cdc" : (format == ImageFormat::kJpeg ? ".jpg" : ".png");
  std::string dir = r.output_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::set<std::string> outputs;
  for (const std::string& in : r.files) {
    if (is_stdio(in))
      throw CliError(kExitUsage,
                     "- (standard input) needs the IN OUT form, not -o DIR");
    const std::string stem = stem_of(in);
    if (stem.empty() || stem == "." || stem == "..")
      throw CliError(kExitUsage, fmt::format("{}: no file name to derive an output name from", in));
    FileJob job{in, (dir == "/" ? "" : dir) + "/" + stem + extension, format};
    if (!outputs.insert(job.out).second)
      throw CliError(kExitUsage,
                     fmt::format("two inputs would both be written to {}: rename one", job.out));
    jobs.push_back(job);
  }
  return jobs;
}

void run_one(const Options& o, const CodecRequest& r, cdc_context* context, ModelCache& models,
             const FileJob& job, const Reporter& reporter, Progress* stage_progress) {
  if (r.decode) {
    decode_one(o, context, models, job.in, job.out, job.format, r.quality, r.strip, reporter,
               stage_progress);
  } else {
    encode_one(o, context, models, job.in, job.out, r.strip, reporter,
               stage_progress);
  }
}

// The message of a failed file, naming the file once.
std::string file_message(const std::string& in, const std::string& message) {
  const std::string name = display_name(in);
  if (message.find(name) != std::string::npos) return message;
  return fmt::format("{}: {}", name, message);
}

// Runs encode or decode. One file: as always, a failure throws. Several
// files: --jobs workers, each with its own context, share the models; a
// failed file is reported and the others go on; the exit code is that of the
// first failed file in command-line order (6 when cancelled).
int run_codec(const Options& o, const CodecRequest& request) {
  const CodecRequest r = resolve_output_file(request);
  std::vector<FileJob> jobs = plan_jobs(r);
  if (jobs.size() == 1) {
    // Options first: a bad value fails before any file is read.
    Progress progress(o.quiet);
    ContextPtr context = make_context(o, &Progress::callback, &progress);
    if (!r.output_dir.empty()) prepare_output_dir(r.output_dir);
    ModelCache models(o);
    run_one(o, r, context.get(), models, jobs[0], Reporter{}, &progress);
    return kExitOk;
  }

  const size_t workers = std::min<size_t>(std::max(1u, r.jobs), jobs.size());
  // Each job gets its share of the cores unless --threads says otherwise.
  const uint32_t threads = workers > 1 ? std::max(1u, cpu_count() / static_cast<unsigned>(workers))
                                       : 0;
  make_context(o, nullptr, nullptr, threads);  // checks the options before any file is read
  prepare_output_dir(r.output_dir);

  ModelCache models(o);
  BatchProgress batch(jobs.size(), o.quiet);
  Reporter reporter{&batch};
  std::vector<int> codes(jobs.size(), -1);  // -1: not run (cancelled before its turn)
  std::atomic<size_t> next{0};
  std::mutex setup_mutex;
  std::string setup_error;
  int setup_code = kExitOk;

  auto work = [&]() noexcept {
    try {
      ContextPtr context;
      try {
        context = make_context(o, &BatchProgress::callback, &batch, threads);
      } catch (const CliError& e) {
        std::lock_guard<std::mutex> lock(setup_mutex);
        if (setup_code == kExitOk) {
          setup_code = e.code();
          setup_error = e.what();
        }
        return;
      }
      for (;;) {
        if (interrupted()) return;
        const size_t i = next.fetch_add(1);
        if (i >= jobs.size()) return;
        int code = kExitOk;
        std::string message;
        try {
          run_one(o, r, context.get(), models, jobs[i], reporter, nullptr);
        } catch (const CliError& e) {
          code = e.code();
          message = e.what();
        } catch (const std::bad_alloc&) {
          code = kExitOther;
          message = "out of memory";
        } catch (const std::exception& e) {
          code = kExitOther;
          message = e.what();
        }
        if (code == kExitCancelled || (code != kExitOk && interrupted())) {
          code = kExitCancelled;  // reported once, at the end
        } else if (code != kExitOk) {
          reporter.line(true, fmt::format("cdc: error: {}", file_message(jobs[i].in, message)));
        }
        codes[i] = code;
        if (code != kExitCancelled) batch.file_done();
      }
    } catch (...) {
      // Printing failed (e.g. stderr closed): the files left are not run.
    }
  };

  // The workers (and the OpenMP threads they start) run with SIGINT blocked,
  // so Ctrl-C never interrupts their computation; the main thread takes it
  // while it waits, and the workers see the flag at their next progress call.
  std::vector<std::thread> pool;
  {
    const SigintBlock block;
    for (size_t t = 0; t < workers; ++t) pool.emplace_back(work);
  }
  for (std::thread& thread : pool) thread.join();
  batch.finish();

  if (setup_code != kExitOk) {
    print_error(setup_error);
    return setup_code;
  }
  size_t failed = 0, done = 0;
  int first = kExitOk;
  for (const int code : codes) {
    if (code < 0) continue;
    ++done;
    if (code == kExitOk || code == kExitCancelled) continue;
    ++failed;
    if (first == kExitOk) first = code;
  }
  if (interrupted()) {
    print_error(fmt::format("interrupted: {} of {} files done{}", done - failed -
                                static_cast<size_t>(std::count(codes.begin(), codes.end(),
                                                               kExitCancelled)),
                            jobs.size(), failed > 0 ? fmt::format(", {} failed", failed) : ""));
    return kExitCancelled;
  }
  if (failed > 0) {
    print_error(fmt::format("{} of {} files failed", failed, jobs.size()));
    return first;
  }
  return kExitOk;
}

void run_info(const std::string& in, bool json, uint64_t max_pixels) {
  std::vector<uint8_t> stream;
  cdc_stream_info info{};
  read_stream(in, max_pixels, &stream, &info);
  const double pixels = static_cast<double>(info.width) * info.height;
  const double bpp = pixels > 0 ? info.stream_size * 8.0 / pixels : 0.0;
  const double payload_bits = static_cast<double>(info.payload_size) * 8.0;
  const double payload_bpp = pixels > 0 ? payload_bits / pixels : 0.0;
  const double estimated_bpp = pixels > 0 ? info.estimated_bits / pixels : 0.0;
  const double overhead =
      info.estimated_bits > 0 ? (payload_bits / info.estimated_bits - 1.0) * 100.0 : NAN;
  const ImageMetadata metadata = stream_metadata(stream, in);
  if (json) {
    JsonObject blocks;
    blocks.integer("icc", metadata.icc.size())
        .integer("exif", metadata.exif.size())
        .integer("xmp", metadata.xmp.size());
    JsonObject j;
    j.string("file", in)
        .integer("width", info.width)
        .integer("height", info.height)
        .integer("channels", info.channels)
        .integer("format_version", info.format_version)
        .string("model_id", info.model_id)
        .integer("stream_size", info.stream_size)
        .integer("header_size", info.header_size)
        .integer("payload_size", info.payload_size)
        .integer("metadata_size", info.metadata_size)
        .integer("residual_size", info.residual_size)
        .number("residual_step", info.residual_step)
        .integer("residual_base_steps", info.residual_base_steps)
        .raw("metadata", blocks.str())
        .number("bpp", bpp)
        .number("payload_bpp", payload_bpp)
        .number("estimated_bits", info.estimated_bits)
        .number("estimated_bpp", estimated_bpp)
        .number("payload_vs_estimate_percent", overhead);
    fmt::print("{}\n", j.str());
    return;
  }
  fmt::print("file:            {}\n", in);
  fmt::print("image:           {}x{}, {} channel{}\n", info.width, info.height, info.channels,
             info.channels == 1 ? "" : "s");
  fmt::print("format version:  {}\n", info.format_version);
  fmt::print("model id:        {}\n", info.model_id);
  fmt::print("stream size:     {} bytes ({} header + {} payload{}{})\n", info.stream_size,
             info.header_size, info.payload_size,
             info.residual_size > 0 ? fmt::format(" + {} residual", info.residual_size) : "",
             info.metadata_size > 0 ? fmt::format(" + {} metadata", info.metadata_size) : "");
  if (info.residual_size > 0)
    fmt::print("residual layer:  step {:g} ({:.4f} bpp), base image decoded in {} step{}\n",
               info.residual_step, info.residual_size * 8.0 / (double(info.width) * info.height),
               info.residual_base_steps, info.residual_base_steps == 1 ? "" : "s");
  std::vector<std::string> listed;
  if (!metadata.icc.empty()) listed.push_back(fmt::format("ICC profile {} bytes", metadata.icc.size()));
  if (!metadata.exif.empty()) listed.push_back(fmt::format("EXIF {} bytes", metadata.exif.size()));
  if (!metadata.xmp.empty()) listed.push_back(fmt::format("XMP {} bytes", metadata.xmp.size()));
  std::string listing = listed.empty() ? "none" : listed[0];
  for (size_t i = 1; i < listed.size(); ++i) listing += ", " + listed[i];
  fmt::print("metadata:        {}\n", listing);
  fmt::print("rate:            {:.4f} bpp ({:.4f} bpp payload)\n", bpp, payload_bpp);
  if (std::isfinite(overhead)) {
    fmt::print("estimated:       {:.1f} bits ({:.4f} bpp); payload is {:+.2f}% of it\n",
               info.estimated_bits, estimated_bpp, overhead);
  } else {
    fmt::print("estimated:       {:.1f} bits\n", info.estimated_bits);
  }
}

void run_convert(const std::string& in, const std::string& out, const std::string& name,
                 unsigned default_steps, double default_gamma, double rate_lambda,
                 const std::string& weights, bool quiet) {
  struct stat st;
  if (stat(in.c_str(), &st) != 0 || access(in.c_str(), R_OK) != 0)
    throw CliError(kExitBadInput, fmt::format("cannot read {}", in));
  if (!S_ISREG(st.st_mode))
    throw CliError(kExitBadInput, fmt::format("cannot read {}: not a regular file", in));
  check_distinct(in, out);
  check_output_dir(out);
  const auto t0 = Clock::now();
  cdc_convert_options options;
  cdc_convert_default_options(&options);
  options.name = name.empty() ? nullptr : name.c_str();
  options.default_steps = default_steps;
  options.default_gamma = default_gamma;
  options.rate_lambda = rate_lambda;
  options.weight_format = weights == "f16"   ? CDC_WEIGHTS_FLOAT16
                          : weights == "f32" ? CDC_WEIGHTS_FLOAT32
                                             : CDC_WEIGHTS_KEEP;
  const cdc_status status = cdc_convert_checkpoint(in.c_str(), out.c_str(), &options);
  if (status != CDC_STATUS_OK) {
    int code = kExitOther;
    if (status == CDC_STATUS_INVALID_MODEL || status == CDC_STATUS_UNSUPPORTED) code = kExitModelError;
    if (status == CDC_STATUS_IO_ERROR) code = kExitWriteFailed;
    throw CliError(code, fmt::format("cannot convert {}: {}", in, describe(status, nullptr)));
  }
  if (!quiet) {
    fmt::print("{} -> {} ({:.2f} s)\n", in, out, seconds_since(t0));
    cdc_model* m = nullptr;
    if (cdc_model_load_file(out.c_str(), &m) == CDC_STATUS_OK) {
      ModelPtr model(m);
      cdc_model_info info{};
      info.struct_size = sizeof(info);
      if (cdc_model_get_info(model.get(), &info) == CDC_STATUS_OK) {
        fmt::print("model {} (id {}), {} parameters\n", info.name ? info.name : "?",
                   info.id ? info.id : "?", info.parameter_count);
      }
    }
  }
}

// "1-50" for the qualities that pick a built-in model, "" for none.
std::string quality_range(const char* name) {
  int lo = 0, hi = 0;
  for (int q = 1; q <= 100; ++q) {
    const char* n = cdc_builtin_model_for_quality(q);
    if (n == nullptr || std::strcmp(n, name) != 0) continue;
    if (lo == 0) lo = q;
    hi = q;
  }
  return lo == 0 ? std::string() : fmt::format("{}-{}", lo, hi);
}

void run_models(bool json) {
  // The built-in models are in the library's engine, which loads on first use:
  // an engine that cannot load is an error here, not "no built-in models".
  cdc_status load_status = CDC_STATUS_OK;
  if (!cdc::make_context(&load_status))
    throw CliError(kExitOther, fmt::format("cannot use libcdc: {}", describe(load_status)));
  const size_t count = cdc_builtin_model_count();
  if (json) fmt::print("[");
  if (count == 0 && !json) {
    fmt::print("this build of libcdc has no built-in models\n");
  }
  for (size_t i = 0; i < count; ++i) {
    const char* name = cdc_builtin_model_name(i);
    cdc_status status = CDC_STATUS_OK;
    ModelPtr model = cdc::load_model(name != nullptr ? name : "?", &status);
    if (!model) {
      if (json) fmt::print("]\n");
      throw CliError(kExitModelError, fmt::format("cannot load built-in model '{}': {}",
                                                  name ? name : "?", describe(status)));
    }
    cdc_model_info info{};
    info.struct_size = sizeof(info);
    const cdc_status is = cdc_model_get_info(model.get(), &info);
    if (is != CDC_STATUS_OK) {
      if (json) fmt::print("]\n");
      throw CliError(kExitModelError, fmt::format("model '{}': {}", name, describe(is)));
    }
    const std::string config = info.config_json != nullptr ? info.config_json : "{}";
    if (json) {
      JsonObject j;
      j.string("name", info.name ? info.name : name)
          .boolean("default", i == 0)
          .string("id", info.id ? info.id : "")
          .integer("parameter_count", info.parameter_count)
          .integer("num_timesteps", info.num_timesteps)
          .integer("default_steps", info.default_steps)
          .number("default_gamma", info.default_gamma)
          .integer("size_multiple", info.size_multiple)
          .string("quality", quality_range(name))
          .number("rate_lambda", info.rate_lambda)
          .raw("config", config);
      fmt::print("{}{}", i == 0 ? "" : ", ", j.str());
    } else {
      fmt::print("{}{}\n", info.name ? info.name : name, i == 0 ? " (default)" : "");
      fmt::print("  id:         {}\n", info.id ? info.id : "?");
      fmt::print("  parameters: {} ({:.2f} M)\n", info.parameter_count,
                 static_cast<double>(info.parameter_count) / 1e6);
      fmt::print("  timesteps:  {} (default decoding steps {}, gamma {})\n", info.num_timesteps,
                 info.default_steps, info.default_gamma);
      fmt::print("  padding:    multiple of {}\n", info.size_multiple);
      const std::string qualities = quality_range(name);
      if (!qualities.empty()) fmt::print("  quality:    {} (--quality)\n", qualities);
      fmt::print("  config:     {}\n", config);
    }
  }
  if (json) fmt::print("]\n");
}

void run_compare(const std::string& a_path, const std::string& b_path, bool json,
                 uint64_t max_pixels) {
  const Image a = read_image(a_path, max_pixels);
  const Image b = read_image(b_path, max_pixels);
  if (a.width != b.width || a.height != b.height) {
    throw CliError(kExitBadInput, fmt::format("the images differ in size: {}x{} and {}x{}", a.width,
                                     a.height, b.width, b.height));
  }
  // Compare the color channels (gray counts as R = G = B); alpha is ignored.
  const bool color = a.channels >= 3 || b.channels >= 3;
  const int planes = color ? 3 : 1;
  double sse = 0;
  const size_t count = static_cast<size_t>(a.width) * a.height;
  for (size_t p = 0; p < count; ++p) {
    for (int c = 0; c < planes; ++c) {
      const int va = a.pixels[p * a.channels + (a.channels >= 3 ? c : 0)];
      const int vb = b.pixels[p * b.channels + (b.channels >= 3 ? c : 0)];
      sse += static_cast<double>((va - vb) * (va - vb));
    }
  }
  const double mse = sse / (static_cast<double>(count) * planes);
  const double psnr = mse > 0 ? 10.0 * std::log10(255.0 * 255.0 / mse) : INFINITY;
  if (json) {
    fmt::print("{}\n", JsonObject().number("mse", mse).number("psnr", psnr).str());
  } else {
    fmt::print("PSNR {:.2f} dB (MSE {:.3f})\n", psnr, mse);
  }
}

const char kExitCodes[] =
    "Exit codes: 0 ok, 1 usage error, 2 unreadable input (missing file, bad image),\n"
    "3 corrupt/truncated/unsupported stream, 4 model mismatch, 5 model error,\n"
    "6 cancelled (Ctrl-C), 7 output write failure, 8 other failure.\n"
    "With several files (-o DIR), every file is tried; the exit code is that of the\n"
    "first failed file in command-line order, or 6 when cancelled.";

int run(int argc, char** argv) {
  CLI::App app{"cdc - lossy image compression with conditional diffusion models (libcdc)", "cdc"};
  app.footer(kExitCodes);
  app.require_subcommand(0, 1);
  app.fallthrough();  // global options may follow the subcommand

  Options o;
  bool version = false;
  app.add_flag("--version", version, "Print the library and bitstream format versions");
  app.add_option("--model", o.model,
                 "Built-in model name (see `cdc models`) or model file "
                 "(default: the built-in default model)");
  o.threads_opt = app.add_option("--threads", o.threads, "Computation threads (0 = all cores)");
  o.steps_opt = app.add_option("--steps", o.steps,
                               "Diffusion decoding steps (0 = model default; the built-in models "
                               "are tuned for their default of 1, and more steps lower their "
                               "quality; streams with a residual layer use their own)");
  o.gamma_opt =
      app.add_option("--gamma", o.gamma, "Decoding noise scale (0 = deterministic; -1 = default)");
  o.seed_opt = app.add_option("--seed", o.seed, "Seed of the decoding noise");
  o.max_pixels_opt =
      app.add_option("--max-pixels", o.max_pixels, "Largest image accepted, in pixels");
  o.tile_opt = app.add_option("--tile", o.tile,
                              "Tile side in pixels for bounded memory (0 = whole image, "
                              "-1 = automatic)");
  o.tile_overlap_opt = app.add_option("--tile-overlap", o.tile_overlap,
                                      "Context each tile sees beyond its core, in pixels "
                                      "(-1 = automatic)");
  o.effort_opt = app.add_option("--effort", o.effort,
                                "Encoder effort 0-4 (0 = default): higher levels refine the "
                                "latents for this image through the decoder, at about 6, 12, 24 "
                                "and 48 decodes' time; any decoder reads the result");
  o.precision_opt = app.add_option("--precision", o.precision,
                                   "Decoding arithmetic: fp32 (default) or bf16 (only on CPUs "
                                   "with native bfloat16: AVX512-BF16 or AMX)")
                        ->check(CLI::IsMember({"fp32", "bf16"}));
  o.device_opt = app.add_option("--device", o.device,
                                "Where the networks run: cpu (default) or cuda (where libcdc's "
                                "libtorch has CUDA and a GPU is visible); streams decode on either")
                     ->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_flag("--quiet", o.quiet, "Print only errors");

  std::string in, out, name;
  unsigned default_steps = 0;
  double default_gamma = -1.0;
  double rate_lambda = -1.0;
  std::string weights = "keep";
  bool json = false;

  CodecRequest codec;
  auto* encode = app.add_subcommand(
      "encode", "Compress PNG or JPEG images into .cdc streams: IN OUT, or IN... -o DIR");
  encode->add_option("files", codec.files,
                     "IN OUT: the input image (PNG or JPEG) and the output stream (.cdc); with "
                     "-o DIR, every name is an input. - is standard input or output")
      ->required();
  auto* decode = app.add_subcommand(
      "decode", "Decompress .cdc streams into PNG or JPEG images: IN OUT, or IN... -o DIR");
  decode->add_option("files", codec.files,
                     "IN OUT: the input stream (.cdc) and the output image, whose format "
                     "follows its extension; with -o DIR, every name is an input. - is "
                     "standard input or output")
      ->required();
  decode->add_option("-q,--jpeg-quality", codec.quality, "JPEG quality (1-100)")
      ->check(CLI::Range(1, 100));
  decode->add_option("--format", codec.format,
                     "Image format written to standard output or into -o DIR (default png)")
      ->check(CLI::IsMember({"png", "jpg", "jpeg"}));
  auto* quality_opt =
      encode->add_option("--quality", codec.cdc_quality,
                         fmt::format("Quality 1-100 (default {} when no --model is given): the "
                                     "built-in base model alone at the lowest qualities, then "
                                     "with a residual layer whose step halves every 18 "
                                     "qualities (higher = more bits, closer image)",
                                     kDefaultQuality))
          ->check(CLI::Range(1, 100));
  auto* target_opt =
      encode->add_option("--target-bpp", codec.target_bpp,
                         "Encode each image as close to this rate (bits per pixel) as the "
                         "built-in base model and its residual layer's step allow")
          ->check(CLI::Range(0.001, 64.0))
          ->excludes(quality_opt);
  encode->add_option("--residual", codec.residual,
                     "Residual layer step in 8-bit levels (0.25-255; 0 = none) with the model "
                     "of --model: smaller = more bits, closer image")
      ->check(CLI::Range(0.0, 255.0))
      ->excludes(quality_opt)
      ->excludes(target_opt);
  encode->add_flag("--strip", codec.strip,
                   "Store no metadata (by default the image's ICC profile, EXIF and XMP are "
                   "kept in the stream)");
  decode->add_flag("--strip", codec.strip,
                   "Write no metadata into the image (by default the stream's ICC profile, "
                   "EXIF and XMP are written back)");
  for (CLI::App* sub : {encode, decode}) {
    sub->add_option("-o,--output-dir", codec.output_dir,
                    "Output folder: every file name is an input, written as DIR/NAME.cdc "
                    "(encode) or DIR/NAME.png|.jpg (decode); a failed file does not stop the "
                    "others. With one input, a name ending in .cdc (encode) or .png/.jpg "
                    "(decode) that is not a folder is the output file");
    sub->add_option("-j,--jobs", codec.jobs,
                    "Files processed in parallel with -o (default 1); each job gets "
                    "cores/N compute threads unless --threads is given")
        ->check(CLI::Range(1, 1024));
  }

  auto* info = app.add_subcommand("info", "Describe a .cdc stream");
  info->add_option("input", in, "Input stream (.cdc)")->required();
  info->add_flag("--json", json, "Print JSON");

  auto* convert = app.add_subcommand(
      "convert",
      "Convert a checkpoint of the reference PyTorch CDC code into a libcdc model file (or rewrite "
      "a model file's name and decoding defaults)");
  convert->add_option("checkpoint", in, "Reference checkpoint (.pt) or libcdc model file (.cdcm)")
      ->required();
  convert->add_option("output", out, "Output model file")->required();
  convert->add_option("--name", name, "Model name (default: from the file name)");
  convert->add_option("--default-steps", default_steps,
                      "Decoding steps stored as the model's default (default: the preset's)")
      ->check(CLI::Range(1, 65536));
  convert->add_option("--default-gamma", default_gamma,
                      "Gamma stored as the model's default (default: the preset's)")
      ->check(CLI::Range(0.0, 10.0));
  convert->add_option("--rate-lambda", rate_lambda,
                      "The rate weight lambda the model was trained with (loss = lambda * bpp + "
                      "MSE in [-1, 1]), stored for --effort (default: the input's)")
      ->check(CLI::Range(0.0, 100.0));
  convert->add_option("--weights", weights,
                      "Weight storage: f16 (convolution and linear weights as float16: half the "
                      "file; needs a libcdc that reads model format 2), f32, or keep (default: "
                      "the input's; float32 for a checkpoint)")
      ->check(CLI::IsMember({"keep", "f32", "f16"}));

  auto* models = app.add_subcommand("models", "List the models built into the library");
  models->add_flag("--json", json, "Print JSON");

  auto* compare = app.add_subcommand("compare", "Print the PSNR between two images");
  std::string second;
  compare->add_option("a", in, "First image")->required();
  compare->add_option("b", second, "Second image")->required();
  compare->add_flag("--json", json, "Print JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  if (version) {
    fmt::print("cdc {} (libcdc {}, bitstream format {}, ABI {})\n", CDC_VERSION_STRING,
               cdc_version_string(), cdc_format_version(), CDC_ABI_VERSION);
    if (cdc_version_number() != CDC_VERSION_NUMBER) {
      fmt::print(stderr, "cdc: warning: built with libcdc {} but running with {}\n",
                 CDC_VERSION_STRING, cdc_version_string());
    }
    return kExitOk;
  }
  if (app.get_subcommands().empty()) {
    fmt::print(stderr, "{}", app.help());
    return kExitUsage;
  }

  install_interrupt_handler();
  try {
    if (*encode || *decode) {
      codec.decode = static_cast<bool>(*decode);
      if (codec.cdc_quality > 0 || codec.target_bpp > 0) {
        if (!o.model.empty())
          throw CliError(kExitUsage, fmt::format("--model and {} both choose the model: give one",
                                                 codec.cdc_quality > 0 ? "--quality" : "--target-bpp"));
      }
      // Encoding without --model, --quality, --target-bpp or --residual
      // uses the default quality.
      int quality = codec.cdc_quality;
      if (*encode && quality == 0 && codec.target_bpp == 0 && o.model.empty() &&
          codec.residual < 0 && cdc_builtin_model_count() > 0)
        quality = kDefaultQuality;
      if (*encode && (quality > 0 || codec.target_bpp > 0)) {
        const char* name = nullptr;
        double residual = 0;
        if (cdc_quality_settings(quality > 0 ? quality : 1, &name, &residual) != CDC_STATUS_OK)
          throw CliError(kExitUsage, fmt::format("{} needs the built-in models, and this library "
                                                 "has none",
                                                 quality > 0 ? "--quality" : "--target-bpp"));
        o.model = name;
        if (quality > 0) o.residual = residual;
        o.target_bpp = codec.target_bpp;
      }
      if (*encode && codec.residual >= 0) o.residual = codec.residual;
      return run_codec(o, codec);
    } else if (*info) {
      make_context(o);  // checks the options (e.g. --max-pixels)
      run_info(in, json, effective_max_pixels(o));
    } else if (*convert) {
      run_convert(in, out, name, default_steps, default_gamma, rate_lambda, weights, o.quiet);
    } else if (*models) {
      run_models(json);
    } else if (*compare) {
      make_context(o);  // checks the options (e.g. --max-pixels)
      run_compare(in, second, json, effective_max_pixels(o));
    }
  } catch (const CliError& e) {
    if (*e.what() != '\0') print_error(e.what());
    return e.code();
  }
  return kExitOk;
}

}  // namespace
}  // namespace cdc_tools

int main(int argc, char** argv) {
  try {
    return cdc_tools::run(argc, argv);
  } catch (const std::bad_alloc&) {
    cdc_tools::print_error("out of memory");
  } catch (const std::exception& e) {
    cdc_tools::print_error(e.what());
  }
  return cdc_tools::kExitOther;
}
