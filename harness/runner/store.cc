#include "harness/runner/store.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace faultline {

namespace fs = std::filesystem;

Result<std::string> CreateRunDir(const std::string& store, const std::string& test_name) {
  if (test_name.empty() || test_name.find('/') != std::string::npos || test_name == "." ||
      test_name == ".." || test_name == "latest") {
    return Status::InvalidArgument("test name \"" + test_name +
                                   "\": expected a non-empty name without '/'");
  }
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  const fs::path base = fs::path(store) / test_name;
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) return Status::IoError(base.string() + ": cannot create: " + ec.message());
  for (int suffix = 0; suffix < 1000; ++suffix) {
    fs::path dir = base / (suffix == 0 ? std::string(stamp)
                                       : std::string(stamp) + "-" + std::to_string(suffix));
    if (fs::create_directory(dir, ec)) return dir.string();
    if (ec) return Status::IoError(dir.string() + ": cannot create: " + ec.message());
  }
  return Status::IoError(base.string() + ": too many runs in the same second");
}

Status UpdateLatestLink(const std::string& store, const std::string& run_dir) {
  std::error_code ec;
  const fs::path link = fs::path(store) / "latest";
  const fs::path target = fs::relative(run_dir, store, ec);
  if (ec) return Status::IoError(run_dir + ": " + ec.message());
  const fs::path tmp = fs::path(store) / ".latest.tmp";
  fs::remove(tmp, ec);
  fs::create_directory_symlink(target, tmp, ec);
  if (ec) return Status::IoError(tmp.string() + ": " + ec.message());
  fs::rename(tmp, link, ec);
  if (ec) return Status::IoError(link.string() + ": " + ec.message());
  return Status::Ok();
}

Status WriteJsonFile(const std::string& path, const Json& value) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Status::IoError(tmp + ": cannot open for writing");
    out << value.dump(2) << "\n";
    if (!out) return Status::IoError(tmp + ": write failed");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::IoError(path + ": " + ec.message());
  return Status::Ok();
}

Result<Json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Status::NotFound(path + ": no such file");
    return Status::IoError(path + ": cannot open");
  }
  std::stringstream text;
  text << in.rdbuf();
  Json j = Json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument(path + ": not valid JSON");
  return j;
}

}  // namespace faultline
