// Model configuration, model file and checkpoint import: round trips and the
// errors of truncated, foreign, corrupted and inconsistent inputs.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>

#include "common/hex.h"
#include "common/error.h"
#include "model_test_util.h"
#include "common/file_io.h"

namespace {

using cdc_test::load_status;

template <typename F>
cdc_status status_of(F&& f) {
  try {
    f();
    return CDC_STATUS_OK;
  } catch (const cdc::Error& e) {
    return e.status();
  }
}

}  // namespace

TEST_CASE("model config: presets, JSON round trip, validation") {
  for (const auto& name : cdc::ModelConfig::preset_names()) {
    const cdc::ModelConfig c = cdc::ModelConfig::preset(name);
    CHECK_NOTHROW(c.validate());
    const cdc::ModelConfig back = cdc::ModelConfig::from_json(c.to_json());
    CHECK(back == c);
    CHECK(cdc::ModelConfig::from_json(c.to_json(2)) == c);
  }
  const cdc::ModelConfig paper = cdc::ModelConfig::preset("paper-xparam");
  CHECK(paper.size_multiple() == 64);
  CHECK(paper.latent_channels() == 256);
  CHECK(paper.context_feature_channels() == std::vector<int>{64, 64, 128, 192});
  CHECK(status_of([] { cdc::ModelConfig::preset("nope"); }) == CDC_STATUS_NOT_FOUND);

  std::string json = paper.to_json();
  CHECK(status_of([&] { cdc::ModelConfig::from_json(json.substr(0, json.size() - 3)); }) ==
        CDC_STATUS_INVALID_MODEL);
  CHECK(status_of([&] { cdc::ModelConfig::from_json("[1,2]"); }) == CDC_STATUS_INVALID_MODEL);
  std::string unknown = json;
  unknown.insert(1, "\"bogus\":1,");
  CHECK(status_of([&] { cdc::ModelConfig::from_json(unknown); }) == CDC_STATUS_INVALID_MODEL);
  cdc::ModelConfig bad = paper;
  bad.context_channels = 32;
  CHECK(status_of([&] { bad.validate(); }) == CDC_STATUS_INVALID_MODEL);
  bad = paper;
  bad.default_steps = 0;
  CHECK(status_of([&] { bad.validate(); }) == CDC_STATUS_INVALID_MODEL);
  bad = paper;
  bad.dim_mults = {1};
  CHECK(status_of([&] { bad.validate(); }) == CDC_STATUS_INVALID_MODEL);
}

TEST_CASE("checkpoint import: inferred config and ignored entries") {
  const cdc::ImportedCheckpoint ck = cdc::import_checkpoint(cdc_test::golden_path("checkpoint.pt"));
  CHECK(ck.config == cdc::ModelConfig::preset("golden-x8"));
  for (const auto& [name, t] : ck.tensors) {
    (void)t;
    CHECK(name.rfind("online_model.", 0) == std::string::npos);
    CHECK(name.rfind("ema_model.", 0) == std::string::npos);
  }
  // Not a checkpoint, missing file.
  CHECK(status_of([] { cdc::import_checkpoint(cdc_test::golden_path("config.json")); }) ==
        CDC_STATUS_INVALID_MODEL);
  CHECK(status_of([] { cdc::import_checkpoint(cdc_test::golden_path("missing.pt")); }) ==
        CDC_STATUS_IO_ERROR);
  // expected.pt is a readable torch.save file without "ema".
  CHECK(status_of([] { cdc::import_checkpoint(cdc_test::golden_path("expected.pt")); }) ==
        CDC_STATUS_INVALID_MODEL);
  // Inconsistent state: a tensor with a wrong shape, a missing tensor.
  cdc::NamedTensors broken = ck.tensors;
  for (auto& [name, t] : broken)
    if (name == "denoise_fn.mid_block1.block2.block.0.weight") t = torch::zeros({48, 47, 3, 3});
  CHECK(status_of([&] {
          cdc::make_model_file(ck.config, "x", broken, "test");
        }) == CDC_STATUS_INVALID_MODEL);
  cdc::NamedTensors missing(ck.tensors.begin() + 1, ck.tensors.end());
  CHECK(status_of([&] { cdc::make_model_file(ck.config, "x", missing, "test"); }) ==
        CDC_STATUS_INVALID_MODEL);
  cdc::NamedTensors wrong_levels;
  for (const auto& [name, t] : ck.tensors)
    if (name.rfind("context_fn.dec.3.", 0) != 0) wrong_levels.emplace_back(name, t);
  CHECK(status_of([&] { cdc::infer_config(wrong_levels); }) == CDC_STATUS_INVALID_MODEL);
}

TEST_CASE("model file: round trip and identity") {
  const auto& bytes = cdc_test::golden_model_bytes();
  const cdc::ModelFileContents c = cdc::read_model_file(bytes.data(), bytes.size());
  CHECK(c.name == "golden-x8");
  CHECK(c.config == cdc::ModelConfig::preset("golden-x8"));
  // Re-serializing gives the same bytes and id; renaming keeps the id.
  std::array<uint8_t, 16> id{};
  const auto again = cdc::write_model_file(c.config, c.name, c.tensors, c.entropy_tables, &id);
  CHECK(again == bytes);
  CHECK(id == c.id);
  std::array<uint8_t, 16> id2{};
  cdc::write_model_file(c.config, "renamed", c.tensors, c.entropy_tables, &id2);
  CHECK(id2 == c.id);
  auto model = cdc_test::golden_model();
  CHECK(model->id() == c.id);
  CHECK(model->id_hex() == cdc::to_hex(c.id));
  // Other weights give another id.
  auto tensors = c.tensors;
  tensors.back().second = tensors.back().second + 1.0f;
  std::array<uint8_t, 16> id3{};
  cdc::write_model_file(c.config, c.name, tensors, c.entropy_tables, &id3);
  CHECK(id3 != c.id);
}

TEST_CASE("convert: a model file gets new decoding defaults, same weights") {
  const auto& bytes = cdc_test::golden_model_bytes();
  const std::string in = cdc_test::temp_path("convert_in.cdcm");
  const std::string out = cdc_test::temp_path("convert_out.cdcm");
  cdc::write_file_atomically(in, bytes);
  cdc::ConvertOptions options;
  options.default_steps = 3;
  options.default_gamma = 0.25;
  cdc::convert_checkpoint(in, out, options);
  const std::vector<uint8_t> converted = cdc::read_whole_file(out);
  const cdc::ModelFileContents a = cdc::read_model_file(bytes.data(), bytes.size());
  const cdc::ModelFileContents b = cdc::read_model_file(converted.data(), converted.size());
  CHECK(b.name == a.name);  // kept when no name is given
  CHECK(b.config.default_steps == 3);
  CHECK(b.config.default_gamma == 0.25);
  cdc::ModelConfig same = b.config;
  same.default_steps = a.config.default_steps;
  same.default_gamma = a.config.default_gamma;
  CHECK(same == a.config);
  REQUIRE(b.tensors.size() == a.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    CHECK(b.tensors[i].first == a.tensors[i].first);
    CHECK(torch::equal(b.tensors[i].second, a.tensors[i].second));
  }
  CHECK(b.entropy_tables == a.entropy_tables);
  CHECK(b.id != a.id);  // the defaults are part of the identity
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST_CASE("model file: truncated, foreign, corrupted, newer, inconsistent") {
  const auto& bytes = cdc_test::golden_model_bytes();
  CHECK(load_status(bytes) == CDC_STATUS_OK);
  for (size_t cut : {size_t{0}, size_t{1}, size_t{8}, size_t{63}, size_t{64}, size_t{100},
                     bytes.size() / 2, bytes.size() - 1}) {
    INFO("cut at " << cut);
    std::vector<uint8_t> t(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(cut));
    CHECK(load_status(t) == CDC_STATUS_INVALID_MODEL);
  }
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  CHECK(load_status(longer) == CDC_STATUS_INVALID_MODEL);
  // Foreign files: the checkpoint itself, text.
  CHECK(load_status(cdc::read_whole_file(cdc_test::golden_path("checkpoint.pt"))) ==
        CDC_STATUS_INVALID_MODEL);
  const std::string text = "{\"not\": \"a model\"}";
  CHECK(load_status(std::vector<uint8_t>(text.begin(), text.end())) == CDC_STATUS_INVALID_MODEL);
  CHECK(status_of([] { cdc::Model::load_memory(nullptr, 0); }) == CDC_STATUS_INVALID_MODEL);
  // A flipped byte anywhere after the header.
  for (size_t pos : {size_t{70}, size_t{200}, bytes.size() / 3, bytes.size() - 10}) {
    INFO("flip at " << pos);
    std::vector<uint8_t> t = bytes;
    t[pos] ^= 0x40;
    CHECK(load_status(t) == CDC_STATUS_INVALID_MODEL);
  }
  // A flipped byte in the stored id.
  std::vector<uint8_t> bad_id = bytes;
  bad_id[30] ^= 1;
  CHECK(load_status(bad_id) == CDC_STATUS_INVALID_MODEL);
  // A newer format version.
  std::vector<uint8_t> newer = bytes;
  newer[8] = 3;
  CHECK(load_status(newer) == CDC_STATUS_UNSUPPORTED);
  // Bad section count.
  std::vector<uint8_t> sections = bytes;
  sections[12] = 0xff;
  sections[13] = 0xff;
  CHECK(load_status(sections) == CDC_STATUS_INVALID_MODEL);
  // A well-formed file whose tensors do not fit its config.
  const cdc::ModelFileContents c = cdc::read_model_file(bytes.data(), bytes.size());
  cdc::ModelConfig other = cdc::ModelConfig::preset("small");
  const auto mismatched = cdc::write_model_file(other, "x", c.tensors, c.entropy_tables);
  try {
    cdc::Model::load_memory(mismatched.data(), mismatched.size());
    FAIL("expected an error");
  } catch (const cdc::Error& e) {
    // Found before any network is built: the element totals differ.
    CHECK(e.status() == CDC_STATUS_INVALID_MODEL);
    CHECK(std::string(e.what()).find("elements") != std::string::npos);
  }
  // The right element total, one tensor misshapen (flattened).
  auto flat = c.tensors;
  for (auto& nt : flat)
    if (nt.second.dim() > 1) {
      nt.second = nt.second.reshape({-1});
      break;
    }
  const auto misshapen = cdc::write_model_file(c.config, "x", flat, c.entropy_tables);
  try {
    cdc::Model::load_memory(misshapen.data(), misshapen.size());
    FAIL("expected an error");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_INVALID_MODEL);
    CHECK(std::string(e.what()).find("shape") != std::string::npos);
  }
  // load_file: missing file, directory.
  CHECK(status_of([] { cdc::Model::load_file("/nonexistent/model.cdcm"); }) == CDC_STATUS_IO_ERROR);
  CHECK(status_of([] { cdc::Model::load_file(CDC_TEST_DATA_DIR); }) == CDC_STATUS_IO_ERROR);
  // Atomic write leaves no temporary behind.
  const std::string path = cdc_test::temp_path("atomic.cdcm");
  cdc::write_file_atomically(path, bytes);
  CHECK(cdc::read_whole_file(path) == bytes);
  CHECK(status_of([&] { cdc::write_file_atomically("/nonexistent/dir/x.cdcm", bytes); }) ==
        CDC_STATUS_IO_ERROR);
  std::remove(path.c_str());
}
