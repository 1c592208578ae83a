/*
 * api_errors.c - tests of the public C API against libcdc.so, for every error
 * path that can be reached from cdc.h: NULL arguments, bad sizes and strides,
 * option bounds, corrupt and truncated streams, buffer sizes, cancellation,
 * progress counts and the version queries.
 *
 * Plain C99 (built with -pedantic -Werror). Tests that need a model run when
 * one is available: $CDC_TEST_MODEL, a test model file in tests/data, or the
 * built-in default model; otherwise they are reported as skipped.
 */
#include <cdc.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_check.h"

/* ------------------------------------------------------------------------ */

static void test_status_and_versions(void) {
  static const cdc_status all[] = {
      CDC_STATUS_OK, CDC_STATUS_INVALID_ARGUMENT, CDC_STATUS_OUT_OF_MEMORY,
      CDC_STATUS_IO_ERROR, CDC_STATUS_INVALID_MODEL, CDC_STATUS_CORRUPT_STREAM,
      CDC_STATUS_TRUNCATED_STREAM, CDC_STATUS_MODEL_MISMATCH, CDC_STATUS_UNSUPPORTED,
      CDC_STATUS_LIMIT_EXCEEDED, CDC_STATUS_BUFFER_TOO_SMALL, CDC_STATUS_CANCELLED,
      CDC_STATUS_NOT_FOUND, CDC_STATUS_NOT_IMPLEMENTED, CDC_STATUS_INTERNAL_ERROR};
  size_t i, j;
  const size_t n = sizeof(all) / sizeof(all[0]);
  char expected[32];

  /* Stable values: these are part of the ABI. */
  CHECK(CDC_STATUS_OK == 0 && CDC_STATUS_CANCELLED == 11 && CDC_STATUS_INTERNAL_ERROR == 99);
  for (i = 0; i < n; i++) {
    const char *s = cdc_status_string(all[i]);
    CHECK(s != NULL && s[0] != '\0');
    CHECK(strcmp(s, "unknown status") != 0);
    for (j = 0; j < i; j++) CHECK(strcmp(s, cdc_status_string(all[j])) != 0);
  }
  CHECK(strcmp(cdc_status_string((cdc_status)12345), "unknown status") == 0);
  CHECK(strcmp(cdc_status_string((cdc_status)-1), "unknown status") == 0);

  CHECK(cdc_version_number() == CDC_VERSION_NUMBER);
  CHECK(strcmp(cdc_version_string(), CDC_VERSION_STRING) == 0);
  sprintf(expected, "%d.%d.%d", CDC_VERSION_MAJOR, CDC_VERSION_MINOR, CDC_VERSION_PATCH);
  CHECK(strcmp(cdc_version_string(), expected) == 0);
  CHECK(cdc_format_version() == CDC_FORMAT_VERSION);
  CHECK(cdc_last_error() != NULL);
}

static void test_model_loading_errors(void) {
  cdc_model *model = (cdc_model *)&model; /* must be reset to NULL on failure */
  static const unsigned char garbage[64] = {1, 2, 3, 4, 5, 6, 7, 8};
  size_t count = cdc_builtin_model_count();
  cdc_model_info info;

  CHECK_STATUS(cdc_model_load_file(NULL, &model), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_model_load_file("x", NULL), CDC_STATUS_INVALID_ARGUMENT);
  model = (cdc_model *)&model;
  CHECK_STATUS(cdc_model_load_file("/nonexistent/dir/model.cdcm", &model), CDC_STATUS_IO_ERROR);
  CHECK(model == NULL);
  CHECK(cdc_last_error()[0] != '\0');
  CHECK_STATUS(cdc_model_load_memory(NULL, 10, &model), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_model_load_memory(garbage, sizeof(garbage), NULL), CDC_STATUS_INVALID_ARGUMENT);
  model = (cdc_model *)&model;
  CHECK_STATUS(cdc_model_load_memory(garbage, sizeof(garbage), &model), CDC_STATUS_INVALID_MODEL);
  CHECK(model == NULL);
  {
    cdc_status st = cdc_model_load_memory(garbage, 0, &model);
    CHECK(st == CDC_STATUS_INVALID_MODEL || st == CDC_STATUS_INVALID_ARGUMENT);
    CHECK(model == NULL);
  }
  CHECK_STATUS(cdc_model_load_default(NULL), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_model_load_builtin(NULL, &model), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_model_load_builtin("no-such-model", &model), CDC_STATUS_NOT_FOUND);
  CHECK(cdc_builtin_model_name(count) == NULL);
  CHECK(cdc_builtin_model_name((size_t)-1) == NULL);
  /* The quality ladder: NULL outside 1..100; monotonic steps of built-in models. */
  CHECK(cdc_builtin_model_for_quality(0) == NULL);
  CHECK(cdc_builtin_model_for_quality(101) == NULL);
  CHECK(cdc_builtin_model_for_quality(-5) == NULL);
  if (count > 0) {
    const char *previous = NULL;
    size_t steps = 0;
    for (int q = 1; q <= 100; ++q) {
      const char *name = cdc_builtin_model_for_quality(q);
      CHECK(name != NULL);
      if (name == NULL) break;
      if (previous == NULL || strcmp(previous, name) != 0) {
        ++steps;
        cdc_model *m = NULL;
        CHECK_STATUS(cdc_model_load_builtin(name, &m), CDC_STATUS_OK);
        cdc_model_free(m);
      }
      previous = name;
    }
    CHECK(steps >= 1 && steps <= count);
    /* cdc_quality_settings: the base model, then residual steps falling
       (more bits) as the quality grows. */
    double last_step = 0;
    for (int q = 1; q <= 100; ++q) {
      const char *name = NULL;
      double step = -1;
      CHECK_STATUS(cdc_quality_settings(q, &name, &step), CDC_STATUS_OK);
      CHECK(name != NULL && strcmp(name, cdc_builtin_model_for_quality(q)) == 0);
      CHECK(step == 0 || (step >= 0.25 && step <= 255));
      if (last_step > 0) CHECK(step > 0 && step < last_step);
      last_step = step;
    }
    CHECK(last_step > 0);
    CHECK_STATUS(cdc_quality_settings(1, NULL, NULL), CDC_STATUS_OK);
  } else {
    CHECK(cdc_builtin_model_for_quality(50) == NULL);
    CHECK_STATUS(cdc_quality_settings(50, NULL, NULL), CDC_STATUS_NOT_FOUND);
  }
  {
    const char *name = "x";
    double step = -1;
    CHECK_STATUS(cdc_quality_settings(0, &name, &step), CDC_STATUS_INVALID_ARGUMENT);
    CHECK(name == NULL && step == 0);
    CHECK_STATUS(cdc_quality_settings(101, NULL, NULL), CDC_STATUS_INVALID_ARGUMENT);
  }
  if (count == 0) {
    CHECK_STATUS(cdc_model_load_default(&model), CDC_STATUS_NOT_FOUND);
    CHECK(model == NULL);
  }
  cdc_model_free(NULL);

  memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  CHECK_STATUS(cdc_model_get_info(NULL, &info), CDC_STATUS_INVALID_ARGUMENT);

  CHECK_STATUS(cdc_convert_checkpoint(NULL, "out", NULL), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_convert_checkpoint("in", NULL, NULL), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_convert_checkpoint("/nonexistent/ckpt.pt", "/nonexistent/out.cdcm", NULL),
               CDC_STATUS_IO_ERROR);
}

static void test_context_and_options(void) {
  cdc_context *ctx = NULL;
  static const cdc_option options[] = {CDC_OPTION_THREADS, CDC_OPTION_STEPS, CDC_OPTION_GAMMA,
                                       CDC_OPTION_SEED, CDC_OPTION_MAX_PIXELS};
  size_t i;
  double lo, hi, def, value;

  CHECK_STATUS(cdc_context_create(NULL), CDC_STATUS_INVALID_ARGUMENT);
  cdc_context_free(NULL);
  CHECK(strcmp(cdc_context_last_error(NULL), "") == 0);
  CHECK_STATUS(cdc_context_create(&ctx), CDC_STATUS_OK);
  if (ctx == NULL) return;
  CHECK(strcmp(cdc_context_last_error(ctx), "") == 0);

  /* Documented bounds and defaults. */
  CHECK_STATUS(cdc_option_bounds(CDC_OPTION_THREADS, &lo, &hi, &def), CDC_STATUS_OK);
  CHECK(lo == 0 && hi == 1024 && def == 0);
  CHECK_STATUS(cdc_option_bounds(CDC_OPTION_STEPS, &lo, &hi, &def), CDC_STATUS_OK);
  CHECK(lo == 0 && hi == 65536 && def == 0);
  CHECK_STATUS(cdc_option_bounds(CDC_OPTION_GAMMA, &lo, &hi, &def), CDC_STATUS_OK);
  CHECK(lo == -1 && hi == 10 && def == -1);
  CHECK_STATUS(cdc_option_bounds(CDC_OPTION_SEED, &lo, &hi, &def), CDC_STATUS_OK);
  CHECK(lo == 0 && hi == 9007199254740992.0 && def == 0);
  CHECK_STATUS(cdc_option_bounds(CDC_OPTION_MAX_PIXELS, &lo, &hi, &def), CDC_STATUS_OK);
  CHECK(lo == 1 && hi == 2147483648.0 && def == 67108864.0);
  CHECK_STATUS(cdc_option_bounds(CDC_OPTION_THREADS, NULL, NULL, NULL), CDC_STATUS_OK);
  CHECK_STATUS(cdc_option_bounds((cdc_option)0, &lo, &hi, &def), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_option_bounds((cdc_option)999, NULL, NULL, NULL), CDC_STATUS_INVALID_ARGUMENT);

  for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
    cdc_option opt = options[i];
    CHECK_STATUS(cdc_option_bounds(opt, &lo, &hi, &def), CDC_STATUS_OK);
    /* A fresh context holds the defaults. */
    CHECK_STATUS(cdc_context_get_option(ctx, opt, &value), CDC_STATUS_OK);
    CHECK(value == def);
    /* Both bounds are accepted and read back. */
    CHECK_STATUS(cdc_context_set_option(ctx, opt, lo), CDC_STATUS_OK);
    CHECK_STATUS(cdc_context_get_option(ctx, opt, &value), CDC_STATUS_OK);
    CHECK(value == lo);
    CHECK_STATUS(cdc_context_set_option(ctx, opt, hi), CDC_STATUS_OK);
    CHECK_STATUS(cdc_context_get_option(ctx, opt, &value), CDC_STATUS_OK);
    CHECK(value == hi);
    /* Out of bounds and NaN are rejected; the option stays unchanged. */
    /* (hi + 1 rounds to hi for the seed's 2^53.) */
    CHECK_STATUS(cdc_context_set_option(ctx, opt, hi + 1 > hi ? hi + 1 : hi * 2),
                 CDC_STATUS_INVALID_ARGUMENT);
    CHECK(cdc_context_last_error(ctx)[0] != '\0');
    CHECK_STATUS(cdc_context_set_option(ctx, opt, lo - 1), CDC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(cdc_context_set_option(ctx, opt, NAN), CDC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(cdc_context_set_option(ctx, opt, INFINITY), CDC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(cdc_context_get_option(ctx, opt, &value), CDC_STATUS_OK);
    CHECK(value == hi);
    CHECK_STATUS(cdc_context_set_option(ctx, opt, def), CDC_STATUS_OK);
  }
  /* The residual step: 0 (none) or 0.25..255, fractional values kept. */
  CHECK_STATUS(cdc_option_bounds(CDC_OPTION_RESIDUAL, &lo, &hi, &def), CDC_STATUS_OK);
  CHECK(lo == 0 && hi == 255 && def == 0);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_RESIDUAL, 0.1), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_RESIDUAL, 12.5), CDC_STATUS_OK);
  CHECK_STATUS(cdc_context_get_option(ctx, CDC_OPTION_RESIDUAL, &value), CDC_STATUS_OK);
  CHECK(value == 12.5);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_RESIDUAL, 0), CDC_STATUS_OK);
  CHECK_STATUS(cdc_option_bounds(CDC_OPTION_TARGET_BPP, &lo, &hi, &def), CDC_STATUS_OK);
  CHECK(lo == 0 && hi == 64 && def == 0);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_TARGET_BPP, 0.37), CDC_STATUS_OK);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_TARGET_BPP, 0), CDC_STATUS_OK);
  /* The device: the CPU always; CUDA where the engine has it, else
   * UNSUPPORTED with a message naming CUDA and the option unchanged. */
  CHECK_STATUS(cdc_option_bounds(CDC_OPTION_DEVICE, &lo, &hi, &def), CDC_STATUS_OK);
  CHECK(lo == 0 && hi == 1 && def == 0);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_DEVICE, 0), CDC_STATUS_OK);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_DEVICE, 2), CDC_STATUS_INVALID_ARGUMENT);
  {
    const cdc_status st = cdc_context_set_option(ctx, CDC_OPTION_DEVICE, 1);
    CHECK(st == CDC_STATUS_OK || st == CDC_STATUS_UNSUPPORTED);
    if (st == CDC_STATUS_UNSUPPORTED) {
      CHECK(strstr(cdc_context_last_error(ctx), "CUDA") != NULL);
      CHECK_STATUS(cdc_context_get_option(ctx, CDC_OPTION_DEVICE, &value), CDC_STATUS_OK);
      CHECK(value == 0);
    }
    CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_DEVICE, 0), CDC_STATUS_OK);
  }
  /* Integer options take integral values only; gamma is real. */
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_THREADS, 1.5), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_STEPS, 2.25), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_SEED, 0.5), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_GAMMA, 0.8), CDC_STATUS_OK);
  CHECK_STATUS(cdc_context_get_option(ctx, CDC_OPTION_GAMMA, &value), CDC_STATUS_OK);
  CHECK(value == 0.8);
  /* Unknown options and NULL pointers. */
  CHECK_STATUS(cdc_context_set_option(ctx, (cdc_option)999, 1), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_get_option(ctx, (cdc_option)999, &value), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_set_option(NULL, CDC_OPTION_THREADS, 1), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_get_option(NULL, CDC_OPTION_THREADS, &value), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_get_option(ctx, CDC_OPTION_THREADS, NULL), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_set_progress(NULL, NULL, NULL), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_set_progress(ctx, NULL, NULL), CDC_STATUS_OK);
  cdc_context_free(ctx);
}

static void test_null_codec_arguments(void) {
  cdc_context *ctx = NULL;
  uint8_t pixels[12] = {0};
  uint8_t *data = (uint8_t *)pixels;
  size_t size = 99;
  static const unsigned char garbage[256] = {'n', 'o', 't', ' ', 'c', 'd', 'c'};
  cdc_stream_info info;

  CHECK_STATUS(cdc_context_create(&ctx), CDC_STATUS_OK);
  /* NULL model, context, pixels or outputs: INVALID_ARGUMENT, outputs reset. */
  CHECK_STATUS(cdc_encode(ctx, NULL, pixels, 2, 2, CDC_PIXEL_RGB8, 0, &data, &size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK(data == NULL && size == 0);
  CHECK_STATUS(cdc_encode(NULL, NULL, pixels, 2, 2, CDC_PIXEL_RGB8, 0, &data, &size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_encode(ctx, NULL, pixels, 2, 2, CDC_PIXEL_RGB8, 0, NULL, &size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_encode(ctx, NULL, pixels, 2, 2, CDC_PIXEL_RGB8, 0, &data, NULL),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_decode(ctx, NULL, garbage, sizeof(garbage), pixels, sizeof(pixels),
                          CDC_PIXEL_RGB8, 0),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_decode(NULL, NULL, garbage, sizeof(garbage), pixels, sizeof(pixels),
                          CDC_PIXEL_RGB8, 0),
               CDC_STATUS_INVALID_ARGUMENT);
  cdc_buffer_free(NULL);

  /* Header queries need no model. */
  memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  CHECK_STATUS(cdc_stream_get_info(NULL, 10, &info), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_stream_get_info(garbage, sizeof(garbage), NULL), CDC_STATUS_INVALID_ARGUMENT);
  info.struct_size = 1;
  CHECK_STATUS(cdc_stream_get_info(garbage, sizeof(garbage), &info), CDC_STATUS_INVALID_ARGUMENT);
  info.struct_size = sizeof(info);
  CHECK_STATUS(cdc_stream_get_info(garbage, sizeof(garbage), &info), CDC_STATUS_CORRUPT_STREAM);
  CHECK(cdc_last_error()[0] != '\0');
  CHECK_STATUS(cdc_stream_get_info(garbage, 0, &info), CDC_STATUS_TRUNCATED_STREAM);
  /* An empty stream says so, whatever the pointer (an empty file reads as
     NULL, 0). */
  CHECK_STATUS(cdc_stream_get_info(NULL, 0, &info), CDC_STATUS_TRUNCATED_STREAM);
  CHECK(strstr(cdc_last_error(), "empty") != NULL);
  CHECK_STATUS(cdc_decode(ctx, NULL, NULL, 0, pixels, sizeof(pixels), CDC_PIXEL_RGB8, 0),
               CDC_STATUS_INVALID_ARGUMENT); /* the model is checked first */
  cdc_context_free(ctx);
}

/* The helpers added to complete the header: stage names, default options
   and the one model-name resolver. */
static void test_header_helpers(void) {
  cdc_convert_options options;
  cdc_model *model = NULL;
  CHECK(strcmp(cdc_stage_string(CDC_STAGE_ANALYSIS), "analysis") == 0);
  CHECK(strcmp(cdc_stage_string(CDC_STAGE_ENTROPY_ENCODE), "entropy encode") == 0);
  CHECK(strcmp(cdc_stage_string(CDC_STAGE_ENTROPY_DECODE), "entropy decode") == 0);
  CHECK(strcmp(cdc_stage_string(CDC_STAGE_CONTEXT), "context") == 0);
  CHECK(strcmp(cdc_stage_string(CDC_STAGE_DIFFUSION), "diffusion") == 0);
  CHECK(strcmp(cdc_stage_string((cdc_stage)77), "unknown stage") == 0);

  memset(&options, 0xff, sizeof(options));
  cdc_convert_default_options(&options);
  CHECK(options.struct_size == sizeof(options));
  CHECK(options.name == NULL);
  CHECK(options.default_steps == 0);
  CHECK(options.default_gamma == -1.0);
  cdc_convert_default_options(NULL);

  CHECK_STATUS(cdc_model_load("no-such-model-name", &model), CDC_STATUS_NOT_FOUND);
  CHECK(model == NULL);
  CHECK_STATUS(cdc_model_load("no/such/dir/model.cdcm", &model), CDC_STATUS_IO_ERROR);
  CHECK_STATUS(cdc_model_load("x", NULL), CDC_STATUS_INVALID_ARGUMENT);
  if (cdc_builtin_model_count() > 0) {
    CHECK_STATUS(cdc_model_load(NULL, &model), CDC_STATUS_OK);
    cdc_model_free(model);
    model = NULL;
    CHECK_STATUS(cdc_model_load(cdc_builtin_model_name(0), &model), CDC_STATUS_OK);
    cdc_model_free(model);
  } else {
    CHECK_STATUS(cdc_model_load("", &model), CDC_STATUS_NOT_FOUND);
  }
}

/* ------------------------------------------------------------------------ */
/* Tests with a model.                                                      */

#define W 40
#define H 24

struct progress_log {
  int calls;
  int bad_order;      /* a stage went backwards */
  int bad_counts;     /* done > total, or done went backwards in a stage */
  int last_stage;
  uint32_t last_done;
  uint32_t diffusion_total;
  uint32_t diffusion_done;
  int previews;
  int bad_previews;
  int cancel_stage;   /* cancel when this stage reports done >= cancel_at */
  uint32_t cancel_at;
};

static int log_progress(void *user, const cdc_progress *p) {
  struct progress_log *log = (struct progress_log *)user;
  log->calls++;
  if (p->struct_size < sizeof(cdc_progress)) log->bad_counts++;
  if ((int)p->stage < log->last_stage) log->bad_order++;
  if ((int)p->stage != log->last_stage) log->last_done = 0;
  if (p->done > p->total || p->done < log->last_done) log->bad_counts++;
  log->last_stage = (int)p->stage;
  log->last_done = p->done;
  if (p->stage == CDC_STAGE_DIFFUSION) {
    log->diffusion_total = p->total;
    log->diffusion_done = p->done;
    if (p->preview != NULL) {
      log->previews++;
      if (p->preview_width == 0 || p->preview_height == 0 ||
          p->preview_stride < (size_t)p->preview_width * 3) {
        log->bad_previews++;
      }
    }
  }
  if (log->cancel_stage != 0 && (int)p->stage == log->cancel_stage && p->done >= log->cancel_at) {
    return 1;
  }
  return 0;
}

static void make_image(uint8_t *rgb, int channels) {
  int x, y, c;
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      for (c = 0; c < channels; c++)
        rgb[(y * W + x) * channels + c] =
            (uint8_t)(c == 3 ? (x * 7 + y) & 255 : (x * 6 + y * 9 + c * 40) & 255);
}

static void test_with_model(const cdc_model *model) {
  cdc_context *ctx = NULL;
  static uint8_t rgb[W * H * 3], rgba[W * H * 4], padded[(W * 3 + 5) * H];
  static uint8_t out[W * H * 4], out2[W * H * 4], ref[W * H * 3];
  uint8_t *stream = NULL, *stream2 = NULL, *data = NULL;
  size_t size = 0, size2 = 0, i, cut;
  cdc_stream_info info;
  cdc_model_info minfo;
  struct progress_log log;
  int y;

  memset(&minfo, 0, sizeof(minfo));
  minfo.struct_size = sizeof(minfo);
  CHECK_STATUS(cdc_model_get_info(model, &minfo), CDC_STATUS_OK);
  CHECK(minfo.id != NULL && strlen(minfo.id) == 32);
  CHECK(minfo.name != NULL && minfo.config_json != NULL && minfo.config_json[0] == '{');
  CHECK(minfo.parameter_count > 0 && minfo.num_timesteps > 0 && minfo.default_steps > 0);
  minfo.struct_size = 2;
  CHECK_STATUS(cdc_model_get_info(model, &minfo), CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_model_get_info(model, NULL), CDC_STATUS_INVALID_ARGUMENT);

  CHECK_STATUS(cdc_context_create(&ctx), CDC_STATUS_OK);
  if (ctx == NULL) return;
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_STEPS, 3), CDC_STATUS_OK);
  make_image(rgb, 3);
  make_image(rgba, 4);

  /* Bad sizes, formats and strides. */
  data = rgb;
  CHECK_STATUS(cdc_encode(ctx, model, rgb, 0, H, CDC_PIXEL_RGB8, 0, &data, &size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK(data == NULL && size == 0);
  CHECK_STATUS(cdc_encode(ctx, model, rgb, W, 0, CDC_PIXEL_RGB8, 0, &data, &size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_encode(ctx, model, rgb, CDC_MAX_DIMENSION + 1, 1, CDC_PIXEL_RGB8, 0, &data, &size),
               CDC_STATUS_LIMIT_EXCEEDED);
  CHECK_STATUS(cdc_encode(ctx, model, rgb, W, H, (cdc_pixel_format)2, 0, &data, &size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_encode(ctx, model, rgb, W, H, CDC_PIXEL_RGB8, W * 3 - 1, &data, &size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_encode(ctx, model, NULL, W, H, CDC_PIXEL_RGB8, 0, &data, &size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_MAX_PIXELS, W * H - 1), CDC_STATUS_OK);
  CHECK_STATUS(cdc_encode(ctx, model, rgb, W, H, CDC_PIXEL_RGB8, 0, &data, &size),
               CDC_STATUS_LIMIT_EXCEEDED);
  CHECK(data == NULL && size == 0);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_MAX_PIXELS, 67108864.0), CDC_STATUS_OK);

  /* A real encode with progress reporting. */
  memset(&log, 0, sizeof(log));
  CHECK_STATUS(cdc_context_set_progress(ctx, log_progress, &log), CDC_STATUS_OK);
  CHECK_STATUS(cdc_encode(ctx, model, rgb, W, H, CDC_PIXEL_RGB8, 0, &stream, &size), CDC_STATUS_OK);
  if (stream == NULL) {
    cdc_context_free(ctx);
    return;
  }
  CHECK(size > 0);
  CHECK(log.calls > 0 && log.bad_order == 0 && log.bad_counts == 0);

  /* The same pixels with a padded stride give the same stream. */
  for (y = 0; y < H; y++) memcpy(padded + (size_t)y * (W * 3 + 5), rgb + (size_t)y * W * 3, W * 3);
  CHECK_STATUS(cdc_encode(ctx, model, padded, W, H, CDC_PIXEL_RGB8, W * 3 + 5, &stream2, &size2),
               CDC_STATUS_OK);
  CHECK(size2 == size && stream2 != NULL && memcmp(stream, stream2, size) == 0);
  cdc_buffer_free(stream2);
  stream2 = NULL;

  /* Header. */
  memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  CHECK_STATUS(cdc_stream_get_info(stream, size, &info), CDC_STATUS_OK);
  CHECK(info.width == W && info.height == H && info.channels == 3);
  CHECK(info.format_version == 1); /* no metadata: version 1 */
  CHECK(cdc_format_version() >= info.format_version);
  CHECK(strcmp(info.model_id, minfo.id) == 0);
  CHECK(info.stream_size == size && info.header_size + info.payload_size == size);
  CHECK(info.metadata_size == 0);
  CHECK(info.estimated_bits > 0);

  /* Decode with progress: diffusion reports every step, with previews. */
  memset(&log, 0, sizeof(log));
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, out, W * H * 3, CDC_PIXEL_RGB8, 0),
               CDC_STATUS_OK);
  CHECK(log.bad_order == 0 && log.bad_counts == 0);
  CHECK(log.diffusion_total == 3 && log.diffusion_done == 3);
  CHECK(log.previews >= 1 && log.bad_previews == 0);

  /* Same options, same output. */
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, out2, W * H * 3, CDC_PIXEL_RGB8, 0),
               CDC_STATUS_OK);
  CHECK(memcmp(out, out2, W * H * 3) == 0);
  memcpy(ref, out, W * H * 3);

  /* Output buffer and stride checks. */
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, out, W * H * 3 - 1, CDC_PIXEL_RGB8, 0),
               CDC_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, out, W * H * 3, CDC_PIXEL_RGB8, W * 3 - 1),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, out, W * H * 4, (cdc_pixel_format)5, 0),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, NULL, W * H * 3, CDC_PIXEL_RGB8, 0),
               CDC_STATUS_INVALID_ARGUMENT);
  /* Other layouts: gray by luma, RGBA with alpha 255. */
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, out2, W * H, CDC_PIXEL_GRAY8, 0), CDC_STATUS_OK);
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, out2, W * H * 4, CDC_PIXEL_RGBA8, 0),
               CDC_STATUS_OK);
  for (i = 0; i < (size_t)W * H; i++) {
    if (out2[i * 4 + 3] != 255 || memcmp(out2 + i * 4, ref + i * 3, 3) != 0) break;
  }
  CHECK(i == (size_t)W * H);
  /* The pixel limit applies to decoding too. */
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_MAX_PIXELS, W * H - 1), CDC_STATUS_OK);
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, out, W * H * 3, CDC_PIXEL_RGB8, 0),
               CDC_STATUS_LIMIT_EXCEEDED);
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_MAX_PIXELS, 67108864.0), CDC_STATUS_OK);

  /* Truncated streams: every cut of the header, some of the payload. */
  for (cut = 0; cut < size; cut += (cut < info.header_size + 8 ? 1 : 1 + size / 16)) {
    cdc_status st;
    CHECK_STATUS(cdc_context_set_progress(ctx, NULL, NULL), CDC_STATUS_OK);
    st = cdc_decode(ctx, model, stream, cut, out, W * H * 3, CDC_PIXEL_RGB8, 0);
    CHECK(st == CDC_STATUS_TRUNCATED_STREAM || st == CDC_STATUS_CORRUPT_STREAM);
    if (st != CDC_STATUS_TRUNCATED_STREAM && st != CDC_STATUS_CORRUPT_STREAM) {
      fprintf(stderr, "  cut at %lu of %lu: %s\n", (unsigned long)cut, (unsigned long)size,
              cdc_status_string(st));
    }
  }
  /* Damaged bytes: each header byte flipped in turn must be caught. */
  for (i = 0; i < info.header_size && i < size; i++) {
    cdc_status st;
    stream[i] ^= 0x5A;
    st = cdc_decode(ctx, model, stream, size, out, W * H * 3, CDC_PIXEL_RGB8, 0);
    CHECK(st != CDC_STATUS_OK);
    if (st == CDC_STATUS_OK) fprintf(stderr, "  header byte %lu flipped: decoded\n", (unsigned long)i);
    stream[i] ^= 0x5A;
  }

  /* Cancellation: during the diffusion steps of a decode, and of an encode. */
  memset(&log, 0, sizeof(log));
  log.cancel_stage = CDC_STAGE_DIFFUSION;
  log.cancel_at = 1;
  CHECK_STATUS(cdc_context_set_progress(ctx, log_progress, &log), CDC_STATUS_OK);
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, out, W * H * 3, CDC_PIXEL_RGB8, 0),
               CDC_STATUS_CANCELLED);
  CHECK(log.diffusion_done == 1);
  CHECK(cdc_context_last_error(ctx)[0] != '\0');
  memset(&log, 0, sizeof(log));
  log.cancel_stage = CDC_STAGE_ANALYSIS;
  log.cancel_at = 0;
  data = rgb;
  size2 = 7;
  CHECK_STATUS(cdc_encode(ctx, model, rgb, W, H, CDC_PIXEL_RGB8, 0, &data, &size2),
               CDC_STATUS_CANCELLED);
  CHECK(data == NULL && size2 == 0);
  /* The context works again after a cancellation. */
  CHECK_STATUS(cdc_context_set_progress(ctx, NULL, NULL), CDC_STATUS_OK);
  CHECK_STATUS(cdc_decode(ctx, model, stream, size, out2, W * H * 3, CDC_PIXEL_RGB8, 0),
               CDC_STATUS_OK);
  CHECK(memcmp(ref, out2, W * H * 3) == 0);

  /* RGBA: alpha is kept losslessly; gray comes back as gray. */
  CHECK_STATUS(cdc_encode(ctx, model, rgba, W, H, CDC_PIXEL_RGBA8, 0, &stream2, &size2), CDC_STATUS_OK);
  if (stream2 != NULL) {
    CHECK_STATUS(cdc_stream_get_info(stream2, size2, &info), CDC_STATUS_OK);
    CHECK(info.channels == 4);
    CHECK_STATUS(cdc_decode(ctx, model, stream2, size2, out, W * H * 4, CDC_PIXEL_RGBA8, 0),
                 CDC_STATUS_OK);
    for (i = 0; i < (size_t)W * H; i++)
      if (out[i * 4 + 3] != rgba[i * 4 + 3]) break;
    CHECK(i == (size_t)W * H);
    cdc_buffer_free(stream2);
    stream2 = NULL;
  }
  CHECK_STATUS(cdc_encode(ctx, model, rgb, W * 3, H, CDC_PIXEL_GRAY8, 0, &stream2, &size2),
               CDC_STATUS_OK);
  if (stream2 != NULL) {
    CHECK_STATUS(cdc_stream_get_info(stream2, size2, &info), CDC_STATUS_OK);
    CHECK(info.channels == 1 && info.width == W * 3);
    cdc_buffer_free(stream2);
  }
  /* A 1x1 image works. */
  CHECK_STATUS(cdc_encode(ctx, model, rgb, 1, 1, CDC_PIXEL_RGB8, 0, &stream2, &size2), CDC_STATUS_OK);
  if (stream2 != NULL) {
    CHECK_STATUS(cdc_decode(ctx, model, stream2, size2, out, 3, CDC_PIXEL_RGB8, 0), CDC_STATUS_OK);
    cdc_buffer_free(stream2);
  }

  cdc_buffer_free(stream);
  cdc_context_free(ctx);
}

int main(void) {
  test_status_and_versions();
  test_model_loading_errors();
  test_context_and_options();
  test_null_codec_arguments();
  test_header_helpers();
  return finish_with_model(test_with_model);
}
