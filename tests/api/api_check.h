/*
 * api_check.h - the counters and CHECK / CHECK_STATUS macros of the plain C
 * API tests (each test program includes it once).
 */
#ifndef CDC_TESTS_API_CHECK_H
#define CDC_TESTS_API_CHECK_H

#include <cdc.h>

#include <stdio.h>

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

#endif
