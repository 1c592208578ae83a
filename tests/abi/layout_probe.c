/* layout_probe.c - prints the layout of every public type of cdc.h: struct
 * sizes and field offsets, and enum values. tests/scripts/abi_check.sh
 * compares its output with tests/abi/public_layout.txt, a type-level ABI
 * check that needs no debug info. */
#include <cdc.h>

#include <stddef.h>
#include <stdio.h>

#define SIZE(t) printf("sizeof %s %lu\n", #t, (unsigned long)sizeof(t))
#define FIELD(t, f) printf("offsetof %s.%s %lu\n", #t, #f, (unsigned long)offsetof(t, f))
#define VALUE(v) printf("value %s %ld\n", #v, (long)(v))

int main(void) {
  SIZE(cdc_convert_options);
  FIELD(cdc_convert_options, struct_size);
  FIELD(cdc_convert_options, name);
  FIELD(cdc_convert_options, default_steps);
  FIELD(cdc_convert_options, default_gamma);
  FIELD(cdc_convert_options, rate_lambda);
  FIELD(cdc_convert_options, weight_format);
  SIZE(cdc_model_info);
  FIELD(cdc_model_info, struct_size);
  FIELD(cdc_model_info, name);
  FIELD(cdc_model_info, id);
  FIELD(cdc_model_info, config_json);
  FIELD(cdc_model_info, num_timesteps);
  FIELD(cdc_model_info, default_steps);
  FIELD(cdc_model_info, default_gamma);
  FIELD(cdc_model_info, size_multiple);
  FIELD(cdc_model_info, parameter_count);
  FIELD(cdc_model_info, rate_lambda);
  SIZE(cdc_progress);
  FIELD(cdc_progress, struct_size);
  FIELD(cdc_progress, stage);
  FIELD(cdc_progress, done);
  FIELD(cdc_progress, total);
  FIELD(cdc_progress, preview);
  FIELD(cdc_progress, preview_width);
  FIELD(cdc_progress, preview_height);
  FIELD(cdc_progress, preview_stride);
  SIZE(cdc_stream_info);
  FIELD(cdc_stream_info, struct_size);
  FIELD(cdc_stream_info, width);
  FIELD(cdc_stream_info, height);
  FIELD(cdc_stream_info, channels);
  FIELD(cdc_stream_info, format_version);
  FIELD(cdc_stream_info, model_id);
  FIELD(cdc_stream_info, stream_size);
  FIELD(cdc_stream_info, header_size);
  FIELD(cdc_stream_info, payload_size);
  FIELD(cdc_stream_info, estimated_bits);
  FIELD(cdc_stream_info, metadata_size);
  SIZE(cdc_metadata);
  FIELD(cdc_metadata, struct_size);
  FIELD(cdc_metadata, icc);
  FIELD(cdc_metadata, icc_size);
  FIELD(cdc_metadata, exif);
  FIELD(cdc_metadata, exif_size);
  FIELD(cdc_metadata, xmp);
  FIELD(cdc_metadata, xmp_size);
  SIZE(cdc_status);
  SIZE(cdc_option);
  SIZE(cdc_stage);
  SIZE(cdc_pixel_format);
  SIZE(cdc_metadata_kind);
  VALUE(CDC_STATUS_OK);
  VALUE(CDC_STATUS_INVALID_ARGUMENT);
  VALUE(CDC_STATUS_OUT_OF_MEMORY);
  VALUE(CDC_STATUS_IO_ERROR);
  VALUE(CDC_STATUS_INVALID_MODEL);
  VALUE(CDC_STATUS_CORRUPT_STREAM);
  VALUE(CDC_STATUS_TRUNCATED_STREAM);
  VALUE(CDC_STATUS_MODEL_MISMATCH);
  VALUE(CDC_STATUS_UNSUPPORTED);
  VALUE(CDC_STATUS_LIMIT_EXCEEDED);
  VALUE(CDC_STATUS_BUFFER_TOO_SMALL);
  VALUE(CDC_STATUS_CANCELLED);
  VALUE(CDC_STATUS_NOT_FOUND);
  VALUE(CDC_STATUS_NOT_IMPLEMENTED);
  VALUE(CDC_STATUS_INTERNAL_ERROR);
  VALUE(CDC_OPTION_THREADS);
  VALUE(CDC_OPTION_STEPS);
  VALUE(CDC_OPTION_GAMMA);
  VALUE(CDC_OPTION_SEED);
  VALUE(CDC_OPTION_MAX_PIXELS);
  VALUE(CDC_OPTION_TILE);
  VALUE(CDC_OPTION_TILE_OVERLAP);
  VALUE(CDC_OPTION_EFFORT);
  VALUE(CDC_OPTION_PRECISION);
  VALUE(CDC_OPTION_DEVICE);
  VALUE(CDC_STAGE_ANALYSIS);
  VALUE(CDC_STAGE_ENTROPY_ENCODE);
  VALUE(CDC_STAGE_ENTROPY_DECODE);
  VALUE(CDC_STAGE_CONTEXT);
  VALUE(CDC_STAGE_DIFFUSION);
  VALUE(CDC_STAGE_REFINE);
  VALUE(CDC_PIXEL_GRAY8);
  VALUE(CDC_PIXEL_RGB8);
  VALUE(CDC_PIXEL_RGBA8);
  VALUE(CDC_METADATA_ICC);
  VALUE(CDC_METADATA_EXIF);
  VALUE(CDC_METADATA_XMP);
  VALUE(CDC_METADATA_MAX_SIZE);
  VALUE(CDC_WEIGHTS_KEEP);
  VALUE(CDC_WEIGHTS_FLOAT32);
  VALUE(CDC_WEIGHTS_FLOAT16);
  VALUE(CDC_MAX_DIMENSION);
  VALUE(CDC_ABI_VERSION);
  return 0;
}
