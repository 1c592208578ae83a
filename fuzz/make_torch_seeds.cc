// Writes the seed corpora of fuzz_model_file (small model files and the
// presets' JSON configs) and fuzz_checkpoint (a whole small torch.save file,
// and pickles over the storages its fuzz target provides).
// Usage: make_torch_seeds <model corpus dir> <checkpoint corpus dir>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "checkpoint_test_util.h"
#include "model/model_config.h"
#include "model/model_file.h"

namespace {

void write_file(const std::string& path, const void* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::fwrite(data, 1, size, f);
  std::fclose(f);
}

// The smallest layout: every width 1 or 2, one compressor stage, T = 3.
cdc::ModelConfig tiny(int width) {
  cdc::ModelConfig c;
  c.dim = width;
  c.dim_mults = {1, 2};
  c.context_dim_mults = {1};
  c.compressor_dim = width;
  c.compressor_dim_mults = {1};
  c.reverse_dim_mults = {1};
  c.hyper_dims_mults = {1};
  c.context_channels = c.out_channels = width;
  c.num_timesteps = 3;
  c.default_steps = 2;
  c.validate();
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <model corpus dir> <checkpoint corpus dir>\n", argv[0]);
    return 2;
  }
  const std::string models = argv[1], checkpoints = argv[2];
  int n = 0;
  for (const auto& name : cdc::ModelConfig::preset_names()) {
    const std::string json = cdc::ModelConfig::preset(name).to_json(n % 2);
    write_file(models + "/config_" + name + ".json", json.data(), json.size());
    ++n;
  }
  for (int width : {1, 2}) {
    const cdc::ModelConfig c = tiny(width);
    // read_model_file checks the tensors' element total, not their names.
    const int64_t total = c.parameter_count();
    std::vector<std::pair<std::string, torch::Tensor>> tensors = {
        {"train_alphas_cumprod", torch::linspace(1, 0, c.num_timesteps)},
        {"a.weight", torch::ones({2, 3, 1, 1})},
        {"b", torch::zeros({total - c.num_timesteps - 6})}};
    const std::vector<uint8_t> bytes =
        cdc::write_model_file(c, "tiny" + std::to_string(width), tensors, {1, 2, 3, 4});
    write_file(models + "/tiny" + std::to_string(width) + ".cdcm", bytes.data(), bytes.size());
  }

  const std::vector<uint8_t> zip = cdc_test::make_small_checkpoint(16);
  write_file(checkpoints + "/small.pt", zip.data(), zip.size());
  using cdc_test::PickleWriter;
  std::vector<std::string> pickles;
  {  // {"model": {"w<k>": tensor over storage k}}, as a state dict.
    PickleWriter p;
    p.empty_dict().str("model").global("collections", "OrderedDict").op(')').op('R').mark();
    for (int k = 0; k < 4; ++k) {
      p.str("w" + std::to_string(k));
      p.tensor([&](PickleWriter& w) { w.storage(std::to_string(k), 1 << (2 * k)); }, 0,
               {1 << k, 1 << k}, {1 << k, 1});
    }
    p.op('u').setitem();
    pickles.push_back(p.finish());
  }
  {  // A parameter, a strided view with an offset, a shared storage.
    PickleWriter p;
    p.empty_list().global("torch._utils", "_rebuild_parameter").mark();
    p.tensor([](PickleWriter& w) { w.storage("2", 16).put(0); }, 2, {3, 2}, {4, 1});
    p.op(0x88).global("collections", "OrderedDict").op(')').op('R').tuple().op('R').append();
    p.tensor([](PickleWriter& w) { w.get(0); }, 0, {4}, {4});
    p.append();
    pickles.push_back(p.finish());
  }
  {  // Scalars, tuples, memo references, nesting.
    PickleWriter p;
    p.empty_dict().put(0).str("x").empty_list().put(1).setitem();
    p.get(1).integer(-5).append().get(1).op('G');
    for (int k = 0; k < 8; ++k) p.op(k == 0 ? 0x3f : 0);
    p.append().get(1).op(0x8a).op(3).op(1).op(2).op(0x83).append();
    p.get(1).str("a").str("b").op(0x86).append().get(1).get(0).append();
    p.pop().op('N').pop();
    pickles.push_back(p.finish());
  }
  for (size_t i = 0; i < pickles.size(); ++i)
    write_file(checkpoints + "/pickle" + std::to_string(i), pickles[i].data(), pickles[i].size());
  std::printf("wrote %d model seeds and %zu checkpoint seeds\n", n + 2, pickles.size() + 1);
  return 0;
}
