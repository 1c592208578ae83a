// The checkpoint reader (lib/convert) against hostile torch.save files: deep
// nesting, tensors and strings that expand a small file, damaged zip records.
// Each file is crafted here, a few bytes to a few MB.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "checkpoint_test_util.h"
#include "common/error.h"
#include "common/file_io.h"
#include "convert/checkpoint_import.h"
#include "convert/torch_checkpoint.h"
#include "model_test_util.h"

namespace {

using cdc_test::PickleWriter;

// The status and message of load_torch_pickle; only cdc::Error is caught (a
// c10::Error or a crash fails the test).
struct Outcome {
  cdc_status status = CDC_STATUS_OK;
  std::string message;
};

Outcome read(const std::vector<uint8_t>& zip) {
  try {
    cdc::load_torch_pickle(zip.data(), zip.size());
    return {};
  } catch (const cdc::Error& e) {
    return {e.status(), e.what()};
  }
}

std::vector<uint8_t> zip_of(const std::string& pickle, std::vector<cdc_test::ZipRecord> more = {}) {
  more.insert(more.begin(), {"data.pkl", pickle});
  return cdc_test::make_torch_zip(more);
}

std::string floats(int64_t n) { return std::string(static_cast<size_t>(n) * 4, '\0'); }

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("checkpoint reader: a crafted small checkpoint reads") {
  const std::vector<uint8_t> zip = cdc_test::make_small_checkpoint(16);
  const c10::IValue root = cdc::load_torch_pickle(zip.data(), zip.size());
  REQUIRE(root.isGenericDict());
  const auto model = root.toGenericDict().at(c10::IValue("model")).toGenericDict();
  const at::Tensor w = model.at(c10::IValue("w")).toTensor();
  CHECK(w.numel() == 16);
  CHECK(w[15].item<float>() == 15.0f);
}

TEST_CASE("checkpoint reader: 200,000 nested lists and dicts are refused, not a stack overflow") {
  // Before: the parsed tree was freed recursively (SIGSEGV).
  const int depth = 200000;
  {  // Lists built on the pickle stack: ] ] ] ... a a a.
    PickleWriter p;
    for (int i = 0; i < depth; ++i) p.empty_list();
    for (int i = 1; i < depth; ++i) p.append();
    const Outcome o = read(zip_of(p.finish()));
    CHECK(o.status == CDC_STATUS_INVALID_MODEL);
  }
  {  // Lists and dicts chained through the memo with a stack of one:
     // memo[i] gets a new container memo[i + 1].
    PickleWriter p;
    p.empty_list().put(0);
    for (int i = 0; i < depth; ++i) {
      p.get(static_cast<uint32_t>(i));
      if (i % 2 == 0) {  // memo[i] is a list
        p.empty_dict().put(static_cast<uint32_t>(i + 1)).append();
      } else {           // memo[i] is a dict
        p.str("k").empty_list().put(static_cast<uint32_t>(i + 1)).setitem();
      }
      p.pop();
    }
    const Outcome o = read(zip_of(p.finish()));
    CHECK(o.status == CDC_STATUS_INVALID_MODEL);
    CHECK(contains(o.message, "too deep"));
  }
  {  // A list that holds itself (a cycle) is freed too (no leak, no loop).
    PickleWriter p;
    p.empty_list().put(0).get(0).append();
    CHECK(read(zip_of(p.finish())).status == CDC_STATUS_INVALID_MODEL);
  }
}

TEST_CASE("checkpoint reader: memo references cannot expand into a huge object tree") {
  // A list of 64 references to a list of 64 references to a list of 64
  // integers: 64^3 = 262,144 nodes from 2 KB (before: accepted; each level
  // more multiplies by 64, up to the old budget of 2^24 nodes).
  PickleWriter p;
  p.empty_list().put(0);
  for (int i = 0; i < 64; ++i) p.integer(i).append();
  for (uint32_t level = 1; level <= 2; ++level) {
    p.empty_list().put(level);
    for (int i = 0; i < 64; ++i) p.get(level - 1).append();
  }
  const Outcome o = read(zip_of(p.finish()));
  CHECK(o.status == CDC_STATUS_INVALID_MODEL);
  CHECK(contains(o.message, "too many objects"));
}

TEST_CASE("checkpoint reader: a tensor may not expand its storage") {
  // Before: 16384x16384 with zero strides over a 1-element storage became a
  // 1 GiB contiguous tensor (four of them in 1 KB: 4 GiB).
  for (int copies : {1, 4}) {
    PickleWriter p;
    p.empty_list();
    for (int i = 0; i < copies; ++i) {
      p.tensor([&](PickleWriter& w) { w.storage(std::to_string(i), 1); }, 0, {16384, 16384},
               {0, 0});
      p.append();
    }
    std::vector<cdc_test::ZipRecord> storages;
    for (int i = 0; i < copies; ++i) storages.push_back({"data/" + std::to_string(i), floats(1)});
    const std::vector<uint8_t> zip = zip_of(p.finish(), storages);
    CHECK(zip.size() < 2048);
    const Outcome o = read(zip);
    CHECK(o.status == CDC_STATUS_INVALID_MODEL);
    CHECK(contains(o.message, "storage"));
  }
  // Overlapping views within the element count stay allowed (e.g. an
  // expanded bias): 4x4 with strides (0, 1) over 16 elements.
  PickleWriter ok;
  ok.tensor([](PickleWriter& w) { w.storage("0", 16); }, 0, {4, 4}, {0, 1});
  CHECK(read(zip_of(ok.finish(), {{"data/0", floats(16)}})).status == CDC_STATUS_OK);
}

TEST_CASE("checkpoint reader: one storage or string referenced 1,200 times is refused") {
  // Before: every reference made a new copy (1,200 x 64 KiB = 75 MiB from a
  // 100 KB file; the attack used bigger storages for gigabytes).
  const int32_t numel = 16384;  // 64 KiB
  {
    PickleWriter p;
    p.storage("0", numel).put(0).pop().empty_list();
    for (int i = 0; i < 1200; ++i) {
      p.tensor([](PickleWriter& w) { w.get(0); }, 0, {numel}, {1});
      p.append();
    }
    const Outcome o = read(zip_of(p.finish(), {{"data/0", floats(numel)}}));
    CHECK(o.status == CDC_STATUS_INVALID_MODEL);
    CHECK(contains(o.message, "twice the"));
  }
  {
    PickleWriter p;
    p.empty_list().str(std::string(65536, 's')).put(0).append();
    for (int i = 0; i < 1200; ++i) p.get(0).append();
    const Outcome o = read(zip_of(p.finish()));
    CHECK(o.status == CDC_STATUS_INVALID_MODEL);
    CHECK(contains(o.message, "string"));
  }
}

TEST_CASE("checkpoint reader: zip records are checked before anything is allocated") {
  const std::string pickle = PickleWriter().empty_dict().finish();
  // A record declaring 1 GiB (compressed, or stored but larger than the file):
  // before, libtorch's reader allocated the declared size first.
  cdc_test::ZipRecord compressed{"data.pkl", pickle, 8, int64_t{1} << 30};
  Outcome o = read(cdc_test::make_torch_zip({compressed}));
  CHECK(o.status == CDC_STATUS_INVALID_MODEL);
  CHECK(contains(o.message, "compressed"));
  cdc_test::ZipRecord huge{"data.pkl", pickle, 0, int64_t{1} << 30};
  o = read(cdc_test::make_torch_zip({huge}));
  CHECK(o.status == CDC_STATUS_INVALID_MODEL);
  CHECK(contains(o.message, "outside the file"));
  // CRC-32s are checked (before: a damaged record was read as is).
  cdc_test::ZipRecord bad_crc{"data.pkl", pickle};
  bad_crc.bad_crc = true;
  o = read(cdc_test::make_torch_zip({bad_crc}));
  CHECK(o.status == CDC_STATUS_INVALID_MODEL);
  CHECK(contains(o.message, "CRC"));
  std::vector<uint8_t> ok_zip = cdc_test::make_small_checkpoint(16);
  CHECK(read(ok_zip).status == CDC_STATUS_OK);
  ok_zip[ok_zip.size() / 3] ^= 0x10;  // inside a record
  CHECK(read(ok_zip).status == CDC_STATUS_INVALID_MODEL);
  // Truncations and garbage of every length.
  const std::vector<uint8_t> good = cdc_test::make_small_checkpoint(16);
  for (size_t n = 0; n < good.size(); n += 7)
    CHECK(read(std::vector<uint8_t>(good.begin(), good.begin() + n)).status ==
          CDC_STATUS_INVALID_MODEL);
}

TEST_CASE("checkpoint import: a tensor under many names cannot make a big model") {
  // 1,200 state-dict entries that are the same 64 KiB tensor (memo
  // references): 75 MiB of weights named by a 100 KB file.
  const int32_t numel = 16384;
  PickleWriter p;
  p.empty_dict().str("model").empty_dict();
  p.str("context_fn.enc.0.1.conv.weight");
  p.tensor([&](PickleWriter& w) { w.storage("0", numel); }, 0, {numel}, {1});
  p.put(0).setitem();
  for (int i = 0; i < 1200; ++i) p.str("t" + std::to_string(i)).get(0).setitem();
  p.setitem();
  const std::string path = cdc_test::temp_path("aliased.pt");
  cdc::write_file_atomically(path, zip_of(p.finish(), {{"data/0", floats(numel)}}));
  try {
    cdc::import_checkpoint(path);
    FAIL("accepted");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_INVALID_MODEL);
    CHECK(contains(e.what(), "can hold"));
  }
}

TEST_CASE("checkpoint reader: a global built of globals cannot grow its name") {
  // STACK_GLOBAL on two copies of a global, 40 times over: the name doubled
  // every time (a 334-byte file found by fuzz_checkpoint held 1.2 GB).
  PickleWriter p;
  p.global("a", "b");
  for (int i = 0; i < 40; ++i) p.op('2').op(0x93);  // DUP, STACK_GLOBAL
  Outcome o = read(zip_of(p.finish()));
  CHECK(o.status == CDC_STATUS_INVALID_MODEL);
  CHECK(contains(o.message, "not a string"));
  // Strings are the operands, but a name longer than 512 bytes is refused.
  PickleWriter q;
  q.str(std::string(600, 'm')).str("name").op(0x93);
  o = read(zip_of(q.finish()));
  CHECK(o.status == CDC_STATUS_INVALID_MODEL);
  CHECK(contains(o.message, "global name longer"));
}
