// File I/O of the library (common/file_io.h): atomic writes that never write
// through a symlink or a predictable temporary name, keep an existing file's
// permissions and refuse folders; capped whole-file reads.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/file_io.h"
#include "common/threads.h"
#include "model_test_util.h"

namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

cdc_status status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const cdc::Error& e) {
    return e.status();
  }
  return CDC_STATUS_OK;
}

const std::vector<uint8_t> kBytes{'n', 'e', 'w'};

}  // namespace

TEST_CASE("write_file_atomically: a symlink at the old predictable temporary name is not followed") {
  const std::string dir = cdc_test::temp_path("atomic_symlink");
  fs::create_directories(dir);
  const std::string victim = dir + "/victim.txt";
  std::ofstream(victim) << "precious";
  const std::string out = dir + "/model.cdcm";
  // The name the earlier implementation used for its temporary file.
  fs::create_symlink(victim, out + ".tmp." + std::to_string(::getpid()));
  cdc::write_file_atomically(out, kBytes);
  CHECK(slurp(victim) == "precious");
  CHECK(slurp(out) == "new");
  fs::remove_all(dir);
}

TEST_CASE("write_file_atomically: a symlink at the output is replaced, its target untouched") {
  const std::string dir = cdc_test::temp_path("atomic_link_out");
  fs::create_directories(dir);
  const std::string victim = dir + "/victim.txt";
  std::ofstream(victim) << "precious";
  const std::string out = dir + "/out.bin";
  fs::create_symlink(victim, out);
  cdc::write_file_atomically(out, kBytes);
  CHECK(slurp(victim) == "precious");
  CHECK(!fs::is_symlink(out));
  CHECK(slurp(out) == "new");
  // No temporary file is left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir)) entries += e.path().filename().string()[0] == '.';
  CHECK(entries == 0);
  fs::remove_all(dir);
}

TEST_CASE("write_file_atomically: keeps an existing file's permissions, refuses a folder") {
  const std::string dir = cdc_test::temp_path("atomic_mode");
  fs::create_directories(dir);
  const std::string out = dir + "/out.bin";
  std::ofstream(out) << "old";
  REQUIRE(::chmod(out.c_str(), 0400) == 0);
  cdc::write_file_atomically(out, kBytes);
  struct stat st;
  REQUIRE(::stat(out.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0400);
  CHECK(slurp(out) == "new");

  fs::create_directories(dir + "/folder");
  CHECK(status_of([&] { cdc::write_file_atomically(dir + "/folder", kBytes); }) ==
        CDC_STATUS_IO_ERROR);
  CHECK(fs::is_directory(dir + "/folder"));
  fs::remove_all(dir);
}

TEST_CASE("read_whole_file: size cap, devices and folders refused") {
  const std::string dir = cdc_test::temp_path("read_cap");
  fs::create_directories(dir);
  const std::string f = dir + "/f.bin";
  std::ofstream(f) << std::string(1000, 'x');
  CHECK(cdc::read_whole_file(f, 1000).size() == 1000);
  CHECK(status_of([&] { cdc::read_whole_file(f, 999); }) == CDC_STATUS_LIMIT_EXCEEDED);
  CHECK(status_of([&] { cdc::read_whole_file("/dev/zero"); }) == CDC_STATUS_IO_ERROR);
  CHECK(status_of([&] { cdc::read_whole_file(dir); }) == CDC_STATUS_IO_ERROR);
  CHECK(status_of([&] { cdc::read_whole_file(dir + "/missing"); }) == CDC_STATUS_IO_ERROR);
  fs::remove_all(dir);
}

TEST_CASE("set_compute_threads caps the count at the number of cores") {
  cdc::set_compute_threads(1024);
  CHECK(torch::get_num_threads() <= cdc::hardware_threads());
  // All cores, less those that other runnable processes hold right now
  // (effective_threads; a loaded machine may give fewer than the cores).
  const int busy_before = cdc::other_runnable_tasks();
  cdc::set_compute_threads(0);
  const int got = torch::get_num_threads();
  const int busy_after = cdc::other_runnable_tasks();
  CHECK(got >= 1);
  CHECK(got <= cdc::hardware_threads());
  if (busy_before == 0 && busy_after == 0) CHECK(got == cdc::hardware_threads());
}
