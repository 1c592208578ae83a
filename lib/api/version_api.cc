// Version queries of the C API.
#include "api/api_internal.h"
#include "cdc_version.h"

extern "C" {

uint32_t cdc_version_number(void) { return CDC_VERSION_NUMBER; }

const char* cdc_version_string(void) { return CDC_VERSION_STRING; }

uint32_t cdc_format_version(void) { return CDC_FORMAT_VERSION; }

}  // extern "C"
