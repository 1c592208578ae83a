// cdc_bench_model: times the model's stages on random weights (not a test).
//
// For each config (the paper x-param layout, dim 64, and the small layout,
// dim 16) at the given size (default 768x512) it reports the compressor time
// (encoder side: analysis + hyper analysis + hyper synthesis; decoder side:
// context features), the time per U-Net call, the achieved GMAC/s of the
// U-Net and the peak resident memory.
//
//   cdc_bench_model [--threads N] [--width W] [--height H] [--calls N]
//                   [--config paper|small|all]
// The context features and the U-Net run on the oneDNN path (lib/onednn);
// CDC_ONEDNN=0 in the environment runs them on libtorch instead, and then
// CDC_CHANNELS_LAST=0 runs libtorch's convolutions in NCHW. With
// CDC_ONEDNN_PROFILE set, every oneDNN-path operation prints its time.
#include <sys/resource.h>

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/threads.h"
#include "hyperprior/gaussian_conditional.h"
#include "model/model.h"
#include "model/model_export.h"
#include "onednn/runtime.h"

namespace {

double now_s() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// CPU time of the process (user + system), to judge timings on a busy machine.
double cpu_s() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double peak_rss_mib() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void bench(const std::string& preset, int width, int height, int calls) {
  const cdc::ModelConfig config = cdc::ModelConfig::preset(preset);
  double t0 = now_s();
  const std::vector<uint8_t> bytes = cdc::make_random_model_file(config, preset, 1);
  std::shared_ptr<const cdc::Model> model = cdc::Model::load_memory(bytes.data(), bytes.size());
  const double t_load = now_s() - t0;

  torch::InferenceMode guard;
  torch::manual_seed(0);
  const torch::Tensor x = torch::rand({1, 3, height, width}) * 2 - 1;

  // Encoder side (once to warm up, then timed).
  auto encode = [&] {
    torch::Tensor y = model->analysis(x);
    torch::Tensor z = model->hyper_analysis(y);
    torch::Tensor z_hat = cdc::quantize_with_offset(z, model->prior_medians().reshape({1, -1, 1, 1}));
    cdc::HyperParameters hp = model->hyper_synthesis(z_hat, true);
    return cdc::quantize_with_offset(y, hp.mean);
  };
  torch::Tensor y_hat = encode();
  t0 = now_s();
  y_hat = encode();
  const double t_encode = now_s() - t0;
  std::vector<torch::Tensor> ctx = model->context(y_hat);
  t0 = now_s();
  ctx = model->context(y_hat);
  const double t_context = now_s() - t0;

  const torch::Tensor t = torch::full({1, 1}, 0.5f);
  cdc::onednn::BufferPool pool;  // as a decode does: buffers reused by every step
  torch::Tensor out = model->denoise(x, t, ctx, &pool);  // warm-up
  t0 = now_s();
  const double c0 = cpu_s();
  for (int i = 0; i < calls; ++i) out = model->denoise(x, t, ctx, &pool);
  const double t_unet = (now_s() - t0) / calls;
  const double cpu_unet = (cpu_s() - c0) / calls;
  const double gmac = static_cast<double>(model->unet_macs(height, width)) / 1e9;
  // In a decode, the steps share what depends on the context alone (the
  // first block's context terms): a 1-step decode against a (1 + calls)-step
  // one gives the cost of a further step.
  cdc::CodecSettings one;
  one.steps = 1;
  one.gamma = 0;
  cdc::CodecSettings more = one;
  more.steps = 1 + calls;
  t0 = now_s();
  model->sample(ctx, one, {});
  const double t_decode1 = now_s() - t0;
  t0 = now_s();
  model->sample(ctx, more, {});
  const double t_step = (now_s() - t0 - t_decode1) / calls;

  std::printf("%-7s %dx%d  params %.1fM  threads %d  %s\n", preset.c_str(), width, height,
              static_cast<double>(model->parameter_count()) / 1e6, at::get_num_threads(),
              !cdc::onednn::enabled() ? (std::getenv("CDC_CHANNELS_LAST") &&
                                                 std::string(std::getenv("CDC_CHANNELS_LAST")) == "0"
                                             ? "libtorch NCHW"
                                             : "libtorch channels-last")
                                      : "oneDNN path");
  std::printf("  model build + load     %8.3f s\n", t_load);
  std::printf("  encoder (y, z, mean)   %8.3f s\n", t_encode);
  std::printf("  context features       %8.3f s\n", t_context);
  std::printf("  U-Net call             %8.3f s  (%.1f GMAC, %.1f GMAC/s = %.1f GFLOP/s)\n", t_unet,
              gmac, gmac / t_unet, 2 * gmac / t_unet);
  std::printf("  U-Net CPU time / call   %8.3f s  (wall x threads would be %.3f s)\n", cpu_unet,
              t_unet * at::get_num_threads());
  std::printf("  sampling, 1 step       %8.3f s  (a further step %.3f s = %.1f GFLOP/s equivalent)\n",
              t_decode1, t_step, 2 * gmac / t_step);
  std::printf("  peak RSS so far        %8.0f MiB\n", peak_rss_mib());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, width = 768, height = 512, calls = 3;
  std::string which = "all";
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(next());
    else if (!std::strcmp(argv[i], "--width")) width = std::atoi(next());
    else if (!std::strcmp(argv[i], "--height")) height = std::atoi(next());
    else if (!std::strcmp(argv[i], "--calls")) calls = std::max(1, std::atoi(next()));
    else if (!std::strcmp(argv[i], "--config")) which = next();
    else {
      std::fprintf(stderr,
                   "usage: %s [--threads N] [--width W] [--height H] [--calls N] "
                   "[--config paper|small|all]\n",
                   argv[0]);
      return 2;
    }
  }
  try {
    // Exactly the count asked for (the library lowers it on a busy machine).
    torch::set_num_threads(threads > 0 ? threads : cdc::hardware_threads());
    if (which == "small" || which == "all") bench("small", width, height, calls);
    if (which == "paper" || which == "all") bench("paper-xparam", width, height, calls);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
