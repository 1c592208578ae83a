/* libcdc.so loads its engine, and with it libtorch, only for what needs
 * libtorch (lib/api/engine_table.h): models, contexts, stream queries,
 * encoding at effort 0 and decoding must leave libtorch unmapped; the first
 * encode with effort maps it. The last
 * error is the one of the thread's most recent failure, whether the front or
 * the engine failed.
 *
 *   lazy_engine           the engine is installed: it loads on first use
 *   lazy_engine missing   the engine cannot be found
 *                         (tests/scripts/lazy_engine.sh): forwarded calls
 *                         fail cleanly and say why
 */
#include <stdio.h>
#include <string.h>

#include "cdc.h"

static int failures = 0;

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                     \
    }                                                                 \
  } while (0)

/* 1 when a mapping of this process names a file containing name, else 0. */
static int mapped(const char *name) {
  char line[4096];
  int found = 0;
  FILE *maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) {
    perror("/proc/self/maps");
    ++failures;
    return -1;
  }
  while (!found && fgets(line, sizeof line, maps) != NULL) found = strstr(line, name) != NULL;
  fclose(maps);
  return found;
}

static int has(const char *text, const char *part) { return strstr(text, part) != NULL; }

int main(int argc, char **argv) {
  const int missing = argc > 1 && strcmp(argv[1], "missing") == 0;
  double lo = 0, hi = 0, def = 0;
  cdc_convert_options convert;
  cdc_context *context = NULL;
  cdc_model *model = NULL;
  cdc_model *other = NULL;
  cdc_status status;

  /* What needs no engine. */
  printf("libcdc %s\n", cdc_version_string());
  CHECK(cdc_version_number() == CDC_VERSION_NUMBER);
  CHECK(cdc_format_version() == CDC_FORMAT_VERSION);
  CHECK(strcmp(cdc_status_string(CDC_STATUS_CORRUPT_STREAM), "corrupt stream") == 0);
  CHECK(strcmp(cdc_stage_string(CDC_STAGE_DIFFUSION), "diffusion") == 0);
  CHECK(cdc_option_bounds(CDC_OPTION_THREADS, &lo, &hi, &def) == CDC_STATUS_OK);
  CHECK(lo == 0 && hi == 1024 && def == 0);
  CHECK(cdc_option_bounds((cdc_option)999, NULL, NULL, NULL) == CDC_STATUS_INVALID_ARGUMENT);
  CHECK(has(cdc_last_error(), "unknown option 999"));
  cdc_convert_default_options(&convert);
  CHECK(convert.struct_size == sizeof convert && convert.default_gamma == -1.0);
  cdc_model_free(NULL);
  cdc_context_free(NULL);
  cdc_buffer_free(NULL);
  CHECK(strcmp(cdc_context_last_error(NULL), "") == 0);
  CHECK(mapped("libtorch") == 0);
  CHECK(mapped("libc10") == 0);
  CHECK(mapped("libcdc-engine") == 0);

  /* Models, contexts, stream queries and decoding need no engine either. */
  CHECK(cdc_context_create(&context) == CDC_STATUS_OK && context != NULL);
  CHECK(cdc_context_set_option(context, CDC_OPTION_THREADS, 1) == CDC_STATUS_OK);
  CHECK(cdc_context_set_option(context, (cdc_option)996, 1) == CDC_STATUS_INVALID_ARGUMENT);
  CHECK(has(cdc_last_error(), "unknown option 996"));
  CHECK(has(cdc_context_last_error(context), "unknown option 996"));
  status = cdc_model_load_default(&model);
  CHECK(status == CDC_STATUS_OK || status == CDC_STATUS_NOT_FOUND);
  CHECK((status == CDC_STATUS_OK) == (cdc_builtin_model_count() > 0));
  CHECK(cdc_model_load_builtin("no-such-model", &other) == CDC_STATUS_NOT_FOUND && other == NULL);
  CHECK(has(cdc_last_error(), "no-such-model"));
  CHECK(mapped("libtorch") == 0);
  CHECK(mapped("libcdc-engine") == 0);

  if (model != NULL) {
    /* A 64x64 gray ramp. */
    uint8_t pixels[64 * 64 * 3];
    uint8_t decoded[64 * 64 * 3];
    uint8_t *data = NULL;
    size_t size = 0;
    cdc_stream_info info;
    int i;
    for (i = 0; i < 64 * 64 * 3; ++i) pixels[i] = (uint8_t)(i / 3 % 64 * 4);
    /* Encoding (effort 0) and decoding run in libcdc.so itself. */
    CHECK(cdc_encode(context, model, pixels, 64, 64, CDC_PIXEL_RGB8, 0, &data, &size) ==
          CDC_STATUS_OK);
    CHECK(data != NULL && size > 0);
    info.struct_size = sizeof info;
    CHECK(cdc_stream_get_info(data, size, &info) == CDC_STATUS_OK);
    CHECK(info.width == 64 && info.height == 64);
    CHECK(cdc_decode(context, model, data, size, decoded, sizeof decoded, CDC_PIXEL_RGB8, 0) ==
          CDC_STATUS_OK);
    cdc_buffer_free(data);
    data = NULL;
    CHECK(mapped("libtorch") == 0);
    CHECK(mapped("libcdc-engine") == 0);

    /* Encoder effort follows the decoder's gradients: the engine's work. */
    CHECK(cdc_context_set_option(context, CDC_OPTION_EFFORT, 1) == CDC_STATUS_OK);
    status = cdc_encode(context, model, pixels, 64, 64, CDC_PIXEL_RGB8, 0, &data, &size);
    if (missing) {
      CHECK(status == CDC_STATUS_INTERNAL_ERROR);
      CHECK(data == NULL && size == 0);
      printf("cdc_last_error: %s\n", cdc_last_error());
      CHECK(has(cdc_last_error(), "cannot load the libcdc engine"));
      CHECK(has(cdc_last_error(), "libcdc-engine.so"));
      CHECK(has(cdc_context_last_error(context), "cannot load the libcdc engine"));
      /* A CUDA device is a question for the engine too. */
      CHECK(cdc_context_set_option(context, CDC_OPTION_DEVICE, 1) == CDC_STATUS_INTERNAL_ERROR);
      /* The front's own failures still have their message. */
      CHECK(cdc_option_bounds((cdc_option)998, NULL, NULL, NULL) == CDC_STATUS_INVALID_ARGUMENT);
      CHECK(has(cdc_last_error(), "unknown option 998"));
      CHECK(mapped("libtorch") == 0);
    } else {
      CHECK(status == CDC_STATUS_OK && data != NULL && size > 0);
      CHECK(mapped("libcdc-engine") == 1);
      CHECK(mapped("libtorch") == 1);
      CHECK(cdc_decode(context, model, data, size, decoded, sizeof decoded, CDC_PIXEL_RGB8, 0) ==
            CDC_STATUS_OK);
      /* The last error follows the thread's most recent failure: the
       * engine's, then the front's. */
      CHECK(cdc_encode(context, model, pixels, 64, 64, (cdc_pixel_format)9, 0, &data, &size) ==
            CDC_STATUS_INVALID_ARGUMENT);
      CHECK(has(cdc_last_error(), "unknown pixel format 9"));
      CHECK(has(cdc_context_last_error(context), "unknown pixel format 9"));
      CHECK(cdc_option_bounds((cdc_option)997, NULL, NULL, NULL) == CDC_STATUS_INVALID_ARGUMENT);
      CHECK(has(cdc_last_error(), "unknown option 997"));
      cdc_buffer_free(data);
    }
  }
  cdc_model_free(model);
  cdc_context_free(context);
  if (failures != 0) {
    fprintf(stderr, "lazy_engine: %d check(s) failed\n", failures);
    return 1;
  }
  printf("lazy_engine: OK (%s)\n", missing ? "engine missing" : "engine loaded on first use");
  return 0;
}
