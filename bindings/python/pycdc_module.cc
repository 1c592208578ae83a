// _pycdc: the thin pybind11 layer of pycdc over the public C API (cdc.h).
//
// Only cdc.h is used; nothing of the C++ implementation of libcdc is visible
// here. Everything friendly (argument checking, option keywords, exception
// classes) lives in the pure-Python package pycdc; this module only
//   - owns the cdc_model / cdc_context handles,
//   - takes the buffer pointers, releases the GIL and calls cdc_encode /
//     cdc_decode,
//   - runs the progress trampoline (GIL re-acquired; a Python exception
//     cancels the call and is re-raised after it returns),
//   - turns a failed status into the matching pycdc.CdcError subclass, built
//     by pycdc._errors.error_from_status(status, message).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "cdc.h"
#include "cdc_cxx.h"

namespace py = pybind11;

namespace {

// A failed libcdc call: translated into a pycdc.CdcError subclass.
struct CdcFailure {
  int status;
  std::string message;
};

// Raises CdcFailure for a failed status. The message must be read right after
// the call, on the calling thread (cdc_last_error is thread-local).
void check(cdc_status status, const char* message) {
  if (status == CDC_STATUS_OK) return;
  std::string text = message != nullptr ? message : "";
  if (text.empty()) text = cdc_status_string(status);
  throw CdcFailure{static_cast<int>(status), std::move(text)};
}

void check_global(cdc_status status) {
  if (status != CDC_STATUS_OK) check(status, cdc_last_error());
}

py::dict stream_info_dict(const cdc_stream_info& info) {
  py::dict d;
  d["width"] = info.width;
  d["height"] = info.height;
  d["channels"] = info.channels;
  d["format_version"] = info.format_version;
  d["model_id"] = std::string(info.model_id);
  d["stream_size"] = info.stream_size;
  d["header_size"] = info.header_size;
  d["payload_size"] = info.payload_size;
  d["estimated_bits"] = info.estimated_bits;
  d["metadata_size"] = info.metadata_size;
  d["residual_size"] = info.residual_size;
  d["residual_step"] = info.residual_step;
  d["residual_base_steps"] = info.residual_base_steps;
  return d;
}

// The metadata blocks of a stream: {"icc": bytes, "exif": bytes, "xmp": bytes},
// the present ones only.
py::dict stream_metadata_dict(const void* data, size_t size) {
  py::dict d;
  const std::pair<cdc_metadata_kind, const char*> kinds[] = {
      {CDC_METADATA_ICC, "icc"}, {CDC_METADATA_EXIF, "exif"}, {CDC_METADATA_XMP, "xmp"}};
  for (const auto& [kind, name] : kinds) {
    const uint8_t* block = nullptr;
    size_t block_size = 0;
    check_global(cdc_stream_get_metadata(data, size, kind, &block, &block_size));
    if (block_size > 0) d[name] = py::bytes(reinterpret_cast<const char*>(block), block_size);
  }
  return d;
}

cdc_stream_info read_stream_info(const void* data, size_t size) {
  cdc_stream_info info;
  std::memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  check_global(cdc_stream_get_info(data, size, &info));
  return info;
}

// A contiguous read-only view of any buffer-protocol object (bytes,
// bytearray, memoryview, numpy array, mmap...).
py::buffer_info contiguous_bytes(const py::buffer& data) {
  py::buffer_info buf = data.request();
  if (buf.ndim > 1) {
    // Multi-dimensional buffers must be C-contiguous.
    py::ssize_t expected = buf.itemsize;
    for (py::ssize_t i = buf.ndim - 1; i >= 0; --i) {
      if (buf.shape[i] > 1 && buf.strides[i] != expected)
        throw py::value_error("the stream buffer must be contiguous");
      expected *= buf.shape[i];
    }
  } else if (buf.ndim == 1 && buf.shape[0] > 1 && buf.strides[0] != buf.itemsize) {
    throw py::value_error("the stream buffer must be contiguous");
  }
  return buf;
}

// --- model -------------------------------------------------------------------

class Model {
 public:
  explicit Model(cdc_model* model) : model_(model) {}
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  static Model* load_default() { return load_with([](cdc_model** m) { return cdc_model_load_default(m); }); }
  static Model* load_builtin(const std::string& name) {
    return load_with([&](cdc_model** m) { return cdc_model_load_builtin(name.c_str(), m); });
  }
  // A built-in model name, else a model file (cdc_model_load, the library's
  // one resolver).
  static Model* load(const std::string& name_or_path) {
    return load_with([&](cdc_model** m) { return cdc_model_load(name_or_path.c_str(), m); });
  }
  static Model* load_file(const std::string& path) {
    return load_with([&](cdc_model** m) { return cdc_model_load_file(path.c_str(), m); });
  }
  static Model* load_memory(const py::buffer& data) {
    py::buffer_info buf = contiguous_bytes(data);
    const void* ptr = buf.ptr;
    size_t size = static_cast<size_t>(buf.size * buf.itemsize);
    return load_with([&](cdc_model** m) { return cdc_model_load_memory(ptr, size, m); });
  }

  py::dict info() const {
    cdc_model_info info;
    std::memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    check_global(cdc_model_get_info(model_.get(), &info));
    py::dict d;
    d["name"] = std::string(info.name != nullptr ? info.name : "");
    d["id"] = std::string(info.id != nullptr ? info.id : "");
    d["config_json"] = std::string(info.config_json != nullptr ? info.config_json : "{}");
    d["num_timesteps"] = info.num_timesteps;
    d["default_steps"] = info.default_steps;
    d["default_gamma"] = info.default_gamma;
    d["size_multiple"] = info.size_multiple;
    d["parameter_count"] = info.parameter_count;
    d["rate_lambda"] = info.rate_lambda;
    return d;
  }

  const cdc_model* get() const { return model_.get(); }

 private:
  template <typename Loader>
  static Model* load_with(Loader&& loader) {
    cdc_model* model = nullptr;
    cdc_status status;
    std::string message;
    {
      // Loading reads and checks a whole file: let other threads run.
      py::gil_scoped_release release;
      status = loader(&model);
      if (status != CDC_STATUS_OK) message = cdc_last_error();
    }
    check(status, message.c_str());
    return new Model(model);
  }

  cdc::ModelPtr model_;
};

// --- context -----------------------------------------------------------------

// pycdc's stage names: the library's (cdc_stage_string) with '_' for ' '.
std::string stage_name(cdc_stage stage) {
  std::string name = cdc_stage_string(stage);
  for (char& c : name)
    if (c == ' ') c = '_';
  return name;
}

class Context {
 public:
  Context() {
    cdc_status status = CDC_STATUS_OK;
    context_ = cdc::make_context(&status);
    check_global(status);
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  void set_option(int option, double value) {
    Busy busy(this);
    cdc_status status = cdc_context_set_option(context_.get(), static_cast<cdc_option>(option), value);
    check(status, cdc_context_last_error(context_.get()));
  }

  double get_option(int option) const {
    double value = 0;
    check_global(cdc_context_get_option(context_.get(), static_cast<cdc_option>(option), &value));
    return value;
  }

  // callback(stage: str, done: int, total: int, preview: ndarray | None) -> Any;
  // returning False cancels. None removes the callback.
  void set_progress(py::object callback) {
    Busy busy(this);
    callback_ = std::move(callback);
  }
  py::object progress() const { return callback_; }

  // Asks the call running on this context (from another thread) to stop.
  void cancel() { cancel_requested_.store(true); }

  std::string last_error() const { return cdc_context_last_error(context_.get()); }

  // pixels: a uint8 array of shape (H, W) or (H, W, C) whose pixels are
  // contiguous (strides[-1] == 1 and, for 3-D, strides[1] == C); rows may be
  // further apart (a crop of a larger image), but not reversed. The user-facing
  // checks of an image (dtype, shape, channels, sizes) are pycdc._as_pixels';
  // here only what memory safety needs is checked, and libcdc checks the
  // channel count and the size itself.
  // icc, exif, xmp: metadata blocks to store (None or empty: absent).
  py::bytes encode(const Model& model, const py::array& pixels, std::optional<py::bytes> icc,
                   std::optional<py::bytes> exif, std::optional<py::bytes> xmp) {
    if (pixels.dtype().itemsize() != 1 || (pixels.ndim() != 2 && pixels.ndim() != 3))
      throw py::type_error("pixels must be a 2-D or 3-D uint8 array (see pycdc.encode)");
    const py::ssize_t height = pixels.shape(0), width = pixels.shape(1);
    const py::ssize_t channels = pixels.ndim() == 3 ? pixels.shape(2) : 1;
    if ((pixels.ndim() == 3 && channels > 1 && pixels.strides(2) != 1) ||
        (width > 1 && pixels.strides(1) != channels) ||
        (height > 1 && pixels.strides(0) < width * channels))
      throw py::value_error("pixels must be contiguous within rows");
    const size_t stride = height > 1 ? static_cast<size_t>(pixels.strides(0)) : 0;
    const auto* ptr = static_cast<const uint8_t*>(pixels.data());

    // Copies taken with the GIL held (the bytes objects stay alive anyway).
    const std::string icc_bytes = icc ? std::string(*icc) : std::string();
    const std::string exif_bytes = exif ? std::string(*exif) : std::string();
    const std::string xmp_bytes = xmp ? std::string(*xmp) : std::string();
    cdc_metadata metadata{};
    metadata.struct_size = sizeof(metadata);
    metadata.icc = reinterpret_cast<const uint8_t*>(icc_bytes.data());
    metadata.icc_size = icc_bytes.size();
    metadata.exif = reinterpret_cast<const uint8_t*>(exif_bytes.data());
    metadata.exif_size = exif_bytes.size();
    metadata.xmp = reinterpret_cast<const uint8_t*>(xmp_bytes.data());
    metadata.xmp_size = xmp_bytes.size();

    uint8_t* data = nullptr;
    size_t size = 0;
    Call call(this);
    cdc_status status;
    {
      py::gil_scoped_release release;
      status = cdc_encode_with_metadata(context_.get(), model.get(), ptr,
                                        static_cast<uint32_t>(width),
                                        static_cast<uint32_t>(height),
                                        static_cast<cdc_pixel_format>(channels), stride,
                                        &metadata, &data, &size);
    }
    cdc::BufferPtr owned(data);
    call.finish(status);  // raises the callback's exception or a CdcFailure
    return py::bytes(reinterpret_cast<const char*>(owned.get()), size);
  }

  // Decodes into a new uint8 array of shape (H, W, channels); channels 0 takes
  // the stream's.
  py::array decode(const Model& model, const py::buffer& data, int channels) {
    py::buffer_info buf = contiguous_bytes(data);
    const void* ptr = buf.ptr;
    const size_t size = static_cast<size_t>(buf.size * buf.itemsize);
    cdc_stream_info info = read_stream_info(ptr, size);
    if (channels == 0) channels = static_cast<int>(info.channels);
    if (channels != 1 && channels != 3 && channels != 4)
      throw py::value_error("channels must be 1, 3 or 4");
    // Refuse absurd sizes before allocating the output (the library would too).
    const double max_pixels = get_option(CDC_OPTION_MAX_PIXELS);
    if (static_cast<double>(info.width) * static_cast<double>(info.height) > max_pixels)
      throw CdcFailure{CDC_STATUS_LIMIT_EXCEEDED,
                       "the stream's image (" + std::to_string(info.width) + "x" +
                           std::to_string(info.height) + ") exceeds the max_pixels option (" +
                           std::to_string(static_cast<uint64_t>(max_pixels)) + ")"};
    py::array_t<uint8_t> out({static_cast<py::ssize_t>(info.height),
                              static_cast<py::ssize_t>(info.width),
                              static_cast<py::ssize_t>(channels)});
    uint8_t* pixels = out.mutable_data();
    const size_t capacity = static_cast<size_t>(out.nbytes());
    Call call(this);
    cdc_status status;
    {
      py::gil_scoped_release release;
      status = cdc_decode(context_.get(), model.get(), ptr, size, pixels, capacity,
                          static_cast<cdc_pixel_format>(channels), 0);
    }
    call.finish(status);
    return std::move(out);
  }

 private:
  // Marks the context busy for one call: a context serves one thread at a time.
  class Busy {
   public:
    explicit Busy(Context* self) : self_(self) {
      if (self_->busy_.exchange(true))
        throw std::runtime_error(
            "this pycdc.Context is already in use (by another thread, or by the progress "
            "callback of its own call); use one Context per thread");
    }
    ~Busy() { self_->busy_.store(false); }
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    Context* self_;
  };

  // One encode/decode call: installs the trampoline, then maps the outcome.
  class Call {
   public:
    explicit Call(Context* self) : self_(self), busy_(self) {
      self_->cancel_requested_.store(false);
      self_->error_.reset();
      check(cdc_context_set_progress(self_->context_.get(), &Context::trampoline, self_),
            cdc_context_last_error(self_->context_.get()));
    }
    ~Call() {
      cdc_context_set_progress(self_->context_.get(), nullptr, nullptr);
      self_->error_.reset();
    }
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    // Called with the GIL held, right after the C call.
    void finish(cdc_status status) {
      std::string message;
      if (status != CDC_STATUS_OK) message = cdc_context_last_error(self_->context_.get());
      if (self_->error_) {
        // The callback raised (or Ctrl-C came): that exception wins.
        py::error_already_set error = std::move(*self_->error_);
        self_->error_.reset();
        throw error;
      }
      check(status, message.c_str());
    }

   private:
    Context* self_;
    Busy busy_;
  };

  static int trampoline(void* user, const cdc_progress* progress) noexcept {
    auto* self = static_cast<Context*>(user);
    if (self->cancel_requested_.load()) return 1;
    py::gil_scoped_acquire acquire;
    if (self->error_) return 1;
    try {
      // Ctrl-C (delivered to the main thread only) cancels a long call.
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      py::object callback = self->callback_;  // a reference of our own for the call
      if (callback.is_none()) return 0;
      py::object preview = py::none();
      if (progress->preview != nullptr && progress->preview_width > 0 &&
          progress->preview_height > 0) {
        const py::ssize_t h = progress->preview_height, w = progress->preview_width;
        py::array_t<uint8_t> copy({h, w, static_cast<py::ssize_t>(3)});
        uint8_t* dst = copy.mutable_data();
        for (py::ssize_t y = 0; y < h; ++y)
          std::memcpy(dst + y * w * 3, progress->preview + y * progress->preview_stride,
                      static_cast<size_t>(w) * 3);
        preview = std::move(copy);
      }
      py::object result = callback(stage_name(progress->stage), progress->done,
                                          progress->total, preview);
      // Only an explicit False cancels; None (no return) continues.
      if (result.ptr() == Py_False) return 1;
      return 0;
    } catch (py::error_already_set& e) {
      self->error_.emplace(std::move(e));
      return 1;
    } catch (const std::exception& e) {
      try {
        PyErr_SetString(PyExc_RuntimeError, e.what());
        self->error_.emplace();
      } catch (...) {
      }
      return 1;
    } catch (...) {
      return 1;
    }
  }

  cdc::ContextPtr context_;
  py::object callback_ = py::none();
  std::optional<py::error_already_set> error_;
  std::atomic<bool> busy_{false};
  std::atomic<bool> cancel_requested_{false};
};

}  // namespace

PYBIND11_MODULE(_pycdc, m) {
  m.doc() = "Low-level binding of libcdc's C API; use the pycdc package instead.";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const CdcFailure& failure) {
      py::object exc = py::module_::import("pycdc._errors")
                           .attr("error_from_status")(failure.status, failure.message);
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    }
  });

  m.def("version_string", [] { return std::string(cdc_version_string()); });
  m.def("version_number", [] { return cdc_version_number(); });
  m.def("format_version", [] { return cdc_format_version(); });
  m.attr("HEADER_VERSION_NUMBER") = static_cast<uint32_t>(CDC_VERSION_NUMBER);
  m.attr("MAX_DIMENSION") = static_cast<uint32_t>(CDC_MAX_DIMENSION);
  m.def("status_string", [](int status) {
    return std::string(cdc_status_string(static_cast<cdc_status>(status)));
  });
  m.def("builtin_models", [] {
    py::list names;
    const size_t n = cdc_builtin_model_count();
    for (size_t i = 0; i < n; ++i) {
      const char* name = cdc_builtin_model_name(i);
      if (name != nullptr) names.append(py::str(name));
    }
    return names;
  });
  m.def("quality_settings", [](int quality) -> py::object {
    const char* name = nullptr;
    double residual = 0;
    if (cdc_quality_settings(quality, &name, &residual) != CDC_STATUS_OK) return py::none();
    return py::make_tuple(std::string(name), residual);
  });
  m.def("builtin_model_for_quality", [](int quality) -> py::object {
    const char* name = cdc_builtin_model_for_quality(quality);
    if (name == nullptr) return py::none();
    return py::str(name);
  });
  m.def("option_bounds", [](int option) {
    double lo = 0, hi = 0, def = 0;
    check_global(cdc_option_bounds(static_cast<cdc_option>(option), &lo, &hi, &def));
    return py::make_tuple(lo, hi, def);
  });
  m.def("stream_info", [](const py::buffer& data) {
    py::buffer_info buf = contiguous_bytes(data);
    return stream_info_dict(read_stream_info(buf.ptr, static_cast<size_t>(buf.size * buf.itemsize)));
  });
  m.def("stream_metadata", [](const py::buffer& data) {
    py::buffer_info buf = contiguous_bytes(data);
    return stream_metadata_dict(buf.ptr, static_cast<size_t>(buf.size * buf.itemsize));
  });
  m.def("convert_checkpoint",
        [](const std::string& checkpoint, const std::string& output, std::optional<std::string> name,
           unsigned default_steps, double default_gamma, unsigned weight_format) {
          cdc_status status;
          std::string message;
          {
            py::gil_scoped_release release;
            cdc_convert_options options;
            cdc_convert_default_options(&options);
            options.name = name ? name->c_str() : nullptr;
            options.default_steps = default_steps;
            options.default_gamma = default_gamma;
            options.weight_format = weight_format;
            status = cdc_convert_checkpoint(checkpoint.c_str(), output.c_str(), &options);
            if (status != CDC_STATUS_OK) message = cdc_last_error();
          }
          check(status, message.c_str());
        },
        py::arg("checkpoint"), py::arg("output"), py::arg("name") = py::none(),
        py::arg("default_steps") = 0u, py::arg("default_gamma") = -1.0,
        py::arg("weight_format") = 0u);

  py::class_<Model>(m, "Model")
      .def_static("load_default", &Model::load_default)
      .def_static("load_builtin", &Model::load_builtin, py::arg("name"))
      .def_static("load", &Model::load, py::arg("name_or_path"))
      .def_static("load_file", &Model::load_file, py::arg("path"))
      .def_static("load_memory", &Model::load_memory, py::arg("data"))
      .def("info", &Model::info);

  py::class_<Context>(m, "Context")
      .def(py::init<>())
      .def("set_option", &Context::set_option, py::arg("option"), py::arg("value"))
      .def("get_option", &Context::get_option, py::arg("option"))
      .def("set_progress", &Context::set_progress, py::arg("callback"))
      .def("progress", &Context::progress)
      .def("cancel", &Context::cancel)
      .def("last_error", &Context::last_error)
      .def("encode", &Context::encode, py::arg("model"), py::arg("pixels"),
           py::arg("icc") = py::none(), py::arg("exif") = py::none(),
           py::arg("xmp") = py::none())
      .def("decode", &Context::decode, py::arg("model"), py::arg("data"), py::arg("channels") = 0);

  m.attr("OPTION_THREADS") = static_cast<int>(CDC_OPTION_THREADS);
  m.attr("OPTION_STEPS") = static_cast<int>(CDC_OPTION_STEPS);
  m.attr("OPTION_GAMMA") = static_cast<int>(CDC_OPTION_GAMMA);
  m.attr("OPTION_SEED") = static_cast<int>(CDC_OPTION_SEED);
  m.attr("OPTION_MAX_PIXELS") = static_cast<int>(CDC_OPTION_MAX_PIXELS);
  m.attr("OPTION_TILE") = static_cast<int>(CDC_OPTION_TILE);
  m.attr("OPTION_TILE_OVERLAP") = static_cast<int>(CDC_OPTION_TILE_OVERLAP);
  m.attr("OPTION_EFFORT") = static_cast<int>(CDC_OPTION_EFFORT);
  m.attr("OPTION_PRECISION") = static_cast<int>(CDC_OPTION_PRECISION);
  m.attr("OPTION_DEVICE") = static_cast<int>(CDC_OPTION_DEVICE);
  m.attr("OPTION_RESIDUAL") = static_cast<int>(CDC_OPTION_RESIDUAL);
  m.attr("OPTION_TARGET_BPP") = static_cast<int>(CDC_OPTION_TARGET_BPP);
  m.attr("METADATA_MAX_SIZE") = static_cast<uint64_t>(CDC_METADATA_MAX_SIZE);
}
