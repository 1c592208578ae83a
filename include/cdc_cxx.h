/*
 * cdc_cxx.h - header-only C++ helpers over the C API of libcdc (cdc.h).
 *
 * RAII holders for the library's handles and buffers, so that C++ callers
 * never leak them on an early return or an exception. Nothing here is part of
 * the library's ABI: it is inline code compiled into the caller, over the
 * stable C functions only. Requires C++11.
 *
 *   cdc::ModelPtr model = cdc::load_model("default-mid");   // or a file path
 *   cdc::ContextPtr context = cdc::make_context();
 *   cdc::BufferPtr stream;  size_t size = 0;
 *   uint8_t *data = nullptr;
 *   cdc_encode(context.get(), model.get(), pixels, w, h, CDC_PIXEL_RGB8, 0, &data, &size);
 *   stream.reset(data);
 */
/**
 * @file cdc_cxx.h
 * @brief Header-only C++ helpers over the C API: RAII holders of models,
 * contexts and buffers, and a few conveniences (C++11).
 */
#ifndef CDC_CXX_H_
#define CDC_CXX_H_

#include <cdc.h>

#include <memory>
#include <string>

/** The C++ helpers of libcdc (header-only, over the C API). */
namespace cdc {

/** Deleter of a model (cdc_model_free), for ModelPtr. */
struct ModelDeleter {
  /** Releases the model; NULL is ignored. */
  void operator()(cdc_model *model) const noexcept { cdc_model_free(model); }
};
/** Deleter of a context (cdc_context_free), for ContextPtr. */
struct ContextDeleter {
  /** Releases the context; NULL is ignored. */
  void operator()(cdc_context *context) const noexcept { cdc_context_free(context); }
};
/** Deleter of a buffer returned by cdc_encode (cdc_buffer_free), for BufferPtr. */
struct BufferDeleter {
  /** Releases the buffer; NULL is ignored. */
  void operator()(void *buffer) const noexcept { cdc_buffer_free(buffer); }
};

/** Owning holders: a model (shareable read-only by threads), a context (one
 *  thread at a time) and a buffer returned by cdc_encode. */
typedef std::unique_ptr<cdc_model, ModelDeleter> ModelPtr;
/** Owning holder of a context (used by one thread at a time). */
typedef std::unique_ptr<cdc_context, ContextDeleter> ContextPtr;
/** Owning holder of a buffer returned by cdc_encode. */
typedef std::unique_ptr<uint8_t, BufferDeleter> BufferPtr;

/** The best message for a failed call: the context's message, else the
 *  thread's (cdc_last_error), else the status name; the status name is
 *  appended in parentheses when a message was found. */
inline std::string describe(cdc_status status, const cdc_context *context = nullptr) {
  std::string detail;
  if (context != nullptr) detail = cdc_context_last_error(context);
  if (detail.empty()) detail = cdc_last_error();
  const std::string name = cdc_status_string(status);
  if (detail.empty() || detail == name) return name;
  return detail + " (" + name + ")";
}

/** Loads a model by name or path (cdc_model_load: "" is the default built-in
 *  model). On failure returns an empty holder and stores the status in
 *  *status when status is not NULL. */
inline ModelPtr load_model(const std::string &name_or_path, cdc_status *status = nullptr) {
  cdc_model *model = nullptr;
  const cdc_status s = cdc_model_load(name_or_path.c_str(), &model);
  if (status != nullptr) *status = s;
  return ModelPtr(s == CDC_STATUS_OK ? model : nullptr);
}

/** Creates a context with default options; an empty holder on failure. */
inline ContextPtr make_context(cdc_status *status = nullptr) {
  cdc_context *context = nullptr;
  const cdc_status s = cdc_context_create(&context);
  if (status != nullptr) *status = s;
  return ContextPtr(s == CDC_STATUS_OK ? context : nullptr);
}

/** The model's id (32 hex digits), or "" when it cannot be read. */
inline std::string model_id(const cdc_model *model) {
  cdc_model_info info = cdc_model_info();
  info.struct_size = sizeof info;
  if (cdc_model_get_info(model, &info) != CDC_STATUS_OK || info.id == nullptr) return "";
  return info.id;
}

}  // namespace cdc

#endif /* CDC_CXX_H_ */
