/*
 * ppm_roundtrip.c - compress a PPM/PGM image with libcdc and decompress it.
 *
 *   ppm_roundtrip IN.ppm OUT.ppm [MODEL_FILE|- [STEPS]]
 *
 * Reads a binary PPM (P6) or PGM (P5) with maxval 255, encodes it with the
 * built-in default model (or MODEL_FILE; "-" is the default model), decodes
 * the stream with STEPS diffusion steps (default: the model's), writes the
 * result in the same format and prints the size, bits per pixel and PSNR.
 *
 * Exit status: 0 on success; the cdc_status value of the first libcdc call
 * that failed (1..99); 100 for a usage or file error.
 *
 * Plain C99; uses nothing but <cdc.h> and the C library.
 */
#include <cdc.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 100

/* Reads the next header number of a PNM file, skipping blanks and comments. */
static int read_pnm_number(FILE *f, unsigned long *value) {
  int c = fgetc(f);
  unsigned long v = 0;
  int digits = 0;
  for (;;) {
    if (c == '#') {
      while (c != '\n' && c != EOF) c = fgetc(f);
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      c = fgetc(f);
    } else {
      break;
    }
  }
  while (c >= '0' && c <= '9') {
    if (v > 100000000ul) return 0;
    v = v * 10 + (unsigned long)(c - '0');
    digits++;
    c = fgetc(f);
  }
  /* One whitespace character ends the number (and the header). */
  if (digits == 0 || !(c == ' ' || c == '\t' || c == '\n' || c == '\r')) return 0;
  *value = v;
  return 1;
}

/* Reads a binary PPM or PGM. Returns a malloc'ed buffer or NULL. */
static uint8_t *read_pnm(const char *path, uint32_t *width, uint32_t *height,
                         uint32_t *channels) {
  FILE *f = fopen(path, "rb");
  char magic[2];
  unsigned long w, h, maxval;
  uint8_t *pixels = NULL;
  size_t size;
  if (f == NULL) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  if (fread(magic, 1, 2, f) != 2 || magic[0] != 'P' || (magic[1] != '5' && magic[1] != '6') ||
      !read_pnm_number(f, &w) || !read_pnm_number(f, &h) || !read_pnm_number(f, &maxval) ||
      w == 0 || h == 0 || w > CDC_MAX_DIMENSION || h > CDC_MAX_DIMENSION || maxval != 255) {
    fprintf(stderr, "%s: not a binary 8-bit PPM (P6) or PGM (P5) image\n", path);
    fclose(f);
    return NULL;
  }
  *channels = magic[1] == '6' ? 3u : 1u;
  size = (size_t)w * (size_t)h * *channels;
  pixels = (uint8_t *)malloc(size);
  if (pixels == NULL || fread(pixels, 1, size, f) != size) {
    fprintf(stderr, "%s: %s\n", path, pixels == NULL ? "out of memory" : "truncated image");
    free(pixels);
    fclose(f);
    return NULL;
  }
  fclose(f);
  *width = (uint32_t)w;
  *height = (uint32_t)h;
  return pixels;
}

static int write_pnm(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
                     uint32_t channels) {
  FILE *f = fopen(path, "wb");
  size_t size = (size_t)width * height * channels;
  int ok;
  if (f == NULL) return 0;
  fprintf(f, "P%c\n%lu %lu\n255\n", channels == 3 ? '6' : '5', (unsigned long)width,
          (unsigned long)height);
  ok = fwrite(pixels, 1, size, f) == size;
  ok = (fclose(f) == 0) && ok;
  return ok;
}

static double psnr(const uint8_t *a, const uint8_t *b, size_t n) {
  double sse = 0.0, mse;
  size_t i;
  for (i = 0; i < n; i++) {
    double d = (double)a[i] - (double)b[i];
    sse += d * d;
  }
  mse = sse / (double)n;
  return mse > 0.0 ? 10.0 * log10(255.0 * 255.0 / mse) : INFINITY;
}

/* Prints a failed call's status and message; returns the status as exit code. */
static int report(const char *what, cdc_status status, const cdc_context *context) {
  const char *message = context != NULL ? cdc_context_last_error(context) : "";
  if (message[0] == '\0') message = cdc_last_error();
  fprintf(stderr, "%s failed: status %d (%s)%s%s\n", what, (int)status,
          cdc_status_string(status), message[0] != '\0' ? ": " : "", message);
  return (int)status;
}

int main(int argc, char **argv) {
  uint32_t width = 0, height = 0, channels = 0;
  uint8_t *pixels = NULL, *decoded = NULL, *stream = NULL;
  size_t stream_size = 0;
  cdc_model *model = NULL;
  cdc_context *context = NULL;
  cdc_stream_info info;
  cdc_status status;
  int rc = 0;

  if (argc < 3 || argc > 5) {
    fprintf(stderr, "usage: %s IN.ppm OUT.ppm [MODEL_FILE|- [STEPS]]\n", argv[0]);
    return EXIT_USAGE;
  }
  printf("libcdc %s (bitstream format %u)\n", cdc_version_string(), (unsigned)cdc_format_version());
  pixels = read_pnm(argv[1], &width, &height, &channels);
  if (pixels == NULL) return EXIT_USAGE;

  if (argc >= 4 && strcmp(argv[3], "-") != 0) {
    status = cdc_model_load_file(argv[3], &model);
  } else {
    status = cdc_model_load_default(&model);
  }
  if (status != CDC_STATUS_OK) {
    rc = report("loading the model", status, NULL);
    goto done;
  }
  status = cdc_context_create(&context);
  if (status != CDC_STATUS_OK) {
    rc = report("cdc_context_create", status, NULL);
    goto done;
  }
  if (argc == 5) {
    /* Options are checked against their documented bounds. */
    status = cdc_context_set_option(context, CDC_OPTION_STEPS, atof(argv[4]));
    if (status != CDC_STATUS_OK) {
      rc = report("setting the number of steps", status, context);
      goto done;
    }
  }

  status = cdc_encode(context, model, pixels, width, height, (cdc_pixel_format)channels, 0,
                      &stream, &stream_size);
  if (status != CDC_STATUS_OK) {
    rc = report("cdc_encode", status, context);
    goto done;
  }
  printf("%s: %lux%lu, %lu channel(s) -> %lu bytes, %.4f bpp\n", argv[1], (unsigned long)width,
         (unsigned long)height, (unsigned long)channels, (unsigned long)stream_size,
         8.0 * (double)stream_size / ((double)width * (double)height));

  /* A decoder reads the header first to size its buffer. */
  memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  status = cdc_stream_get_info(stream, stream_size, &info);
  if (status != CDC_STATUS_OK) {
    rc = report("cdc_stream_get_info", status, NULL);
    goto done;
  }
  decoded = (uint8_t *)malloc((size_t)info.width * info.height * channels);
  if (decoded == NULL) {
    fprintf(stderr, "out of memory\n");
    rc = (int)CDC_STATUS_OUT_OF_MEMORY;
    goto done;
  }
  status = cdc_decode(context, model, stream, stream_size, decoded,
                      (size_t)info.width * info.height * channels, (cdc_pixel_format)channels, 0);
  if (status != CDC_STATUS_OK) {
    rc = report("cdc_decode", status, context);
    goto done;
  }
  printf("decoded %lux%lu, PSNR %.2f dB\n", (unsigned long)info.width, (unsigned long)info.height,
         psnr(pixels, decoded, (size_t)width * height * channels));
  if (!write_pnm(argv[2], decoded, info.width, info.height, channels)) {
    fprintf(stderr, "cannot write %s\n", argv[2]);
    rc = EXIT_USAGE;
  }

done:
  cdc_buffer_free(stream);
  free(decoded);
  free(pixels);
  cdc_context_free(context);
  cdc_model_free(model);
  return rc;
}
