/*
 * api_check.h - the counters and CHECK / CHECK_STATUS macros of the plain C
 * API tests (each test program includes it once).
 */
#ifndef CDC_TESTS_API_CHECK_H
#define CDC_TESTS_API_CHECK_H

#include <cdc.h>

#include <stdio.h>
#include <stdlib.h>

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond)                                                         \
  do {                                                                      \
    g_checks++;                                                             \
    if (!(cond)) {                                                          \
      g_failures++;                                                         \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                       \
  } while (0)

#define CHECK_STATUS(expr, want)                                            \
  do {                                                                      \
    cdc_status got_ = (expr);                                               \
    g_checks++;                                                             \
    if (got_ != (want)) {                                                   \
      g_failures++;                                                         \
      fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s); %s\n", __FILE__, \
              __LINE__, #expr, (int)got_, cdc_status_string(got_), (int)(want),   \
              cdc_status_string(want), cdc_last_error());                   \
    }                                                                       \
  } while (0)

/* Finds a model: $CDC_TEST_MODEL, a test model in tests/data, the built-in
 * default (NULL when there is none); prints which. */
static cdc_model *find_model(void) {
  static const char *const candidates[] = {CDC_TEST_DATA_DIR "/golden_x8.cdcm",
                                           CDC_TEST_DATA_DIR "/test_model.cdcm"};
  const char *env = getenv("CDC_TEST_MODEL");
  cdc_model *model = NULL;
  size_t i;
  if (env != NULL && env[0] != '\0') {
    CHECK_STATUS(cdc_model_load_file(env, &model), CDC_STATUS_OK);
    if (model != NULL) printf("model: %s\n", env);
    return model;
  }
  for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
    FILE *f = fopen(candidates[i], "rb");
    if (f == NULL) continue;
    fclose(f);
    CHECK_STATUS(cdc_model_load_file(candidates[i], &model), CDC_STATUS_OK);
    if (model != NULL) printf("model: %s\n", candidates[i]);
    return model;
  }
  if (cdc_builtin_model_count() > 0) {
    CHECK_STATUS(cdc_model_load_default(&model), CDC_STATUS_OK);
    if (model != NULL) printf("model: built-in %s\n", cdc_builtin_model_name(0));
  }
  return model;
}

/* Runs the tests that need a model (skipped with a note when there is none),
 * prints the counts and returns the exit code. */
static int finish_with_model(void (*test_with_model)(const cdc_model *)) {
  cdc_model *model = find_model();
  if (model != NULL) {
    test_with_model(model);
    cdc_model_free(model);
  } else {
    printf("SKIPPED: tests that need a model (none found)\n");
  }
  printf("%d checks, %d failed\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}

#endif
