// The engine's one entry point: the table of its C API functions, through
// which libcdc.so's front forwards (api/engine_table.h says why).
#include "api/engine_table.h"
#include "cdc_version.h"

extern "C" __attribute__((visibility("default"))) const CdcEngineTable* cdc_engine_table(void) {
  static const CdcEngineTable table = {
      CDC_ENGINE_TABLE_VERSION,
      sizeof(CdcEngineTable),
      CDC_VERSION_STRING,
#define CDC_ENGINE_ENTRY(name) &::name,
      CDC_ENGINE_FUNCTIONS(CDC_ENGINE_ENTRY)
#undef CDC_ENGINE_ENTRY
  };
  return &table;
}
