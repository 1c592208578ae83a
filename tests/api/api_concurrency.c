/*
 * api_concurrency.c - several threads share one model, each with its own
 * context, and mix encodes and decodes with different thread counts,
 * stochastic decodes and cancellations. Every result must equal the one the
 * same call gives when run alone (serially, before the threads start).
 *
 * Run in the normal suite, and built with -fsanitize=thread against a
 * ThreadSanitizer build of libcdc by tests/scripts/tsan.sh.
 *
 * CDC_TEST_MODEL names a model file; otherwise the default built-in model.
 */
#include <cdc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAGES 3
#define WORKERS 4
#define ROUNDS 6

static const uint32_t kSizes[IMAGES][2] = {{64, 48}, {96, 64}, {40, 72}};

static cdc_model *g_model;
static uint8_t *g_pixels[IMAGES];
/* Serial references: streams (encoded with 1 thread) and decodes of them
   for [deterministic, seeded stochastic] x [1 thread, 2 threads]. */
static uint8_t *g_stream[IMAGES];
static size_t g_stream_size[IMAGES];
static uint8_t *g_decoded[IMAGES][2][2];

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_failures;
static int g_checks;

static void check(int ok, const char *what, int image, int worker) {
  pthread_mutex_lock(&g_lock);
  g_checks++;
  if (!ok) {
    g_failures++;
    fprintf(stderr, "FAILED: %s (image %d, worker %d): %s\n", what, image, worker,
            cdc_last_error());
  }
  pthread_mutex_unlock(&g_lock);
}

static size_t image_bytes(int k) { return (size_t)kSizes[k][0] * kSizes[k][1] * 3; }

static void make_image(int k) {
  uint32_t x, y, w = kSizes[k][0], h = kSizes[k][1];
  g_pixels[k] = malloc(image_bytes(k));
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++) {
      uint8_t *p = g_pixels[k] + ((size_t)y * w + x) * 3;
      p[0] = (uint8_t)(x * 3 + k * 40);
      p[1] = (uint8_t)(y * 5 + x);
      p[2] = (uint8_t)((x * y + k * 17) & 255);
    }
}

static cdc_context *context_with(int threads, double gamma, uint64_t seed) {
  cdc_context *ctx = NULL;
  if (cdc_context_create(&ctx) != CDC_STATUS_OK) return NULL;
  cdc_context_set_option(ctx, CDC_OPTION_THREADS, threads);
  cdc_context_set_option(ctx, CDC_OPTION_STEPS, 2);
  cdc_context_set_option(ctx, CDC_OPTION_GAMMA, gamma);
  cdc_context_set_option(ctx, CDC_OPTION_SEED, (double)seed);
  return ctx;
}

static uint8_t *decode(int k, int threads, int stochastic, cdc_status *status) {
  cdc_context *ctx = context_with(threads, stochastic ? 0.8 : 0.0, 5);
  uint8_t *out = malloc(image_bytes(k));
  *status = cdc_decode(ctx, g_model, g_stream[k], g_stream_size[k], out, image_bytes(k),
                       CDC_PIXEL_RGB8, 0);
  cdc_context_free(ctx);
  return out;
}

/* Cancels at the first diffusion step. */
static int cancel_at_diffusion(void *user, const cdc_progress *p) {
  (void)user;
  return p->stage == CDC_STAGE_DIFFUSION;
}

static void *worker(void *arg) {
  int id = (int)(size_t)arg;
  int round;
  for (round = 0; round < ROUNDS; round++) {
    int k = (id + round) % IMAGES;
    int threads = 1 + (id + round) % 2;
    int op = (id * 2 + round) % 4;
    cdc_status status;
    if (op == 0) {
      /* Encode: the same stream as the serial one, whatever the threads. */
      cdc_context *ctx = context_with(threads, 0.0, 0);
      uint8_t *data = NULL;
      size_t size = 0;
      status = cdc_encode(ctx, g_model, g_pixels[k], kSizes[k][0], kSizes[k][1], CDC_PIXEL_RGB8,
                          0, &data, &size);
      check(status == CDC_STATUS_OK, "encode", k, id);
      check(status == CDC_STATUS_OK && size == g_stream_size[k] &&
                memcmp(data, g_stream[k], size) == 0,
            "encode equals the serial stream", k, id);
      cdc_buffer_free(data);
      cdc_context_free(ctx);
    } else if (op == 1 || op == 2) {
      /* Deterministic (op 1) or seeded stochastic (op 2) decode. */
      int stochastic = op == 2;
      uint8_t *out = decode(k, threads, stochastic, &status);
      check(status == CDC_STATUS_OK, "decode", k, id);
      check(status == CDC_STATUS_OK &&
                memcmp(out, g_decoded[k][stochastic][threads - 1], image_bytes(k)) == 0,
            "decode equals the serial decode", k, id);
      free(out);
    } else {
      /* Cancelled decode: CANCELLED, the buffer untouched. */
      cdc_context *ctx = context_with(threads, 0.0, 0);
      uint8_t *out = malloc(image_bytes(k));
      size_t i;
      int untouched = 1;
      memset(out, 0xA5, image_bytes(k));
      cdc_context_set_progress(ctx, cancel_at_diffusion, NULL);
      status = cdc_decode(ctx, g_model, g_stream[k], g_stream_size[k], out, image_bytes(k),
                          CDC_PIXEL_RGB8, 0);
      for (i = 0; i < image_bytes(k); i++) untouched &= out[i] == 0xA5;
      check(status == CDC_STATUS_CANCELLED, "cancelled decode", k, id);
      check(untouched, "a cancelled decode leaves the buffer untouched", k, id);
      free(out);
      cdc_context_free(ctx);
    }
  }
  return NULL;
}

int main(void) {
  const char *env = getenv("CDC_TEST_MODEL");
  pthread_t threads[WORKERS];
  int k, s, t;
  cdc_status status;
  status = env != NULL && env[0] != '\0' ? cdc_model_load_file(env, &g_model)
                                         : cdc_model_load_default(&g_model);
  if (status != CDC_STATUS_OK) {
    printf("SKIPPED: no model (%s)\n", cdc_last_error());
    return 0;
  }
  /* Serial references. */
  for (k = 0; k < IMAGES; k++) {
    cdc_context *ctx = context_with(1, 0.0, 0);
    make_image(k);
    status = cdc_encode(ctx, g_model, g_pixels[k], kSizes[k][0], kSizes[k][1], CDC_PIXEL_RGB8, 0,
                        &g_stream[k], &g_stream_size[k]);
    check(status == CDC_STATUS_OK, "serial encode", k, -1);
    cdc_context_free(ctx);
    if (status != CDC_STATUS_OK) return 1;
    for (s = 0; s < 2; s++)
      for (t = 0; t < 2; t++) {
        g_decoded[k][s][t] = decode(k, t + 1, s, &status);
        check(status == CDC_STATUS_OK, "serial decode", k, -1);
      }
  }
  for (t = 0; t < WORKERS; t++) pthread_create(&threads[t], NULL, worker, (void *)(size_t)t);
  for (t = 0; t < WORKERS; t++) pthread_join(threads[t], NULL);

  for (k = 0; k < IMAGES; k++) {
    free(g_pixels[k]);
    cdc_buffer_free(g_stream[k]);
    for (s = 0; s < 2; s++)
      for (t = 0; t < 2; t++) free(g_decoded[k][s][t]);
  }
  cdc_model_free(g_model);
  printf("%d checks, %d failed (%d threads x %d calls on one model)\n", g_checks, g_failures,
         WORKERS, ROUNDS);
  return g_failures == 0 ? 0 : 1;
}
