// The run's logs: train.csv (one row per --log-every steps, averages over the
// interval) and val.csv (one row per validation), both appended so that a
// resumed run continues them; and the one-line progress report.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "train/trainer.h"
#include "train/validation.h"

namespace cdc::train {

class TrainLog {
 public:
  // Opens (creating with a header row if new) run_dir/train.csv and val.csv.
  explicit TrainLog(const std::string& run_dir);

  // Adds a step's statistics to the current interval.
  void add(const StepStats& s);
  // Writes the interval's averages as a row, starts a new interval and
  // returns the averages (lambda and lr: the last step's).
  StepStats flush_row(int64_t step, double seconds, double steps_per_s);
  void validation_row(int64_t step, double seconds, const ValidationResult& r);

 private:
  std::ofstream train_, val_;
  StepStats sum_;
  int64_t count_ = 0;
};

// "step 1200/10000  1.52 it/s  loss 0.0312  bpp 0.412  mse 0.00931  head 0.00850
//  med 0.12  lambda 0.0064  lr 3.9e-04  ETA 1h36m"
std::string progress_line(int64_t step, int64_t total, double steps_per_s, const StepStats& avg);

// "1h36m", "12m05s", "42s".
std::string format_duration(double seconds);

}  // namespace cdc::train
