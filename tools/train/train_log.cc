#include "train/train_log.h"

#include <fmt/format.h>

#include <filesystem>

#include "common/error.h"

namespace cdc::train {

namespace {
void open_csv(std::ofstream& f, const std::string& path, const char* header) {
  std::error_code ec;
  const bool fresh = !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  f.open(path, std::ios::app);
  if (!f) fail(CDC_STATUS_IO_ERROR, "cannot open '{}' for writing", path);
  if (fresh) f << header << '\n' << std::flush;
}
}  // namespace

TrainLog::TrainLog(const std::string& run_dir) {
  open_csv(train_, run_dir + "/train.csv",
           "step,seconds,steps_per_s,loss,bpp,mse,head_mse,median_loss,lambda,lr");
  open_csv(val_, run_dir + "/val.csv", "step,seconds,photos,bpp,psnr,encode_s,decode_s");
}

void TrainLog::add(const StepStats& s) {
  sum_.loss += s.loss;
  sum_.bpp += s.bpp;
  sum_.mse += s.mse;
  sum_.head_mse += s.head_mse;
  sum_.median_loss += s.median_loss;
  sum_.lambda = s.lambda;
  sum_.lr = s.lr;
  ++count_;
}

StepStats TrainLog::flush_row(int64_t step, double seconds, double steps_per_s) {
  if (count_ == 0) return {};
  const double n = static_cast<double>(count_);
  StepStats avg = sum_;
  avg.loss /= n;
  avg.bpp /= n;
  avg.mse /= n;
  avg.head_mse /= n;
  avg.median_loss /= n;
  train_ << fmt::format("{},{:.1f},{:.4f},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}\n", step,
                        seconds, steps_per_s, avg.loss, avg.bpp, avg.mse, avg.head_mse,
                        avg.median_loss, avg.lambda, avg.lr)
         << std::flush;
  sum_ = StepStats{};
  count_ = 0;
  return avg;
}

void TrainLog::validation_row(int64_t step, double seconds, const ValidationResult& r) {
  val_ << fmt::format("{},{:.1f},{},{:.5f},{:.4f},{:.2f},{:.2f}\n", step, seconds, r.photos, r.bpp,
                      r.psnr, r.encode_s, r.decode_s)
       << std::flush;
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "?";
  const auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string progress_line(int64_t step, int64_t total, double steps_per_s, const StepStats& a) {
  const double eta = steps_per_s > 0 ? static_cast<double>(total - step) / steps_per_s : -1;
  return fmt::format(
      "step {}/{}  {:.2f} it/s  loss {:.4f}  bpp {:.3f}  mse {:.5f}  head {:.5f}  med {:.3f}  "
      "lambda {:.2e}  lr {:.1e}  ETA {}",
      step, total, steps_per_s, a.loss, a.bpp, a.mse, a.head_mse, a.median_loss, a.lambda, a.lr,
      format_duration(eta));
}

}  // namespace cdc::train
