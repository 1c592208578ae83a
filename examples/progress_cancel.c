/*
 * progress_cancel.c - a progress bar, and cancelling a decode from it.
 *
 *   progress_cancel [CANCEL_AFTER [MODEL_FILE]]
 *
 * Encodes a small synthetic image with the built-in default model (or
 * MODEL_FILE), showing the progress of each stage, then decodes it with 4
 * diffusion steps and cancels once CANCEL_AFTER steps are done (default 2;
 * 0 decodes to the end). A cancelled call returns CDC_STATUS_CANCELLED and writes no
 * output.
 *
 * Exit status: 0 when the run ended as asked (cancelled, or complete with
 * CANCEL_AFTER = 0); otherwise the cdc_status value of the failed call, or
 * 100 for a usage error.
 *
 * Plain C99; uses nothing but <cdc.h> and the C library.
 */
#include <cdc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 100

struct progress_state {
  unsigned cancel_after; /* diffusion steps before cancelling; 0 = never */
  unsigned diffusion_steps_seen;
  int last_stage;
};

/* Draws "stage [#####.....] done/total"; returns non-zero to cancel. */
static int on_progress(void *user, const cdc_progress *p) {
  struct progress_state *state = (struct progress_state *)user;
  const int width = 20;
  int filled = p->total > 0 ? (int)((double)p->done * width / p->total) : width;
  int i;
  if ((int)p->stage != state->last_stage) {
    if (state->last_stage != 0) fputc('\n', stderr);
    state->last_stage = (int)p->stage;
  }
  fprintf(stderr, "\r%-15s [", cdc_stage_string(p->stage));
  for (i = 0; i < width; i++) fputc(i < filled ? '#' : '.', stderr);
  fprintf(stderr, "] %lu/%lu", (unsigned long)p->done, (unsigned long)p->total);
  if (p->stage == CDC_STAGE_DIFFUSION && p->preview != NULL) {
    /* The current x0 prediction is readable here, e.g. to show a preview. */
    fprintf(stderr, " (preview %lux%lu)", (unsigned long)p->preview_width,
            (unsigned long)p->preview_height);
  }
  fflush(stderr);
  if (p->stage == CDC_STAGE_DIFFUSION && p->done > 0) {
    state->diffusion_steps_seen = p->done;
    if (state->cancel_after > 0 && p->done >= state->cancel_after) return 1; /* cancel */
  }
  return 0;
}

static int report(const char *what, cdc_status status, const cdc_context *context) {
  const char *message = context != NULL ? cdc_context_last_error(context) : "";
  if (message[0] == '\0') message = cdc_last_error();
  fprintf(stderr, "\n%s failed: status %d (%s)%s%s\n", what, (int)status,
          cdc_status_string(status), message[0] != '\0' ? ": " : "", message);
  return (int)status;
}

int main(int argc, char **argv) {
  enum { W = 96, H = 64 };
  static uint8_t image[W * H * 3];
  static uint8_t decoded[W * H * 3];
  struct progress_state state;
  cdc_model *model = NULL;
  cdc_context *context = NULL;
  uint8_t *stream = NULL;
  size_t stream_size = 0;
  cdc_status status;
  int x, y, rc = 0;
  char *end = NULL;

  memset(&state, 0, sizeof(state));
  state.cancel_after = 2;
  if (argc > 3) {
    fprintf(stderr, "usage: %s [CANCEL_AFTER [MODEL_FILE]]\n", argv[0]);
    return EXIT_USAGE;
  }
  if (argc >= 2) {
    unsigned long n = strtoul(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || n > 65536ul) {
      fprintf(stderr, "CANCEL_AFTER must be a number of steps\n");
      return EXIT_USAGE;
    }
    state.cancel_after = (unsigned)n;
  }

  /* A smooth synthetic test image: color gradients. */
  for (y = 0; y < H; y++) {
    for (x = 0; x < W; x++) {
      uint8_t *px = &image[(y * W + x) * 3];
      px[0] = (uint8_t)(x * 255 / (W - 1));
      px[1] = (uint8_t)(y * 255 / (H - 1));
      px[2] = (uint8_t)((x + y) * 255 / (W + H - 2));
    }
  }

  status = argc == 3 ? cdc_model_load_file(argv[2], &model) : cdc_model_load_default(&model);
  if (status != CDC_STATUS_OK) {
    rc = report("loading the model", status, NULL);
    goto done;
  }
  status = cdc_context_create(&context);
  if (status == CDC_STATUS_OK) status = cdc_context_set_progress(context, on_progress, &state);
  /* 4 steps rather than the model's default (1 for the built-in models). */
  if (status == CDC_STATUS_OK) status = cdc_context_set_option(context, CDC_OPTION_STEPS, 4.0);
  if (status != CDC_STATUS_OK) {
    rc = report("creating the context", status, context);
    goto done;
  }

  /* Encoding runs to the end: the callback cancels only diffusion steps. */
  status = cdc_encode(context, model, image, W, H, CDC_PIXEL_RGB8, 0, &stream, &stream_size);
  if (status != CDC_STATUS_OK) {
    rc = report("cdc_encode", status, context);
    goto done;
  }
  fprintf(stderr, "\n");
  printf("encoded %dx%d into %lu bytes\n", W, H, (unsigned long)stream_size);

  state.last_stage = 0;
  status = cdc_decode(context, model, stream, stream_size, decoded, sizeof(decoded),
                      CDC_PIXEL_RGB8, 0);
  fprintf(stderr, "\n");
  if (status == CDC_STATUS_CANCELLED) {
    printf("decode cancelled after %u diffusion step(s): status %d (%s)\n",
           state.diffusion_steps_seen, (int)status, cdc_status_string(status));
    rc = state.cancel_after > 0 ? 0 : (int)status;
  } else if (status == CDC_STATUS_OK) {
    printf("decode complete after %u diffusion step(s)\n", state.diffusion_steps_seen);
    /* Asked to cancel but it completed: fewer steps than CANCEL_AFTER. */
    rc = 0;
  } else {
    rc = report("cdc_decode", status, context);
  }

done:
  cdc_buffer_free(stream);
  cdc_context_free(context);
  cdc_model_free(model);
  return rc;
}
