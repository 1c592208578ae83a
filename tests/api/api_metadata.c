/*
 * api_metadata.c - metadata through the public C API: cdc_encode_with_metadata
 * stores ICC/EXIF/XMP blocks in a format version 2 stream,
 * cdc_stream_get_metadata and cdc_stream_get_info give them back, a stream
 * without metadata is cdc_encode's version-1 stream byte for byte, the
 * decoded pixels do not depend on the metadata, and damaged metadata
 * sections are clean errors. Argument errors are checked without a model.
 *
 * Plain C99 (built with -pedantic -Werror). The encoding tests need a model:
 * $CDC_TEST_MODEL, a test model file in tests/data, or the built-in default.
 */
#include <cdc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_check.h"

#define W 40
#define H 24

/* CRC-32 (ISO-HDLC, as zlib's), to re-seal edited streams. */
static uint32_t crc32_of(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  size_t i;
  int k;
  for (i = 0; i < n; i++) {
    c ^= p[i];
    for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

static uint32_t load_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void store_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void test_arguments(void) {
  static const uint8_t junk[200] = {0x89, 'C', 'D', 'C'};
  const uint8_t *block = (const uint8_t *)junk;
  size_t block_size = 7;

  CHECK(CDC_METADATA_ICC == 1 && CDC_METADATA_EXIF == 2 && CDC_METADATA_XMP == 3);
  CHECK(CDC_METADATA_MAX_SIZE == 16777216u);
  CHECK(cdc_format_version() == 3);
  CHECK_STATUS(cdc_stream_get_metadata(NULL, 0, CDC_METADATA_ICC, &block, &block_size),
               CDC_STATUS_TRUNCATED_STREAM);
  CHECK(block == NULL && block_size == 0);
  CHECK_STATUS(cdc_stream_get_metadata(NULL, 10, CDC_METADATA_ICC, &block, &block_size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_stream_get_metadata(junk, sizeof(junk), CDC_METADATA_ICC, NULL, &block_size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_stream_get_metadata(junk, sizeof(junk), CDC_METADATA_ICC, &block, NULL),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(cdc_stream_get_metadata(junk, sizeof(junk), (cdc_metadata_kind)4, &block,
                                       &block_size),
               CDC_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(cdc_last_error(), "kind") != NULL);
  CHECK_STATUS(cdc_stream_get_metadata(junk, sizeof(junk), CDC_METADATA_XMP, &block,
                                       &block_size),
               CDC_STATUS_CORRUPT_STREAM);
  CHECK(block == NULL && block_size == 0);
}

static cdc_status encode_with(cdc_context *ctx, const cdc_model *model, const uint8_t *rgb,
                              const cdc_metadata *m, uint8_t **stream, size_t *size) {
  return cdc_encode_with_metadata(ctx, model, rgb, W, H, CDC_PIXEL_RGB8, 0, m, stream, size);
}

static void test_with_model(const cdc_model *model) {
  static uint8_t rgb[W * H * 3], out1[W * H * 3], out2[W * H * 3];
  static uint8_t icc[3000], exif[64], xmp[500];
  cdc_context *ctx = NULL;
  cdc_metadata m;
  cdc_stream_info info;
  uint8_t *plain = NULL, *meta = NULL, *other = NULL, *bad = NULL;
  size_t plain_size = 0, meta_size = 0, other_size = 0, i, cut, section;
  const uint8_t *block = NULL;
  size_t block_size = 0;
  uint8_t *big = NULL;

  for (i = 0; i < sizeof(rgb); i++) rgb[i] = (uint8_t)(i * 7 + (i / (W * 3)) * 13);
  for (i = 0; i < sizeof(icc); i++) icc[i] = (uint8_t)(i * 31 + 1);
  memcpy(exif, "MM\0*\0\0\0\x08", 8);
  for (i = 8; i < sizeof(exif); i++) exif[i] = (uint8_t)i;
  memset(xmp, ' ', sizeof(xmp));
  memcpy(xmp, "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>", 37);

  CHECK_STATUS(cdc_context_create(&ctx), CDC_STATUS_OK);
  if (ctx == NULL) return;
  CHECK_STATUS(cdc_context_set_option(ctx, CDC_OPTION_STEPS, 2), CDC_STATUS_OK);

  /* No metadata: cdc_encode's stream, version 1, byte for byte. */
  CHECK_STATUS(cdc_encode(ctx, model, rgb, W, H, CDC_PIXEL_RGB8, 0, &plain, &plain_size),
               CDC_STATUS_OK);
  if (plain == NULL) {
    cdc_context_free(ctx);
    return;
  }
  CHECK_STATUS(encode_with(ctx, model, rgb, NULL, &other, &other_size), CDC_STATUS_OK);
  CHECK(other_size == plain_size && other != NULL && memcmp(other, plain, plain_size) == 0);
  cdc_buffer_free(other);
  other = NULL;
  memset(&m, 0, sizeof(m));
  m.struct_size = sizeof(m);
  CHECK_STATUS(encode_with(ctx, model, rgb, &m, &other, &other_size), CDC_STATUS_OK);
  CHECK(other_size == plain_size && other != NULL && memcmp(other, plain, plain_size) == 0);
  cdc_buffer_free(other);
  other = NULL;
  CHECK(plain[8] == 1 && plain[9] == 0); /* format_version 1 */
  memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  CHECK_STATUS(cdc_stream_get_info(plain, plain_size, &info), CDC_STATUS_OK);
  CHECK(info.format_version == 1 && info.metadata_size == 0);
  block = icc;
  block_size = 5;
  CHECK_STATUS(cdc_stream_get_metadata(plain, plain_size, CDC_METADATA_ICC, &block, &block_size),
               CDC_STATUS_OK);
  CHECK(block == NULL && block_size == 0);

  /* All three blocks. */
  m.icc = icc;
  m.icc_size = sizeof(icc);
  m.exif = exif;
  m.exif_size = sizeof(exif);
  m.xmp = xmp;
  m.xmp_size = sizeof(xmp);
  CHECK_STATUS(encode_with(ctx, model, rgb, &m, &meta, &meta_size), CDC_STATUS_OK);
  if (meta == NULL) {
    cdc_buffer_free(plain);
    cdc_context_free(ctx);
    return;
  }
  section = 4 + 3 * 8 + sizeof(icc) + sizeof(exif) + sizeof(xmp) + 4;
  CHECK(meta_size == plain_size + section);
  /* The payload is the same; only the version, flags, size field and CRC differ. */
  CHECK(memcmp(meta + 120, plain + 120, plain_size - 120) == 0);
  CHECK(memcmp(meta + 16, plain + 16, 60) == 0);
  CHECK(meta[8] == 2 && load_u32(meta + 12) == 2u && load_u32(meta + 76) == section);
  memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  CHECK_STATUS(cdc_stream_get_info(meta, meta_size, &info), CDC_STATUS_OK);
  CHECK(info.format_version == 2 && info.metadata_size == section);
  CHECK(info.stream_size == meta_size);
  CHECK(info.header_size + info.payload_size + info.metadata_size == meta_size);
  CHECK(info.payload_size == plain_size - 120);
  /* An older caller's smaller struct: metadata_size is not written. */
  memset(&info, 0xAB, sizeof(info));
  info.struct_size = offsetof(cdc_stream_info, metadata_size);
  CHECK_STATUS(cdc_stream_get_info(meta, meta_size, &info), CDC_STATUS_OK);
  CHECK(info.metadata_size == 0xABABABABABABABABull);

  CHECK_STATUS(cdc_stream_get_metadata(meta, meta_size, CDC_METADATA_ICC, &block, &block_size),
               CDC_STATUS_OK);
  CHECK(block_size == sizeof(icc) && block != NULL && memcmp(block, icc, sizeof(icc)) == 0);
  CHECK(block >= meta && block + block_size <= meta + meta_size); /* a view, no copy */
  CHECK_STATUS(cdc_stream_get_metadata(meta, meta_size, CDC_METADATA_EXIF, &block, &block_size),
               CDC_STATUS_OK);
  CHECK(block_size == sizeof(exif) && block != NULL && memcmp(block, exif, sizeof(exif)) == 0);
  CHECK_STATUS(cdc_stream_get_metadata(meta, meta_size, CDC_METADATA_XMP, &block, &block_size),
               CDC_STATUS_OK);
  CHECK(block_size == sizeof(xmp) && block != NULL && memcmp(block, xmp, sizeof(xmp)) == 0);

  /* The pixels do not depend on the metadata. */
  CHECK_STATUS(cdc_decode(ctx, model, plain, plain_size, out1, sizeof(out1), CDC_PIXEL_RGB8, 0),
               CDC_STATUS_OK);
  CHECK_STATUS(cdc_decode(ctx, model, meta, meta_size, out2, sizeof(out2), CDC_PIXEL_RGB8, 0),
               CDC_STATUS_OK);
  CHECK(memcmp(out1, out2, sizeof(out1)) == 0);

  /* One block only: EXIF. */
  memset(&m, 0, sizeof(m));
  m.struct_size = sizeof(m);
  m.exif = exif;
  m.exif_size = sizeof(exif);
  CHECK_STATUS(encode_with(ctx, model, rgb, &m, &other, &other_size), CDC_STATUS_OK);
  CHECK(other_size == plain_size + 4 + 8 + sizeof(exif) + 4);
  CHECK_STATUS(cdc_stream_get_metadata(other, other_size, CDC_METADATA_ICC, &block, &block_size),
               CDC_STATUS_OK);
  CHECK(block == NULL && block_size == 0);
  CHECK_STATUS(cdc_stream_get_metadata(other, other_size, CDC_METADATA_EXIF, &block,
                                       &block_size),
               CDC_STATUS_OK);
  CHECK(block_size == sizeof(exif));
  cdc_buffer_free(other);
  other = NULL;

  /* Argument errors: nothing is encoded. */
  m.struct_size = 8;
  CHECK_STATUS(encode_with(ctx, model, rgb, &m, &other, &other_size), CDC_STATUS_INVALID_ARGUMENT);
  CHECK(other == NULL && other_size == 0);
  CHECK(strstr(cdc_context_last_error(ctx), "struct_size") != NULL);
  m.struct_size = sizeof(m);
  m.exif = NULL;
  CHECK_STATUS(encode_with(ctx, model, rgb, &m, &other, &other_size), CDC_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(cdc_context_last_error(ctx), "exif") != NULL);
  big = (uint8_t *)calloc(CDC_METADATA_MAX_SIZE + 1, 1);
  if (big != NULL) {
    memset(&m, 0, sizeof(m));
    m.struct_size = sizeof(m);
    m.icc = big;
    m.icc_size = CDC_METADATA_MAX_SIZE + 1;
    CHECK_STATUS(encode_with(ctx, model, rgb, &m, &other, &other_size),
                 CDC_STATUS_LIMIT_EXCEEDED);
    CHECK(other == NULL);
    m.icc_size = CDC_METADATA_MAX_SIZE; /* the largest block is fine */
    CHECK_STATUS(encode_with(ctx, model, rgb, &m, &other, &other_size), CDC_STATUS_OK);
    CHECK_STATUS(cdc_stream_get_metadata(other, other_size, CDC_METADATA_ICC, &block,
                                         &block_size),
                 CDC_STATUS_OK);
    CHECK(block_size == CDC_METADATA_MAX_SIZE);
    cdc_buffer_free(other);
    other = NULL;
    free(big);
  }

  /* Damaged metadata: clean errors from every entry point, never a crash. */
  bad = (uint8_t *)malloc(meta_size + 1);
  if (bad != NULL) {
    for (cut = plain_size; cut < meta_size; cut += 97) {
      CHECK_STATUS(cdc_stream_get_metadata(meta, cut, CDC_METADATA_XMP, &block, &block_size),
                   CDC_STATUS_TRUNCATED_STREAM);
      CHECK(block == NULL && block_size == 0);
      memset(&info, 0, sizeof(info));
      info.struct_size = sizeof(info);
      CHECK_STATUS(cdc_stream_get_info(meta, cut, &info), CDC_STATUS_TRUNCATED_STREAM);
      CHECK_STATUS(cdc_decode(ctx, model, meta, cut, out1, sizeof(out1), CDC_PIXEL_RGB8, 0),
                   CDC_STATUS_TRUNCATED_STREAM);
    }
    CHECK(strstr(cdc_last_error(), "metadata") != NULL || strstr(cdc_context_last_error(ctx), "metadata") != NULL);
    /* A flipped byte in a block: checksum mismatch. */
    memcpy(bad, meta, meta_size);
    bad[plain_size + 20] ^= 0x10;
    CHECK_STATUS(cdc_stream_get_metadata(bad, meta_size, CDC_METADATA_ICC, &block, &block_size),
                 CDC_STATUS_CORRUPT_STREAM);
    CHECK(strstr(cdc_last_error(), "metadata section: checksum mismatch") != NULL);
    CHECK_STATUS(cdc_decode(ctx, model, bad, meta_size, out1, sizeof(out1), CDC_PIXEL_RGB8, 0),
                 CDC_STATUS_CORRUPT_STREAM);
    /* A block size past the section, with the CRC re-sealed. */
    memcpy(bad, meta, meta_size);
    store_u32(bad + plain_size + 8, 0x7FFFFFFFu);
    store_u32(bad + meta_size - 4, crc32_of(bad + plain_size, section - 4));
    CHECK_STATUS(cdc_stream_get_metadata(bad, meta_size, CDC_METADATA_ICC, &block, &block_size),
                 CDC_STATUS_CORRUPT_STREAM);
    CHECK(strstr(cdc_last_error(), "metadata section") != NULL);
    /* A trailing byte. */
    memcpy(bad, meta, meta_size);
    bad[meta_size] = 0;
    CHECK_STATUS(cdc_stream_get_metadata(bad, meta_size + 1, CDC_METADATA_ICC, &block,
                                         &block_size),
                 CDC_STATUS_CORRUPT_STREAM);
    free(bad);
  }

  cdc_buffer_free(meta);
  cdc_buffer_free(plain);
  cdc_context_free(ctx);
}

int main(void) {
  test_arguments();
  return finish_with_model(test_with_model);
}
