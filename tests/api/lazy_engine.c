/* libcdc.so loads its engine, and with it libtorch, only on first real use
 * (lib/api/engine_table.h). The calls that need no engine must leave libtorch
 * unmapped; the first context or model maps it. The last error is the one of
 * the thread's most recent failure, whether the front or the engine failed.
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

  status = cdc_context_create(&context);
  if (missing) {
    uint8_t pixel[3] = {0, 0, 0};
    uint8_t *data = (uint8_t *)1;
    size_t size = 1;
    cdc_stream_info info;
    CHECK(status == CDC_STATUS_INTERNAL_ERROR);
    CHECK(context == NULL);
    printf("cdc_last_error: %s\n", cdc_last_error());
    CHECK(has(cdc_last_error(), "cannot load the libcdc engine"));
    CHECK(has(cdc_last_error(), "libcdc-engine.so"));
    CHECK(cdc_builtin_model_count() == 0);
    CHECK(cdc_builtin_model_name(0) == NULL);
    CHECK(cdc_builtin_model_for_quality(50) == NULL);
    model = (cdc_model *)1;
    CHECK(cdc_model_load_default(&model) == CDC_STATUS_INTERNAL_ERROR && model == NULL);
    CHECK(cdc_encode(NULL, NULL, pixel, 1, 1, CDC_PIXEL_RGB8, 0, &data, &size) ==
          CDC_STATUS_INTERNAL_ERROR);
    CHECK(data == NULL && size == 0);
    info.struct_size = sizeof info;
    CHECK(cdc_stream_get_info(pixel, sizeof pixel, &info) == CDC_STATUS_INTERNAL_ERROR);
    CHECK(has(cdc_last_error(), "cannot load the libcdc engine"));
    /* The front's own failures still have their message. */
    CHECK(cdc_option_bounds((cdc_option)998, NULL, NULL, NULL) == CDC_STATUS_INVALID_ARGUMENT);
    CHECK(has(cdc_last_error(), "unknown option 998"));
    CHECK(mapped("libtorch") == 0);
  } else {
    CHECK(status == CDC_STATUS_OK && context != NULL);
    CHECK(mapped("libcdc-engine") == 1);
    CHECK(mapped("libtorch") == 1);
    status = cdc_model_load_default(&model);
    CHECK(status == CDC_STATUS_OK || status == CDC_STATUS_NOT_FOUND);
    CHECK((status == CDC_STATUS_OK) == (cdc_builtin_model_count() > 0));
    /* The last error follows the thread's most recent failure: the engine's,
     * then the front's, then the engine's again. */
    CHECK(cdc_model_load_builtin("no-such-model", &other) == CDC_STATUS_NOT_FOUND && other == NULL);
    CHECK(has(cdc_last_error(), "no-such-model"));
    CHECK(cdc_option_bounds((cdc_option)997, NULL, NULL, NULL) == CDC_STATUS_INVALID_ARGUMENT);
    CHECK(has(cdc_last_error(), "unknown option 997"));
    CHECK(cdc_context_set_option(context, (cdc_option)996, 1) == CDC_STATUS_INVALID_ARGUMENT);
    CHECK(has(cdc_last_error(), "unknown option 996"));
    CHECK(has(cdc_context_last_error(context), "unknown option 996"));
    cdc_model_free(model);
    cdc_context_free(context);
  }
  if (failures != 0) {
    fprintf(stderr, "lazy_engine: %d check(s) failed\n", failures);
    return 1;
  }
  printf("lazy_engine: OK (%s)\n", missing ? "engine missing" : "engine loaded on first use");
  return 0;
}
