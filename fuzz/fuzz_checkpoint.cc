// libFuzzer target: the checkpoint reader load_torch_pickle (our zip reader
// and unpickler). An input that starts with "PK" is a whole torch.save file;
// any other input is the pickle alone, stored as data.pkl in a valid archive
// (CRC-32s right) beside float32 storages "0".."6" of 1, 4, 16, ... 4096
// elements, so that mutations of the pickle reach the unpickler and the
// tensor rebuilding. Failures must be cdc::Error INVALID_MODEL; anything else
// (c10::Error included) aborts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "checkpoint_test_util.h"
#include "common/error.h"
#include "convert/torch_checkpoint.h"

namespace {

const std::vector<cdc_test::ZipRecord>& storages() {
  static const std::vector<cdc_test::ZipRecord> records = [] {
    std::vector<cdc_test::ZipRecord> r;
    for (int k = 0; k < 7; ++k)
      r.push_back({"data/" + std::to_string(k), std::string((size_t{1} << (2 * k)) * 4, '\x01')});
    return r;
  }();
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
      cdc::load_torch_pickle(data, size);
    } else {
      std::vector<cdc_test::ZipRecord> records = storages();
      records.insert(records.begin(),
                     {"data.pkl", std::string(reinterpret_cast<const char*>(data), size)});
      const std::vector<uint8_t> zip = cdc_test::make_torch_zip(records);
      cdc::load_torch_pickle(zip.data(), zip.size());
    }
  } catch (const cdc::Error& e) {
    if (e.status() != CDC_STATUS_INVALID_MODEL) abort();
  }
  return 0;
}
