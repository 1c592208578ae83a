/*
 * cdc.h - the public C interface of libcdc, a learned image codec based on
 * "Lossy Image Compression with Conditional Diffusion Models" (Yang & Mandt).
 *
 * This is the only public header of libcdc. It is plain C (C99 and later, and
 * valid C++); nothing of the C++ implementation is visible through it.
 *
 * Objects
 * -------
 * - cdc_model: immutable weights and entropy-coder tables. Loaded once, then
 *   shared READ-ONLY by any number of threads at the same time. Free it only
 *   after every context that uses it has finished its call.
 * - cdc_context: per-thread working state and options (threads, decoding
 *   steps, gamma, seed, progress callback, last error message). A context is
 *   used by ONE thread at a time; reuse it for many calls. Create one context
 *   per thread to encode or decode in parallel with one shared model.
 *
 * Thread safety
 * -------------
 * - Every function that takes a const cdc_model* may be called concurrently
 *   with the same model from several threads.
 * - Functions that take a cdc_context* must not be called concurrently with
 *   the same context.
 * - Functions with no handle (version queries, cdc_status_string,
 *   cdc_stream_get_info, model loading) are thread-safe.
 * - The progress callback runs on the calling thread, synchronously, inside
 *   cdc_encode/cdc_decode. It must not call back into libcdc with the same
 *   context.
 *
 * Errors
 * ------
 * Every fallible function returns a cdc_status. CDC_STATUS_OK is 0. On
 * failure a human-readable message is kept per context
 * (cdc_context_last_error) and per thread (cdc_last_error), and no output is
 * produced: output pointers are set to NULL/0 and caller buffers may have been
 * written only partially. No C++ exception ever leaves the library.
 *
 * Memory
 * ------
 * cdc_encode returns a buffer owned by the library; release it with
 * cdc_buffer_free. cdc_decode writes into a buffer owned by the caller, whose
 * size is known from cdc_stream_get_info.
 */
/**
 * @file cdc.h
 * @brief The public C interface of libcdc: models, contexts and options,
 * progress, encoding and decoding.
 *
 * Read the overview at the top of this header (objects, thread safety,
 * errors, memory); every function is described at its declaration.
 */
#ifndef CDC_H_
#define CDC_H_

#include <stddef.h>
#include <stdint.h>

#include "cdc_version.h"

/**
 * @def CDC_API
 * Marks the functions that libcdc exports (its visibility or DLL attribute);
 * empty for the library's users on ELF platforms.
 */
#if defined(_WIN32) && defined(CDC_SHARED)
#  if defined(CDC_BUILDING_LIBRARY)
#    define CDC_API __declspec(dllexport)
#  else
#    define CDC_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && defined(CDC_BUILDING_LIBRARY)
#  define CDC_API __attribute__((visibility("default")))
#else
#  define CDC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Status codes                                                             */
/* ------------------------------------------------------------------------ */

/** Result of every fallible call. Values are stable and never reused. */
typedef enum cdc_status {
  /** Success. */
  CDC_STATUS_OK = 0,
  /** A NULL pointer, an out-of-range option value, a bad size or stride. */
  CDC_STATUS_INVALID_ARGUMENT = 1,
  /** An allocation failed. */
  CDC_STATUS_OUT_OF_MEMORY = 2,
  /** A file could not be opened, read or written. */
  CDC_STATUS_IO_ERROR = 3,
  /** A model file or checkpoint is malformed, truncated or inconsistent. */
  CDC_STATUS_INVALID_MODEL = 4,
  /** A .cdc stream is malformed (bad magic, checksum, field or payload). */
  CDC_STATUS_CORRUPT_STREAM = 5,
  /** A .cdc stream ends before its declared end. */
  CDC_STATUS_TRUNCATED_STREAM = 6,
  /** A .cdc stream was made with another model than the one given. */
  CDC_STATUS_MODEL_MISMATCH = 7,
  /** A valid but unsupported input (e.g. a newer format version). */
  CDC_STATUS_UNSUPPORTED = 8,
  /** An input exceeds a documented limit (image size, pixel count). */
  CDC_STATUS_LIMIT_EXCEEDED = 9,
  /** The caller's output buffer is too small. */
  CDC_STATUS_BUFFER_TOO_SMALL = 10,
  /** The progress callback asked to stop. No output was produced. */
  CDC_STATUS_CANCELLED = 11,
  /** The requested item (e.g. a built-in model) is not part of this build. */
  CDC_STATUS_NOT_FOUND = 12,
  /** The operation is not available yet in this version of the library. */
  CDC_STATUS_NOT_IMPLEMENTED = 13,
  /** An unexpected internal failure; the message says more. */
  CDC_STATUS_INTERNAL_ERROR = 99
} cdc_status;

/**
 * A static, human-readable name for a status, e.g. "corrupt stream".
 * Never NULL; unknown values give "unknown status".
 */
CDC_API const char *cdc_status_string(cdc_status status);

/**
 * The message of the most recent failure of a libcdc call made on the calling
 * thread, or "" if none. Valid until the next libcdc call on this thread.
 */
CDC_API const char *cdc_last_error(void);

/* ------------------------------------------------------------------------ */
/* Versions                                                                 */
/* ------------------------------------------------------------------------ */

/**
 * The library version as MAJOR * 1000000 + MINOR * 1000 + PATCH, the same
 * encoding as the CDC_VERSION_NUMBER macro of cdc_version.h. Compare the two
 * to detect a header/library mismatch at run time.
 */
CDC_API uint32_t cdc_version_number(void);

/** The library version as "MAJOR.MINOR.PATCH". Static; never NULL. */
CDC_API const char *cdc_version_string(void);

/**
 * The newest version of the .cdc bitstream format that this library reads
 * and writes. It is independent of the library version: it changes only when
 * the format does. Streams without metadata are written as format version 1
 * (as by earlier releases), streams with metadata (cdc_encode_with_metadata)
 * as version 2; every older version is still read.
 */
CDC_API uint32_t cdc_format_version(void);

/* ------------------------------------------------------------------------ */
/* Models                                                                   */
/* ------------------------------------------------------------------------ */

/** Immutable model: weights, configuration and entropy tables. */
typedef struct cdc_model cdc_model;

/**
 * Loads a libcdc model file (written by `cdc convert` or `cdc-train`).
 * On success *model receives a new model to release with cdc_model_free.
 * Errors: INVALID_ARGUMENT (NULL), IO_ERROR, INVALID_MODEL (truncated,
 * foreign or inconsistent file), UNSUPPORTED (newer model format).
 */
CDC_API cdc_status cdc_model_load_file(const char *path, cdc_model **model);

/**
 * Loads a model from a memory buffer holding the bytes of a model file.
 * The buffer is copied as needed; it may be released after the call.
 */
CDC_API cdc_status cdc_model_load_memory(const void *data, size_t size,
                                         cdc_model **model);

/**
 * Loads the default built-in model (see cdc_builtin_model_name(0)).
 * Errors: NOT_FOUND if this build of the library carries no built-in model.
 */
CDC_API cdc_status cdc_model_load_default(cdc_model **model);

/**
 * Loads a built-in model by name (see cdc_builtin_model_count).
 * Errors: NOT_FOUND for an unknown name.
 */
CDC_API cdc_status cdc_model_load_builtin(const char *name, cdc_model **model);

/**
 * Loads a model by what a user types: NULL or "" gives the default built-in
 * model, the name of a built-in model gives that model, anything else is
 * read as a model file path. This is the resolver that the `cdc` tool's
 * --model option and pycdc.Model use.
 * A built-in name wins over a file of the same name in the current folder
 * (write "./name" for the file).
 * Errors: NOT_FOUND when a bare name (no '/' and no '.') is neither a
 * built-in model nor an existing file, or when NULL/"" is given and the
 * library has no built-in model; otherwise those of cdc_model_load_file
 * (IO_ERROR for a missing path such as "models/x.cdcm").
 */
CDC_API cdc_status cdc_model_load(const char *name_or_path, cdc_model **model);

/** The number of models built into this library (0 or more). */
CDC_API size_t cdc_builtin_model_count(void);

/**
 * The name of built-in model number index (0 is the default), or NULL when
 * index >= cdc_builtin_model_count(). Static storage.
 */
CDC_API const char *cdc_builtin_model_name(size_t index);

/**
 * The built-in model for a quality setting, like the quality of JPEG or
 * WebP: 1..100; the model part of cdc_quality_settings (which also gives the
 * residual layer's step that the quality needs). NULL for a quality outside
 * 1..100 or a library without built-in models. Static storage; load the
 * model with cdc_model_load_builtin.
 */
CDC_API const char *cdc_builtin_model_for_quality(int quality);

/**
 * The encoding settings of a quality 1..100 (JPEG's convention: higher gives
 * more bits and a closer image): *model_name receives the built-in model to
 * load (static storage; the lowest-rate model of the library's ladder) and
 * *residual the CDC_OPTION_RESIDUAL value to set (0 for the lowest
 * qualities: the model's stream alone; otherwise a step that halves every
 * 18 qualities, down to 4 levels at quality 100). The rate grows and the
 * distortion falls monotonically with the quality (README: bits per pixel
 * and PSNR per quality). Either pointer may be NULL.
 * Errors: INVALID_ARGUMENT for a quality outside 1..100, NOT_FOUND for a
 * library without built-in models.
 */
CDC_API cdc_status cdc_quality_settings(int quality, const char **model_name,
                                        double *residual);

/** Releases a model. NULL is accepted and ignored. */
CDC_API void cdc_model_free(cdc_model *model);

/**
 * Facts about a model. The caller sets struct_size to sizeof(cdc_model_info)
 * before the call; fields the library knows of but that do not fit in
 * struct_size are not written, so older callers keep working.
 */
typedef struct cdc_model_info {
  /** Set by the caller: sizeof(cdc_model_info). */
  size_t struct_size;
  /** Model name (e.g. "default-low"); owned by the model. */
  const char *name;
  /** Model id: 32 lowercase hex digits, a hash of the model's content.
   *  Every .cdc stream carries the id of the model that made it. */
  const char *id;
  /** The model configuration as a JSON object; owned by the model. */
  const char *config_json;
  /** Number of diffusion timesteps T the model was trained with. */
  uint32_t num_timesteps;
  /** Decoding steps used when CDC_OPTION_STEPS is 0. */
  uint32_t default_steps;
  /** Gamma used when CDC_OPTION_GAMMA is negative (the default). */
  double default_gamma;
  /** Images are padded internally to a multiple of this size. */
  uint32_t size_multiple;
  /** Number of parameters (compressor and denoiser). */
  uint64_t parameter_count;
  /** The rate weight lambda the model was trained with (loss = lambda * bpp
   *  + MSE of images scaled to [-1, 1]); 0 when the model file does not say.
   *  Encoder effort levels above 0 need it (see CDC_OPTION_EFFORT). */
  double rate_lambda;
} cdc_model_info;

/**
 * Fills *info. Errors: INVALID_ARGUMENT for NULL or a struct_size smaller
 * than offsetof(cdc_model_info, name) + sizeof(const char *).
 */
CDC_API cdc_status cdc_model_get_info(const cdc_model *model,
                                      cdc_model_info *info);

/** Weight storage of a model file written by cdc_convert_checkpoint. */
typedef enum cdc_weight_format {
  /** The input's: float32 for a checkpoint; a model file keeps its own. */
  CDC_WEIGHTS_KEEP = 0,
  /** Every tensor float32 (model format version 1, read by every libcdc). */
  CDC_WEIGHTS_FLOAT32 = 1,
  /** The convolution and linear weights in IEEE float16, rounded to nearest
   *  (half the file; biases, norms, the entropy prior and the schedule stay
   *  float32). The file is model format version 2, which libraries that
   *  read only version 1 refuse as CDC_STATUS_UNSUPPORTED. Decoding computes
   *  in float32 as always. */
  CDC_WEIGHTS_FLOAT16 = 2
} cdc_weight_format;

/** Options of cdc_convert_checkpoint. Initialize with
 *  cdc_convert_default_options(), then change what you need. */
typedef struct cdc_convert_options {
  /** Set by the caller: sizeof(cdc_convert_options). */
  size_t struct_size;
  /** Model name stored in the file; NULL or "" uses the output file's name
   *  without its extension. */
  const char *name;
  /** Decoding steps stored as the model's default; 0 keeps the preset's
   *  (65 for the paper configuration). */
  uint32_t default_steps;
  /** Gamma stored as the model's default; a negative value keeps the
   *  preset's (0.8 for the paper configuration). Zero-initialized options
   *  must set it explicitly to keep the preset: use -1. */
  double default_gamma;
  /** The rate weight lambda the model was trained with, stored in the file
   *  for the encoder's effort levels (see CDC_OPTION_EFFORT); 0 or a
   *  negative value keeps the input's (a reference checkpoint has none).
   *  Bounds 0..100. */
  double rate_lambda;
  /** How the output stores its weights (a cdc_weight_format; callers whose
   *  struct_size ends before this field get CDC_WEIGHTS_KEEP). Other values:
   *  CDC_STATUS_INVALID_ARGUMENT. */
  uint32_t weight_format;
} cdc_convert_options;

/**
 * Converts a checkpoint of the reference PyTorch implementation of CDC
 * (x-param `ckpt["ema"]` or epsilon-param `ckpt["model"]`) into a libcdc
 * model file at output_path, written atomically. The configuration is
 * inferred from the tensor shapes. options may be NULL (file name as the
 * name, the preset's decoding defaults). A libcdc model file is accepted as
 * input too: its weights and configuration are kept and only the name (if
 * given), the decoding defaults and rate_lambda change, which gives a new
 * model id.
 * Errors: INVALID_ARGUMENT, IO_ERROR, INVALID_MODEL (unreadable or
 * inconsistent checkpoint).
 */
CDC_API cdc_status cdc_convert_checkpoint(const char *checkpoint_path,
                                          const char *output_path,
                                          const cdc_convert_options *options);

/**
 * Fills *options with the defaults of cdc_convert_checkpoint (struct_size
 * set, the file name as the model name, the preset's decoding steps and
 * gamma: default_gamma = -1, not the 0 of a zero-initialized struct).
 * NULL is ignored.
 */
CDC_API void cdc_convert_default_options(cdc_convert_options *options);

/* ------------------------------------------------------------------------ */
/* Contexts and options                                                     */
/* ------------------------------------------------------------------------ */

/** Per-thread working state and options. */
typedef struct cdc_context cdc_context;

/** Creates a context with default options. Errors: INVALID_ARGUMENT, OUT_OF_MEMORY. */
CDC_API cdc_status cdc_context_create(cdc_context **context);

/** Releases a context. NULL is accepted and ignored. */
CDC_API void cdc_context_free(cdc_context *context);

/**
 * The message of the last failure of a call made with this context, or "".
 * Valid until the next call with this context. NULL context gives "".
 */
CDC_API const char *cdc_context_last_error(const cdc_context *context);

/**
 * Options of a context. Values are stable and never reused; set them with
 * cdc_context_set_option and query their bounds with cdc_option_bounds.
 */
typedef enum cdc_option {
  /** Threads used for computation. 0 = the number of cores (default);
   *  larger values are capped to the number of cores. Bounds 0..1024. */
  CDC_OPTION_THREADS = 1,
  /** Diffusion decoding steps. 0 = the model's default (default).
   *  Bounds 0..65536; a decode asking for more steps than the model's T
   *  (cdc_model_info.num_timesteps) fails with CDC_STATUS_INVALID_ARGUMENT. */
  CDC_OPTION_STEPS = 2,
  /** Gamma: the start of decoding is x_N = gamma * N(0, I). 0 gives the
   *  deterministic decode (x_N = 0); negative = the model's default
   *  (default -1). Bounds -1..10. */
  CDC_OPTION_GAMMA = 3,
  /** Seed of the noise when gamma > 0; the same seed gives the same output.
   *  Bounds 0..2^53 (default 0). */
  CDC_OPTION_SEED = 4,
  /** Largest image, in pixels, that cdc_decode and cdc_encode accept
   *  (a guard against absurd sizes). Bounds 1..2^31, default 2^26. */
  CDC_OPTION_MAX_PIXELS = 5,
  /** Tiled processing, so that memory depends on the tile size and not on
   *  the image size: the side of a tile in pixels (at least 64; rounded up to
   *  the model's size multiple), 0 = the whole image at once, -1 = automatic
   *  (default: the whole image when it fits in one tile of the model's
   *  automatic size and its overlap; otherwise the grid that computes the
   *  fewest pixels with no tile larger in area than that; see
   *  docs/limits.md).
   *  Decoding blends neighbouring tiles across their overlap. The stream
   *  does not depend on how it is decoded: any tile size decodes any stream.
   *  Encoding with tiles changes the latents only near tile borders (the
   *  analysis sees CDC_OPTION_TILE_OVERLAP pixels of context). Bounds
   *  -1..65536. */
  CDC_OPTION_TILE = 6,
  /** Pixels of context a tile sees beyond its core on each side (rounded up
   *  to the model's size multiple); -1 = automatic (default). Larger values
   *  make tiled output closer to the whole-image output and cost time.
   *  Bounds -1..4096. */
  CDC_OPTION_TILE_OVERLAP = 7,
  /** Encoder effort, like cwebp -m or cjxl -e: 0 (default) encodes with the
   *  model's encoder network alone; 1..4 then refine the latents of this one
   *  image for rate + rate_lambda * distortion through the real decoder
   *  (the model's default decoding), with 2, 4, 8 and 16 optimizer
   *  iterations; each iteration costs about three decodes. The stream format
   *  and the decoder do not change. Needs a model that knows its rate_lambda
   *  (cdc_model_info; the built-in models do), else encoding fails with
   *  CDC_STATUS_UNSUPPORTED. Unlike effort 0, streams of effort > 0 may
   *  differ between thread counts (the refinement follows float gradients).
   *  Ignored by decoding. Bounds 0..4. */
  CDC_OPTION_EFFORT = 8,
  /** Decoding arithmetic: 0 = float32 (default), 1 = bfloat16 for the
   *  convolutions and matrix products of the context decoder and the U-Net
   *  (norms and the sampler stay float32). Only where the CPU computes
   *  bfloat16 natively (AVX512-BF16 or AMX, detected at run time); elsewhere
   *  setting 1 fails with CDC_STATUS_UNSUPPORTED instead of running slowly.
   *  The decoded image differs slightly from float32's (README: the PSNR
   *  between the two); encoding always uses float32, so streams do not
   *  depend on it. Bounds 0..1. */
  CDC_OPTION_PRECISION = 9,
  /** Where the networks run: 0 = the CPU (default), 1 = a CUDA device (the
   *  first one), where libcdc's engine was built against a libtorch with
   *  CUDA and a device is visible; elsewhere setting 1 fails with
   *  CDC_STATUS_UNSUPPORTED and a message saying why. On CUDA the encoder's
   *  analysis, the context decoder and the U-Net run on the device; the
   *  hyper synthesis that feeds the entropy coder, the entropy coder and the
   *  encoder's effort refinement stay on the CPU, so a stream written with
   *  either device decodes with the other. CUDA decodes in float32
   *  (CDC_OPTION_PRECISION 1 is a CPU option: decoding with both fails with
   *  CDC_STATUS_UNSUPPORTED). Bounds 0..1. */
  CDC_OPTION_DEVICE = 10,
  /** The residual layer (encoding): 0 (default) writes the model's stream
   *  alone; a value v in 0.25..255 also codes what the model's decoded
   *  image misses of the original (the residual: YCbCr, 8x8 to 32x32 DCT
   *  blocks, luma quantizer step v in 8-bit levels, stored in 1/16 of a
   *  level; chroma 1.4 v) after it, so the
   *  stream decodes closer to the original at more bits: smaller steps give
   *  more bits and a closer image (README: bits per pixel and PSNR per step;
   *  cdc_quality_settings maps a quality 1..100 onto a model and a step).
   *  The encoder decodes its own stream once to find the residual (a
   *  decode's time more). Such streams are format version 3; they decode
   *  with the steps the encoder used (stored in the stream) and
   *  deterministically: CDC_OPTION_STEPS, CDC_OPTION_GAMMA and
   *  CDC_OPTION_SEED do not apply to them. Ignored by decoding.
   *  Bounds 0..255 (values between 0 and 0.25 are refused). */
  CDC_OPTION_RESIDUAL = 11,
  /** Encoding to a rate: a value b > 0 picks the residual layer's step for
   *  this image (0.25..255, or no residual layer) whose stream comes closest
   *  to b bits per pixel, instead of CDC_OPTION_RESIDUAL (the base image is
   *  decoded once and the residual coded a few times: about 0.1 s more per
   *  megapixel). A rate below the model's own stream gives the stream
   *  without a residual layer. 0 = off (default). Ignored by decoding.
   *  Bounds 0..64. */
  CDC_OPTION_TARGET_BPP = 12
} cdc_option;

/**
 * Sets an option. Integer options take integral values. Errors:
 * INVALID_ARGUMENT for an unknown option, a value out of bounds or a
 * non-integral value for an integer option; the option is then unchanged.
 */
CDC_API cdc_status cdc_context_set_option(cdc_context *context,
                                          cdc_option option, double value);

/** Reads an option's current value into *value. */
CDC_API cdc_status cdc_context_get_option(const cdc_context *context,
                                          cdc_option option, double *value);

/**
 * The bounds and the default of an option. Any output pointer may be NULL.
 * Errors: INVALID_ARGUMENT for an unknown option.
 */
CDC_API cdc_status cdc_option_bounds(cdc_option option, double *min_value,
                                     double *max_value, double *default_value);

/* ------------------------------------------------------------------------ */
/* Progress                                                                 */
/* ------------------------------------------------------------------------ */

/** Stages reported to the progress callback, in data-flow order. */
typedef enum cdc_stage {
  /** Encoder: analysis and hyper-analysis transforms. */
  CDC_STAGE_ANALYSIS = 1,
  /** Encoder: entropy coding of the latents. */
  CDC_STAGE_ENTROPY_ENCODE = 2,
  /** Decoder: entropy decoding of the latents. */
  CDC_STAGE_ENTROPY_DECODE = 3,
  /** Decoder: the context features from the latent. */
  CDC_STAGE_CONTEXT = 4,
  /** Decoder: diffusion steps (done/total count steps). */
  CDC_STAGE_DIFFUSION = 5,
  /** Encoder, effort > 0: latent refinement (done/total count iterations
   *  over all tiles). */
  CDC_STAGE_REFINE = 6,
  /** Encoder and decoder, streams with a residual layer (CDC_OPTION_RESIDUAL):
   *  coding or decoding the residual (done/total: 0/1, then 1/1). */
  CDC_STAGE_RESIDUAL = 7
} cdc_stage;

/**
 * A static, human-readable name of a stage: "analysis", "entropy encode",
 * "entropy decode", "context", "diffusion", "refine" or "residual"; "unknown stage" for any other
 * value. Never NULL.
 */
CDC_API const char *cdc_stage_string(cdc_stage stage);

/** What the progress callback sees. Valid only during the callback. */
typedef struct cdc_progress {
  /** sizeof(cdc_progress) as known by the library. */
  size_t struct_size;
  /** The current stage. */
  cdc_stage stage;
  /** Units of work done in this stage so far (0..total). */
  uint32_t done;
  /** Units of work in this stage. */
  uint32_t total;
  /** During CDC_STAGE_DIFFUSION, after each step: the current prediction of
   *  the image (x0), 8-bit interleaved RGB, preview_width x preview_height,
   *  rows preview_stride bytes apart. NULL otherwise. Read-only. */
  const uint8_t *preview;
  /** Width of the preview in pixels (0 when preview is NULL). */
  uint32_t preview_width;
  /** Height of the preview in pixels (0 when preview is NULL). */
  uint32_t preview_height;
  /** Bytes between the starts of two rows of the preview. */
  size_t preview_stride;
} cdc_progress;

/**
 * Progress callback. Return 0 to continue, non-zero to cancel: the call then
 * fails with CDC_STATUS_CANCELLED and produces no output.
 */
typedef int (*cdc_progress_fn)(void *user, const cdc_progress *progress);

/**
 * Installs (or with fn = NULL removes) the progress callback of a context.
 * user is passed back untouched.
 */
CDC_API cdc_status cdc_context_set_progress(cdc_context *context,
                                            cdc_progress_fn fn, void *user);

/* ------------------------------------------------------------------------ */
/* Encoding and decoding                                                    */
/* ------------------------------------------------------------------------ */

/** Interleaved 8-bit pixel layouts. The value is the number of channels. */
typedef enum cdc_pixel_format {
  CDC_PIXEL_GRAY8 = 1,
  CDC_PIXEL_RGB8 = 3,
  CDC_PIXEL_RGBA8 = 4
} cdc_pixel_format;

/** Largest width or height accepted by the codec. */
#define CDC_MAX_DIMENSION 65535u

/**
 * Compresses an image into a new .cdc stream.
 *
 * pixels: width x height pixels of the given format, rows stride bytes apart
 * (stride 0 means width * channels). Any width and height from 1 up to
 * CDC_MAX_DIMENSION whose product is at most CDC_OPTION_MAX_PIXELS.
 * Gray images are coded as color and restored as gray; the alpha channel of
 * RGBA is kept losslessly.
 *
 * On success *data receives a buffer of *size bytes, to release with
 * cdc_buffer_free. On failure *data is NULL and *size 0.
 * Errors: INVALID_ARGUMENT, LIMIT_EXCEEDED, CANCELLED, OUT_OF_MEMORY.
 */
CDC_API cdc_status cdc_encode(cdc_context *context, const cdc_model *model,
                              const uint8_t *pixels, uint32_t width,
                              uint32_t height, cdc_pixel_format format,
                              size_t stride, uint8_t **data, size_t *size);

/** Releases a buffer returned by cdc_encode. NULL is accepted. */
CDC_API void cdc_buffer_free(void *buffer);

/** What the header of a .cdc stream says; filled by cdc_stream_get_info. */
typedef struct cdc_stream_info {
  /** Set by the caller: sizeof(cdc_stream_info). */
  size_t struct_size;
  /** Image width and height in pixels. */
  uint32_t width;
  /** Image height in pixels. */
  uint32_t height;
  /** Channels of the original image: 1 (gray), 3 (RGB) or 4 (RGBA). */
  uint32_t channels;
  /** Bitstream format version of the stream. */
  uint32_t format_version;
  /** Id of the model that made the stream (32 hex digits, NUL-terminated). */
  char model_id[33];
  /** Total size of the stream in bytes, header included. */
  uint64_t stream_size;
  /** Bytes of the fixed-size header and of the coded payload. */
  uint64_t header_size;
  /** Bytes of the coded payload (stream_size - header_size - metadata_size
   *  - residual_size). */
  uint64_t payload_size;
  /** The encoder model's own estimate of the payload, in bits. */
  double estimated_bits;
  /**
   * Bytes of the metadata section (format version 2; 0 when the stream has
   * no metadata). stream_size = header_size + payload_size + residual_size
   * + metadata_size. Added with format version 2: callers built against
   * older headers pass a smaller struct_size and do not get it.
   */
  uint64_t metadata_size;
  /** Bytes of the residual section (format version 3, CDC_OPTION_RESIDUAL;
   *  0 when the stream has no residual layer). Added with format version 3,
   *  like the two fields below. */
  uint64_t residual_size;
  /** The residual layer's quantizer step in 8-bit levels (0: none). */
  double residual_step;
  /** The decoding steps the stream's base image is decoded with when it has
   *  a residual layer (0: none). */
  uint32_t residual_base_steps;
} cdc_stream_info;

/**
 * Reads the header of a .cdc stream and checks the whole stream without
 * decoding it: header fields, substream lengths and both CRCs, so that the
 * size it reports can be trusted before allocating the output.
 * Errors: INVALID_ARGUMENT, CORRUPT_STREAM, TRUNCATED_STREAM (also for an
 * empty stream), UNSUPPORTED, LIMIT_EXCEEDED.
 */
CDC_API cdc_status cdc_stream_get_info(const void *data, size_t size,
                                       cdc_stream_info *info);

/* ------------------------------------------------------------------------ */
/* Metadata                                                                 */
/* ------------------------------------------------------------------------ */

/**
 * Metadata blocks that a .cdc stream can carry, unchanged, next to the coded
 * image (format version 2). The codec never interprets them: the pixels are
 * coded as given, and an EXIF orientation tag is carried as it is.
 */
typedef enum cdc_metadata_kind {
  /** An ICC colour profile: the bytes of an ICC profile file. */
  CDC_METADATA_ICC = 1,
  /**
   * EXIF: the TIFF structure ("II*\0" or "MM\0*" and the IFDs), without the
   * "Exif\0\0" prefix that JPEG's APP1 segment puts before it.
   */
  CDC_METADATA_EXIF = 2,
  /** An XMP packet (UTF-8 XML). */
  CDC_METADATA_XMP = 3
} cdc_metadata_kind;

/** Largest metadata block a stream can carry, in bytes (16 MiB). */
#define CDC_METADATA_MAX_SIZE 16777216u

/**
 * Metadata for cdc_encode_with_metadata. The caller sets struct_size to
 * sizeof(cdc_metadata); a block with size 0 is absent (its pointer may then
 * be NULL). The bytes are copied into the stream; the caller keeps ownership.
 */
typedef struct cdc_metadata {
  /** Set by the caller: sizeof(cdc_metadata). */
  size_t struct_size;
  /** The ICC profile (CDC_METADATA_ICC), or NULL. */
  const uint8_t *icc;
  /** Bytes of icc, 0 .. CDC_METADATA_MAX_SIZE. */
  size_t icc_size;
  /** The EXIF block (CDC_METADATA_EXIF), or NULL. */
  const uint8_t *exif;
  /** Bytes of exif, 0 .. CDC_METADATA_MAX_SIZE. */
  size_t exif_size;
  /** The XMP packet (CDC_METADATA_XMP), or NULL. */
  const uint8_t *xmp;
  /** Bytes of xmp, 0 .. CDC_METADATA_MAX_SIZE. */
  size_t xmp_size;
} cdc_metadata;

/**
 * cdc_encode, storing the given metadata blocks in the stream. With metadata
 * NULL, or with every block empty, the result is exactly cdc_encode's (a
 * format version 1 stream); otherwise it is a format version 2 stream, which
 * readers of format version 1 only reject as UNSUPPORTED.
 * Errors: those of cdc_encode; INVALID_ARGUMENT also for a struct_size
 * smaller than the struct's first version or a NULL pointer with a size > 0;
 * LIMIT_EXCEEDED for a block larger than CDC_METADATA_MAX_SIZE (checked
 * before any encoding work).
 */
CDC_API cdc_status cdc_encode_with_metadata(cdc_context *context,
                                            const cdc_model *model,
                                            const uint8_t *pixels,
                                            uint32_t width, uint32_t height,
                                            cdc_pixel_format format,
                                            size_t stride,
                                            const cdc_metadata *metadata,
                                            uint8_t **data, size_t *size);

/**
 * Finds a metadata block of a .cdc stream. The whole stream is checked as by
 * cdc_stream_get_info (the metadata section's size, checksum and blocks
 * included). On success *block points into data (valid while data is) and
 * *block_size is its size; a stream without that block (any version-1
 * stream among them) gives CDC_STATUS_OK with *block NULL and *block_size 0.
 * On failure *block is NULL and *block_size 0.
 * Errors: INVALID_ARGUMENT (NULL pointers, an unknown kind), CORRUPT_STREAM,
 * TRUNCATED_STREAM, UNSUPPORTED, LIMIT_EXCEEDED.
 */
CDC_API cdc_status cdc_stream_get_metadata(const void *data, size_t size,
                                           cdc_metadata_kind kind,
                                           const uint8_t **block,
                                           size_t *block_size);

/**
 * Decodes a .cdc stream into the caller's buffer.
 *
 * format: the pixel layout wanted (it may differ from the stream's channels:
 * gray is expanded, color is converted to gray by luma, alpha is 255 where
 * the stream has none). stride: bytes between rows, 0 for width * channels.
 * capacity: the size of pixels in bytes; it must hold
 * (height - 1) * stride + width * channels bytes.
 * Errors: INVALID_ARGUMENT, BUFFER_TOO_SMALL, CORRUPT_STREAM,
 * TRUNCATED_STREAM, MODEL_MISMATCH, UNSUPPORTED, LIMIT_EXCEEDED, CANCELLED.
 */
CDC_API cdc_status cdc_decode(cdc_context *context, const cdc_model *model,
                              const void *data, size_t size, uint8_t *pixels,
                              size_t capacity, cdc_pixel_format format,
                              size_t stride);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CDC_H_ */
