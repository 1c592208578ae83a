// libFuzzer target: EntropyTables::deserialize on arbitrary bytes (the entropy
// tables of a model file). Accepted tables must serialize back to the input
// and be usable by the coder.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "entropy/entropy_tables.h"
#include "entropy/rans.h"

using namespace cdc::entropy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const EntropyTables t = EntropyTables::deserialize(data, size);
    const auto again = t.serialize();
    if (again.size() != size || std::memcmp(again.data(), data, size) != 0) abort();
    CodingTableSet prior(t.prior), gaussian(t.gaussian);
    // rANS is last-in first-out: push the gaussian symbols, then the prior's,
    // each in reverse; decode the prior's, then the gaussian's, forward.
    // Values around each table's range (escapes included).
    RansEncoder enc;
    for (size_t i = gaussian.size(); i-- > 0;) enc.push(static_cast<int32_t>(i) - 100, gaussian[i]);
    for (size_t i = prior.size(); i-- > 0;) enc.push(prior[i].offset - 1 + static_cast<int32_t>(i % 5), prior[i]);
    const auto bytes = enc.finish();
    RansDecoder dec(bytes.data(), bytes.size());
    for (size_t i = 0; i < prior.size(); ++i)
      if (dec.pop(prior[i]) != prior[i].offset - 1 + static_cast<int32_t>(i % 5)) abort();
    for (size_t i = 0; i < gaussian.size(); ++i)
      if (dec.pop(gaussian[i]) != static_cast<int32_t>(i) - 100) abort();
    dec.finish();
  } catch (const cdc::Error& e) {
    if (e.status() != CDC_STATUS_INVALID_MODEL) abort();
  }
  return 0;
}
