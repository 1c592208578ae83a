// cdc - the command line tool of libcdc.
//
//   cdc encode IN.(png|jpg) OUT.cdc     compress an image
//   cdc decode IN.cdc OUT.(png|jpg)     decompress a stream
//   cdc info IN.cdc [--json]            describe a stream
//   cdc convert REFERENCE.pt OUT.cdcm   convert a reference checkpoint (or a .cdcm)
//   cdc models [--json]                 list the built-in models
//   cdc compare A B [--json]            PSNR between two images
//
// It uses only the public C API (cdc.h) of the shared library libcdc.so.
#include <cdc.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
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
  bool quiet = false;
  CLI::Option* threads_opt = nullptr;
  CLI::Option* steps_opt = nullptr;
  CLI::Option* gamma_opt = nullptr;
  CLI::Option* seed_opt = nullptr;
  CLI::Option* max_pixels_opt = nullptr;
};

struct ModelDeleter {
  void operator()(cdc_model* m) const { cdc_model_free(m); }
};
struct ContextDeleter {
  void operator()(cdc_context* c) const { cdc_context_free(c); }
};
struct BufferDeleter {
  void operator()(uint8_t* b) const { cdc_buffer_free(b); }
};
using ModelPtr = std::unique_ptr<cdc_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<cdc_context, ContextDeleter>;
using BufferPtr = std::unique_ptr<uint8_t, BufferDeleter>;

// A failure: the exit code and what to print.
struct Failure {
  int code;
  std::string message;
};

void print_error(const std::string& message) { fmt::print(stderr, "cdc: error: {}\n", message); }

// The best message for a failed call: the context's, the thread's, or the
// status name.
std::string describe(cdc_status status, const cdc_context* context) {
  std::string detail;
  if (context != nullptr) detail = cdc_context_last_error(context);
  if (detail.empty()) detail = cdc_last_error();
  const std::string name = cdc_status_string(status);
  if (detail.empty() || detail == name) return name;
  return fmt::format("{} ({})", detail, name);
}

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

uint64_t default_max_pixels() {
  double def = 0;
  if (cdc_option_bounds(CDC_OPTION_MAX_PIXELS, nullptr, nullptr, &def) == CDC_STATUS_OK && def >= 1) {
    return static_cast<uint64_t>(def);
  }
  return uint64_t{1} << 26;
}

uint64_t effective_max_pixels(const Options& o) {
  return o.max_pixels_opt != nullptr && o.max_pixels_opt->count() > 0 ? o.max_pixels
                                                                      : default_max_pixels();
}

// Loads --model: a built-in model name, else a model file; the built-in
// default model when empty.
bool load_model(const Options& o, ModelPtr* model, Failure* failure) {
  cdc_model* m = nullptr;
  cdc_status status;
  std::string what;
  if (o.model.empty()) {
    status = cdc_model_load_default(&m);
    what = "the built-in default model";
    if (status == CDC_STATUS_NOT_FOUND) {
      *failure = {kExitModelError,
                  "this build of libcdc has no built-in model; pass --model FILE"};
      return false;
    }
  } else {
    bool builtin = false;
    for (size_t i = 0; i < cdc_builtin_model_count(); ++i) {
      const char* name = cdc_builtin_model_name(i);
      if (name != nullptr && o.model == name) builtin = true;
    }
    if (builtin) {
      status = cdc_model_load_builtin(o.model.c_str(), &m);
      what = fmt::format("built-in model '{}'", o.model);
    } else {
      if (access(o.model.c_str(), F_OK) != 0) {
        *failure = {kExitModelError,
                    fmt::format("--model {}: no such file and no built-in model of that name "
                                "(see `cdc models`)",
                                o.model)};
        return false;
      }
      status = cdc_model_load_file(o.model.c_str(), &m);
      what = fmt::format("model file {}", o.model);
    }
  }
  if (status != CDC_STATUS_OK) {
    *failure = {kExitModelError,
                fmt::format("cannot load {}: {}", what, describe(status, nullptr))};
    return false;
  }
  model->reset(m);
  return true;
}

std::string model_id(const cdc_model* m) {
  cdc_model_info mi{};
  mi.struct_size = sizeof mi;
  return cdc_model_get_info(m, &mi) == CDC_STATUS_OK && mi.id != nullptr ? mi.id : "";
}

// Decoding without --model: the built-in model that made the stream (the
// default model first), so that streams of any built-in model decode with no
// option. Falls back to the default model (whose mismatch is then reported).
bool load_model_for_stream(const Options& o, const cdc_stream_info& info, ModelPtr* model,
                           Failure* failure) {
  if (!load_model(o, model, failure)) return false;
  if (!o.model.empty() || model_id(model->get()) == info.model_id) return true;
  for (size_t i = 0; i < cdc_builtin_model_count(); ++i) {
    cdc_model* m = nullptr;
    if (cdc_model_load_builtin(cdc_builtin_model_name(i), &m) != CDC_STATUS_OK) continue;
    if (model_id(m) == info.model_id) {
      model->reset(m);
      return true;
    }
    cdc_model_free(m);
  }
  return true;
}

bool set_option(cdc_context* context, cdc_option option, const char* flag, double value,
                Failure* failure) {
  const cdc_status status = cdc_context_set_option(context, option, value);
  if (status == CDC_STATUS_OK) return true;
  double lo = 0, hi = 0;
  if (status == CDC_STATUS_INVALID_ARGUMENT &&
      cdc_option_bounds(option, &lo, &hi, nullptr) == CDC_STATUS_OK) {
    *failure = {kExitUsage, fmt::format("{} {}: out of range ({} to {})", flag, value, lo, hi)};
  } else {
    *failure = {status == CDC_STATUS_INVALID_ARGUMENT ? kExitUsage : kExitOther,
                fmt::format("{} {}: {}", flag, value, describe(status, context))};
  }
  return false;
}

bool make_context(const Options& o, Progress* progress, ContextPtr* context, Failure* failure) {
  cdc_context* c = nullptr;
  const cdc_status status = cdc_context_create(&c);
  if (status != CDC_STATUS_OK) {
    *failure = {kExitOther, fmt::format("cannot create a context: {}", describe(status, nullptr))};
    return false;
  }
  context->reset(c);
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
  };
  for (const auto& s : settings) {
    if (s.opt != nullptr && s.opt->count() > 0 &&
        !set_option(c, s.option, s.flag, s.value, failure)) {
      return false;
    }
  }
  const cdc_status ps = cdc_context_set_progress(c, &Progress::callback, progress);
  if (ps != CDC_STATUS_OK) {
    *failure = {kExitOther, fmt::format("cannot set the progress callback: {}", describe(ps, c))};
    return false;
  }
  return true;
}

// Fails early, before long work, if the output directory cannot take a file.
bool check_output_dir(const std::string& path, Failure* failure) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  if (access(dir.c_str(), W_OK) != 0) {
    *failure = {kExitWriteFailed,
                fmt::format("cannot write {}: directory {} is missing or not writable", path, dir)};
    return false;
  }
  return true;
}

bool write_output(const std::string& path, const std::vector<uint8_t>& bytes, Failure* failure) {
  std::string error;
  if (!write_file_atomic(path, bytes.data(), bytes.size(), &error)) {
    *failure = {interrupted() ? kExitCancelled : kExitWriteFailed, error};
    return false;
  }
  return true;
}

bool check_interrupted(Failure* failure) {
  if (!interrupted()) return false;
  *failure = {kExitCancelled, "interrupted"};
  return true;
}

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

// A JSON number; JSON has no inf or nan.
std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{}", v);
}

// ---------------------------------------------------------------------------
// Subcommands. Each returns an exit code or fills *failure.

int run_encode(const Options& o, const std::string& in, const std::string& out, Failure* f) {
  const auto t0 = Clock::now();
  std::vector<uint8_t> bytes;
  std::string error;
  if (!read_file(in, &bytes, &error)) {
    *f = {kExitBadInput, error};
    return f->code;
  }
  Image image;
  if (!decode_image(bytes.data(), bytes.size(), effective_max_pixels(o), &image, &error)) {
    *f = {kExitBadInput, fmt::format("{}: {}", in, error)};
    return f->code;
  }
  bytes = std::vector<uint8_t>();
  if (!check_output_dir(out, f) || check_interrupted(f)) return f->code;
  // Options first: a bad value fails before the model is loaded.
  Progress progress(o.quiet);
  ContextPtr context;
  if (!make_context(o, &progress, &context, f)) return f->code;
  ModelPtr model;
  if (!load_model(o, &model, f) || check_interrupted(f)) return f->code;

  const auto t1 = Clock::now();
  uint8_t* data = nullptr;
  size_t size = 0;
  const cdc_pixel_format format = static_cast<cdc_pixel_format>(image.channels);
  const cdc_status status = cdc_encode(context.get(), model.get(), image.pixels.data(), image.width,
                                       image.height, format, 0, &data, &size);
  progress.finish();
  BufferPtr owned(data);
  if (status != CDC_STATUS_OK) {
    *f = {exit_code_for(status, Phase::kEncode),
          fmt::format("cannot encode {}: {}", in, describe(status, context.get()))};
    return f->code;
  }
  const double encode_s = seconds_since(t1);
  std::vector<uint8_t> stream(data, data + size);
  owned.reset();
  if (!write_output(out, stream, f)) return f->code;
  if (!o.quiet) {
    const double pixels = static_cast<double>(image.width) * image.height;
    fmt::print("{} ({}x{}, {} channel{}) -> {}: {} bytes, {:.4f} bpp, encode {:.2f} s, total {:.2f} s\n",
               in, image.width, image.height, image.channels, image.channels == 1 ? "" : "s", out,
               size, size * 8.0 / pixels, encode_s, seconds_since(t0));
  }
  return kExitOk;
}

// Reads a .cdc file and its header; on failure fills *f and returns false.
bool read_stream(const std::string& in, std::vector<uint8_t>* stream, cdc_stream_info* info,
                 Failure* f) {
  std::string error;
  if (!read_file(in, stream, &error)) {
    *f = {kExitBadInput, error};
    return false;
  }
  *info = cdc_stream_info{};
  info->struct_size = sizeof(*info);
  const cdc_status hs = cdc_stream_get_info(stream->data(), stream->size(), info);
  if (hs != CDC_STATUS_OK) {
    *f = {exit_code_for(hs, Phase::kStream), fmt::format("{}: {}", in, describe(hs, nullptr))};
    return false;
  }
  return true;
}

int run_decode(const Options& o, const std::string& in, const std::string& out, int quality,
               Failure* f) {
  const auto t0 = Clock::now();
  const ImageFormat out_format = format_from_extension(out);
  if (out_format == ImageFormat::kUnknown) {
    *f = {kExitUsage, fmt::format("{}: the output must end in .png, .jpg or .jpeg", out)};
    return f->code;
  }
  std::vector<uint8_t> stream;
  cdc_stream_info info{};
  if (!read_stream(in, &stream, &info, f)) return f->code;
  if (!check_output_dir(out, f) || check_interrupted(f)) return f->code;
  // Options first: a bad value fails before the model is loaded.
  Progress progress(o.quiet);
  ContextPtr context;
  if (!make_context(o, &progress, &context, f)) return f->code;
  ModelPtr model;
  if (!load_model_for_stream(o, info, &model, f) || check_interrupted(f)) return f->code;

  Image image;
  image.width = info.width;
  image.height = info.height;
  image.channels = info.channels;
  // JPEG has no alpha: ask the library for RGB.
  if (out_format == ImageFormat::kJpeg && image.channels == 4) image.channels = 3;
  if (image.channels != 1 && image.channels != 3 && image.channels != 4) image.channels = 3;
  const uint64_t pixels = static_cast<uint64_t>(image.width) * image.height;
  if (pixels == 0 || pixels > effective_max_pixels(o)) {
    *f = {kExitCorruptStream,
          fmt::format("{}: the stream is {}x{}, beyond the limit of {} pixels (see --max-pixels)",
                      in, image.width, image.height, effective_max_pixels(o))};
    return f->code;
  }
  try {
    image.pixels.resize(pixels * image.channels);
  } catch (const std::bad_alloc&) {
    *f = {kExitOther, "out of memory"};
    return f->code;
  }
  const auto t1 = Clock::now();
  const cdc_status status =
      cdc_decode(context.get(), model.get(), stream.data(), stream.size(), image.pixels.data(),
                 image.pixels.size(), static_cast<cdc_pixel_format>(image.channels), 0);
  progress.finish();
  if (status != CDC_STATUS_OK) {
    *f = {exit_code_for(status, Phase::kDecode),
          fmt::format("cannot decode {}: {}", in, describe(status, context.get()))};
    return f->code;
  }
  const double decode_s = seconds_since(t1);
  std::vector<uint8_t> encoded;
  std::string error;
  const bool ok = out_format == ImageFormat::kPng ? encode_png(image, &encoded, &error)
                                                  : encode_jpeg(image, quality, &encoded, &error);
  if (!ok) {
    *f = {kExitWriteFailed, error};
    return f->code;
  }
  if (!write_output(out, encoded, f)) return f->code;
  if (!o.quiet) {
    fmt::print("{} ({} bytes, {:.4f} bpp) -> {} ({}x{}): decode {:.2f} s, total {:.2f} s\n", in,
               stream.size(), stream.size() * 8.0 / static_cast<double>(pixels), out, image.width,
               image.height, decode_s, seconds_since(t0));
  }
  return kExitOk;
}

int run_info(const std::string& in, bool json, Failure* f) {
  std::vector<uint8_t> stream;
  cdc_stream_info info{};
  if (!read_stream(in, &stream, &info, f)) return f->code;
  const double pixels = static_cast<double>(info.width) * info.height;
  const double bpp = pixels > 0 ? info.stream_size * 8.0 / pixels : 0.0;
  const double payload_bits = static_cast<double>(info.payload_size) * 8.0;
  const double payload_bpp = pixels > 0 ? payload_bits / pixels : 0.0;
  const double estimated_bpp = pixels > 0 ? info.estimated_bits / pixels : 0.0;
  const double overhead =
      info.estimated_bits > 0 ? (payload_bits / info.estimated_bits - 1.0) * 100.0 : NAN;
  if (json) {
    fmt::print(
        "{{\"file\": \"{}\", \"width\": {}, \"height\": {}, \"channels\": {}, "
        "\"format_version\": {}, \"model_id\": \"{}\", \"stream_size\": {}, \"header_size\": {}, "
        "\"payload_size\": {}, \"bpp\": {}, \"payload_bpp\": {}, \"estimated_bits\": {}, "
        "\"estimated_bpp\": {}, \"payload_vs_estimate_percent\": {}}}\n",
        json_escape(in), info.width, info.height, info.channels, info.format_version,
        json_escape(info.model_id), info.stream_size, info.header_size, info.payload_size,
        json_number(bpp), json_number(payload_bpp), json_number(info.estimated_bits),
        json_number(estimated_bpp), json_number(overhead));
    return kExitOk;
  }
  fmt::print("file:            {}\n", in);
  fmt::print("image:           {}x{}, {} channel{}\n", info.width, info.height, info.channels,
             info.channels == 1 ? "" : "s");
  fmt::print("format version:  {}\n", info.format_version);
  fmt::print("model id:        {}\n", info.model_id);
  fmt::print("stream size:     {} bytes ({} header + {} payload)\n", info.stream_size,
             info.header_size, info.payload_size);
  fmt::print("rate:            {:.4f} bpp ({:.4f} bpp payload)\n", bpp, payload_bpp);
  if (std::isfinite(overhead)) {
    fmt::print("estimated:       {:.1f} bits ({:.4f} bpp); payload is {:+.2f}% of it\n",
               info.estimated_bits, estimated_bpp, overhead);
  } else {
    fmt::print("estimated:       {:.1f} bits\n", info.estimated_bits);
  }
  return kExitOk;
}

int run_convert(const std::string& in, const std::string& out, const std::string& name,
                unsigned default_steps, double default_gamma, bool quiet, Failure* f) {
  if (access(in.c_str(), R_OK) != 0) {
    *f = {kExitBadInput, fmt::format("cannot read {}", in)};
    return f->code;
  }
  if (!check_output_dir(out, f)) return f->code;
  const auto t0 = Clock::now();
  cdc_convert_options options{};
  options.struct_size = sizeof(options);
  options.name = name.empty() ? nullptr : name.c_str();
  options.default_steps = default_steps;
  options.default_gamma = default_gamma;
  const cdc_status status = cdc_convert_checkpoint(in.c_str(), out.c_str(), &options);
  if (status != CDC_STATUS_OK) {
    int code = kExitOther;
    if (status == CDC_STATUS_INVALID_MODEL || status == CDC_STATUS_UNSUPPORTED) code = kExitModelError;
    if (status == CDC_STATUS_IO_ERROR) code = kExitWriteFailed;
    *f = {code, fmt::format("cannot convert {}: {}", in, describe(status, nullptr))};
    return f->code;
  }
  if (!quiet) {
    fmt::print("{} -> {} ({:.2f} s)\n", in, out, seconds_since(t0));
    cdc_model* m = nullptr;
    if (cdc_model_load_file(out.c_str(), &m) == CDC_STATUS_OK) {
      ModelPtr model(m);
      cdc_model_info info{};
      info.struct_size = sizeof(info);
      if (cdc_model_get_info(m, &info) == CDC_STATUS_OK) {
        fmt::print("model {} (id {}), {} parameters\n", info.name ? info.name : "?",
                   info.id ? info.id : "?", info.parameter_count);
      }
    }
  }
  return kExitOk;
}

int run_models(bool json, Failure* f) {
  const size_t count = cdc_builtin_model_count();
  if (json) fmt::print("[");
  if (count == 0 && !json) {
    fmt::print("this build of libcdc has no built-in models\n");
  }
  for (size_t i = 0; i < count; ++i) {
    const char* name = cdc_builtin_model_name(i);
    cdc_model* m = nullptr;
    const cdc_status status = cdc_model_load_builtin(name, &m);
    if (status != CDC_STATUS_OK) {
      if (json) fmt::print("]\n");
      *f = {kExitModelError, fmt::format("cannot load built-in model '{}': {}", name ? name : "?",
                                         describe(status, nullptr))};
      return f->code;
    }
    ModelPtr model(m);
    cdc_model_info info{};
    info.struct_size = sizeof(info);
    const cdc_status is = cdc_model_get_info(m, &info);
    if (is != CDC_STATUS_OK) {
      if (json) fmt::print("]\n");
      *f = {kExitModelError, fmt::format("model '{}': {}", name, describe(is, nullptr))};
      return f->code;
    }
    const std::string config = info.config_json != nullptr ? info.config_json : "{}";
    if (json) {
      fmt::print(
          "{}{{\"name\": \"{}\", \"default\": {}, \"id\": \"{}\", \"parameter_count\": {}, "
          "\"num_timesteps\": {}, \"default_steps\": {}, \"default_gamma\": {}, "
          "\"size_multiple\": {}, \"config\": {}}}",
          i == 0 ? "" : ", ", json_escape(info.name ? info.name : name), i == 0 ? "true" : "false",
          json_escape(info.id ? info.id : ""), info.parameter_count, info.num_timesteps,
          info.default_steps, json_number(info.default_gamma), info.size_multiple, config);
    } else {
      fmt::print("{}{}\n", info.name ? info.name : name, i == 0 ? " (default)" : "");
      fmt::print("  id:         {}\n", info.id ? info.id : "?");
      fmt::print("  parameters: {} ({:.2f} M)\n", info.parameter_count,
                 static_cast<double>(info.parameter_count) / 1e6);
      fmt::print("  timesteps:  {} (default decoding steps {}, gamma {})\n", info.num_timesteps,
                 info.default_steps, info.default_gamma);
      fmt::print("  padding:    multiple of {}\n", info.size_multiple);
      fmt::print("  config:     {}\n", config);
    }
  }
  if (json) fmt::print("]\n");
  return kExitOk;
}

int run_compare(const std::string& a_path, const std::string& b_path, bool json,
                uint64_t max_pixels, Failure* f) {
  Image images[2];
  const std::string paths[2] = {a_path, b_path};
  for (int i = 0; i < 2; ++i) {
    std::vector<uint8_t> bytes;
    std::string error;
    if (!read_file(paths[i], &bytes, &error) ||
        !decode_image(bytes.data(), bytes.size(), max_pixels, &images[i], &error)) {
      *f = {kExitBadInput, fmt::format("{}: {}", paths[i], error)};
      return f->code;
    }
  }
  const Image& a = images[0];
  const Image& b = images[1];
  if (a.width != b.width || a.height != b.height) {
    *f = {kExitBadInput, fmt::format("the images differ in size: {}x{} and {}x{}", a.width,
                                     a.height, b.width, b.height)};
    return f->code;
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
    fmt::print("{{\"mse\": {}, \"psnr\": {}}}\n", json_number(mse), json_number(psnr));
  } else {
    fmt::print("PSNR {:.2f} dB (MSE {:.3f})\n", psnr, mse);
  }
  return kExitOk;
}

const char kExitCodes[] =
    "Exit codes: 0 ok, 1 usage error, 2 unreadable input (missing file, bad image),\n"
    "3 corrupt/truncated/unsupported stream, 4 model mismatch, 5 model error,\n"
    "6 cancelled (Ctrl-C), 7 output write failure, 8 other failure.";

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
  o.steps_opt = app.add_option("--steps", o.steps, "Diffusion decoding steps (0 = model default)");
  o.gamma_opt =
      app.add_option("--gamma", o.gamma, "Decoding noise scale (0 = deterministic; -1 = default)");
  o.seed_opt = app.add_option("--seed", o.seed, "Seed of the decoding noise");
  o.max_pixels_opt =
      app.add_option("--max-pixels", o.max_pixels, "Largest image accepted, in pixels");
  app.add_flag("--quiet", o.quiet, "Print only errors");

  std::string in, out, name;
  unsigned default_steps = 0;
  double default_gamma = -1.0;
  int quality = 90;
  bool json = false;

  auto* encode = app.add_subcommand("encode", "Compress a PNG or JPEG image into a .cdc stream");
  encode->add_option("input", in, "Input image (PNG or JPEG)")->required();
  encode->add_option("output", out, "Output stream (.cdc)")->required();

  auto* decode = app.add_subcommand("decode", "Decompress a .cdc stream into a PNG or JPEG image");
  decode->add_option("input", in, "Input stream (.cdc)")->required();
  decode->add_option("output", out, "Output image; the format follows the extension")->required();
  decode->add_option("-q,--jpeg-quality", quality, "JPEG quality (1-100)")
      ->check(CLI::Range(1, 100));

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
  Failure failure{kExitOk, ""};
  int rc = kExitOk;
  if (*encode) {
    rc = run_encode(o, in, out, &failure);
  } else if (*decode) {
    rc = run_decode(o, in, out, quality, &failure);
  } else if (*info) {
    rc = run_info(in, json, &failure);
  } else if (*convert) {
    rc = run_convert(in, out, name, default_steps, default_gamma, o.quiet, &failure);
  } else if (*models) {
    rc = run_models(json, &failure);
  } else if (*compare) {
    rc = run_compare(in, second, json, effective_max_pixels(o), &failure);
  }
  if (rc != kExitOk && !failure.message.empty()) print_error(failure.message);
  return rc;
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
