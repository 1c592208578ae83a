// Model files and configs against hostile inputs: a config that asks for a
// network far bigger than the file's weights, terabyte-scale configs, nonzero
// padding, text that is not UTF-8. Plus the exact parameter count.
#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "common/byte_io.h"
#include "common/error.h"
#include "common/utf8.h"
#include "model/network.h"
#include "model_file_seal.h"
#include "model_test_util.h"

namespace {

struct Outcome {
  cdc_status status = CDC_STATUS_OK;
  std::string message;
};

Outcome load(const std::vector<uint8_t>& bytes) {
  try {
    cdc::Model::load_memory(bytes.data(), bytes.size());
    return {};
  } catch (const cdc::Error& e) {
    return {e.status(), e.what()};
  }
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

int64_t built_count(const cdc::ModelConfig& c) {
  torch::NoGradGuard no_grad;
  cdc::CdcNetwork net(c);
  int64_t n = 0;
  for (const auto& nt : cdc::network_tensors(*net)) n += nt.second.numel();
  return n;
}

void reseal(std::vector<uint8_t>& b) { cdc_test::reseal_model_file(b); }

// Offset and size of section `type` in a model file.
std::pair<size_t, size_t> section(const std::vector<uint8_t>& b, uint32_t type) {
  const uint32_t count = cdc::load_u32(b.data() + 12);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = b.data() + 64 + 32 * i;
    if (cdc::load_u32(e) == type) return {cdc::load_u64(e + 8), cdc::load_u64(e + 16)};
  }
  throw std::runtime_error("no such section");
}


cdc::ModelConfig odd_epsilonparam() {
  cdc::ModelConfig c = cdc::ModelConfig::preset("golden-eps8");
  c.dim = 4;
  c.dim_mults = {1, 2, 2, 5};
  c.compressor_dim = 4;
  c.compressor_dim_mults = {1, 3, 2};
  c.reverse_dim_mults = {2, 3, 1};
  c.context_dim_mults = {1, 3, 7};
  c.hyper_dims_mults = {2, 1};
  c.num_timesteps = 11;
  c.default_steps = 5;
  return c;
}

}  // namespace

TEST_CASE("model config: parameter_count() is the built network's element count") {
  for (const auto& name : cdc::ModelConfig::preset_names()) {
    CAPTURE(name);
    const cdc::ModelConfig c = cdc::ModelConfig::preset(name);
    CHECK(c.parameter_count() == built_count(c));
  }
  for (const cdc::ModelConfig& c : {cdc_test::odd_xparam(), odd_epsilonparam()}) {
    REQUIRE_NOTHROW(c.validate());
    CHECK(c.parameter_count() == built_count(c));
  }
}

TEST_CASE("model config: validate() refuses networks above 2^31 elements") {
  // Every field within its own limit, the whole a 10^13-element network
  // (before: accepted, and a loader would try to build it).
  cdc::ModelConfig c = cdc::ModelConfig::preset("paper-xparam");
  c.dim = 4096;
  c.context_channels = c.out_channels = 4096;
  c.compressor_dim = 4096;
  c.context_dim_mults = {1, 2, 3, 4};
  c.dim_mults = {1, 64, 64, 64, 64, 64};
  try {
    c.validate();
    FAIL("accepted");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_INVALID_MODEL);
    CHECK(contains(e.what(), "parameters"));
  }
  CHECK(cdc::ModelConfig::preset("paper-xparam").parameter_count() <
        cdc::ModelConfig::kMaxParameterCount);
}

TEST_CASE("model file: a config bigger than its tensors is refused before building") {
  // The golden model's weights under a config with 16x the widths: before,
  // loading built and initialised the whole (~GB) network, then failed on a
  // missing tensor.
  const cdc::ModelFileContents golden = cdc::read_model_file(
      cdc_test::golden_model_bytes().data(), cdc_test::golden_model_bytes().size());
  cdc::ModelConfig big = golden.config;
  big.dim *= 16;
  big.compressor_dim *= 16;
  big.context_channels *= 16;
  big.out_channels *= 16;
  REQUIRE_NOTHROW(big.validate());
  for (const auto& tensors : {golden.tensors, cdc::NamedTensors{}}) {
    const std::vector<uint8_t> bytes =
        cdc::write_model_file(big, "big", tensors, golden.entropy_tables);
    const auto start = std::chrono::steady_clock::now();
    const Outcome o = load(bytes);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(o.status == CDC_STATUS_INVALID_MODEL);
    CHECK(contains(o.message, "elements"));
    CHECK(seconds < 1.0);
  }
  // The same check guards the other ways into a network.
  CHECK_THROWS_AS(cdc::make_model_file(big, "big", golden.tensors, "test"), cdc::Error);
}

TEST_CASE("model file: padding must be zero") {
  const std::vector<uint8_t>& good = cdc_test::golden_model_bytes();
  REQUIRE(load(good).status == CDC_STATUS_OK);
  {  // Between two sections (not covered by any checksum: before, accepted).
    const auto [offset, size] = section(good, 1);  // config
    REQUIRE((offset + size) % 64 != 0);
    std::vector<uint8_t> b = good;
    REQUIRE(b[offset + size] == 0);
    b[offset + size] = 1;
    const Outcome o = load(b);
    CHECK(o.status == CDC_STATUS_INVALID_MODEL);
    CHECK(contains(o.message, "padding"));
  }
  {  // Between two tensors' data inside the tensor section.
    const auto [offset, size] = section(good, 3);
    cdc::ByteReader r(good.data() + offset, size, CDC_STATUS_INTERNAL_ERROR, "test");
    r.u32();
    r.u32();
    r.bytes(r.u32());  // the first tensor: name, dtype, dims, offset, size
    r.u32();
    const uint32_t ndim = r.u32();
    for (uint32_t k = 0; k < ndim; ++k) r.u64();
    const uint64_t data = r.u64(), bytes = r.u64();
    REQUIRE((data + bytes) % 64 != 0);
    std::vector<uint8_t> b = good;
    REQUIRE(b[offset + data + bytes] == 0);
    b[offset + data + bytes] = 1;
    reseal(b);
    const Outcome o = load(b);
    CHECK(o.status == CDC_STATUS_INVALID_MODEL);
    CHECK(contains(o.message, "padding"));
    // The reserved word after the tensor count.
    b = good;
    b[offset + 4] = 1;
    reseal(b);
    CHECK(load(b).status == CDC_STATUS_INVALID_MODEL);
  }
}

TEST_CASE("model file: the name and config must be UTF-8") {
  const cdc::ModelFileContents golden = cdc::read_model_file(
      cdc_test::golden_model_bytes().data(), cdc_test::golden_model_bytes().size());
  // Before: loaded, and pycdc raised UnicodeDecodeError on the name.
  Outcome o = load(cdc::write_model_file(golden.config, "bad\xff\xfename", golden.tensors,
                                         golden.entropy_tables));
  CHECK(o.status == CDC_STATUS_INVALID_MODEL);
  CHECK(contains(o.message, "UTF-8"));
  CHECK(load(cdc::write_model_file(golden.config, "gr\xc3\xbcn", golden.tensors,
                                   golden.entropy_tables))
            .status == CDC_STATUS_OK);
  // A config string that is not UTF-8 (an overlong "1"): before, the error
  // message quoted it and was itself not UTF-8.
  std::vector<uint8_t> b = cdc_test::golden_model_bytes();
  const auto [offset, size] = section(b, 1);
  const std::string json(reinterpret_cast<const char*>(b.data() + offset), size);
  const size_t at = json.find("\"01\"");
  REQUIRE(at != std::string::npos);
  b[offset + at + 1] = 0xC0;
  b[offset + at + 2] = 0xB1;
  reseal(b);
  o = load(b);
  CHECK(o.status == CDC_STATUS_INVALID_MODEL);
  CHECK(cdc::is_valid_utf8(o.message));
  // A lone surrogate escape in the JSON text is refused too.
  CHECK_THROWS_AS(cdc::ModelConfig::from_json("{\"\\ud800\": 1}"), cdc::Error);
}

TEST_CASE("utf8: validation") {
  CHECK(cdc::is_valid_utf8(std::string("plain")));
  CHECK(cdc::is_valid_utf8(std::string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")));
  CHECK_FALSE(cdc::is_valid_utf8(std::string("\xff")));
  CHECK_FALSE(cdc::is_valid_utf8(std::string("\xc0\xaf")));          // overlong
  CHECK_FALSE(cdc::is_valid_utf8(std::string("\xed\xa0\x80")));      // surrogate
  CHECK_FALSE(cdc::is_valid_utf8(std::string("\xf4\x90\x80\x80")));  // above U+10FFFF
  CHECK_FALSE(cdc::is_valid_utf8(std::string("\xe2\x82")));          // truncated
}
