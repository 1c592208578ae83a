// libFuzzer target: parse_stream on arbitrary bytes (the metadata section of
// format version 2 included), then decoding of the z and y substreams with
// fixed tables. A successful decode must re-encode to the
// very same substream bytes (the coder is canonical), else the target aborts.
// Built by fuzz/build.sh (or CMake with CDC_BUILD_FUZZERS) with
// FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which skips the CRC comparisons so
// that mutated streams reach the decoder.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "fuzz_fixture.h"

using namespace cdc::bitstream;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const PreparedTables& pt = cdc_fuzz::prepared();
  try {
    const ParsedStream ps = parse_stream(data, size, cdc_fuzz::limits());
    const StreamHeader& h = ps.header;
    // The metadata blocks are views into the input: read them whole (ASan
    // catches a view past the end).
    unsigned sum = 0;
    for (const ByteSpan& b : ps.metadata)
      for (size_t i = 0; i < b.size; ++i) sum += b.data[i];
    static volatile unsigned sink;
    sink = sum;
    if (ps.header_size + ps.payload_size + ps.metadata_size != size) abort();
    const std::vector<int32_t> z =
        decode_hyper_latent(ps.z.data, ps.z.size, h.z.channels, h.z.height, h.z.width, pt);
    const auto z_again = encode_hyper_latent(z.data(), h.z.channels, h.z.height, h.z.width, pt);
    if (z_again.size() != ps.z.size || std::memcmp(z_again.data(), ps.z.data, ps.z.size) != 0)
      abort();
    const std::vector<int32_t> idx = cdc_fuzz::scale_indices(z, h.y.count());
    const std::vector<int32_t> y = decode_latent(ps.y.data, ps.y.size, idx.data(), idx.size(), pt);
    const auto y_again = encode_latent(y.data(), idx.data(), y.size(), pt);
    if (y_again.size() != ps.y.size || std::memcmp(y_again.data(), ps.y.data, ps.y.size) != 0)
      abort();
  } catch (const cdc::Error& e) {
    switch (e.status()) {
      case CDC_STATUS_CORRUPT_STREAM:
      case CDC_STATUS_TRUNCATED_STREAM:
      case CDC_STATUS_UNSUPPORTED:
      case CDC_STATUS_LIMIT_EXCEEDED:
        break;
      default:
        abort();  // any other status is a bug for stream input
    }
  }
  return 0;
}
