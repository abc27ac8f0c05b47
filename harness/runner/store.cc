#include "harness/runner/store.h"

#include "harness/base/input_file.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace faultline {

namespace fs = std::filesystem;

namespace {

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

bool ValidNodeName(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<std::string> RunDir::node_dir(const std::string& node) const {
  if (!ValidNodeName(node)) {
    return Status::InvalidArgument("node name \"" + node +
                                   "\": expected [A-Za-z0-9._-]+, not \".\" or \"..\"");
  }
  return path_ + "/nodes/" + node;
}

Status RunDir::WriteConfig(const Json& test) const { return WriteJsonFile(test_json(), test); }

Result<Json> RunDir::ReadConfig() const { return ReadJsonFile(test_json()); }

Status RunDir::MarkPhase(const std::string& phase) const {
  return WriteJsonFile(state_json(), Json{{"complete", false}, {"phase", phase}});
}

Status RunDir::WriteResults(const RunResults& results, bool complete) const {
  Status s = WriteJsonFile(results_json(), results.ToJson());
  if (!s.ok() || !complete) return s;
  return WriteJsonFile(state_json(), Json{{"complete", true}});
}

Result<RunResults> RunDir::ReadResults() const {
  Result<Json> j = ReadJsonFile(results_json());
  if (!j.ok()) return j.status();
  return RunResults::FromJson(*j, results_json());
}

RunDir::State RunDir::ReadState() const {
  State state;
  std::error_code ec;
  const bool has_results = fs::exists(results_json(), ec);
  Result<Json> j = ReadJsonFile(state_json());
  if (!j.ok() || !j->is_object()) {
    state.complete = has_results && !fs::exists(state_json(), ec);
    return state;
  }
  state.complete = j->value("complete", false) && has_results;
  if (!state.complete) {
    const Json phase = j->value("phase", Json());
    if (phase.is_string()) state.phase = phase.get<std::string>();
  }
  return state;
}

Status RunStore::CheckWritable() const {
  if (root_.empty()) return Status::InvalidArgument("--store: expected a directory, got \"\"");
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) {
    return Status::InvalidArgument("--store " + root_ + ": cannot create it: " + ec.message());
  }
  if (!fs::is_directory(root_, ec)) {
    return Status::InvalidArgument("--store " + root_ + ": not a directory");
  }
  const fs::path probe = fs::path(root_) / (".write-probe-" + std::to_string(::getpid()));
  {
    std::ofstream out(probe);
    if (!out) {
      return Status::InvalidArgument("--store " + root_ + ": cannot write there (" +
                                     std::strerror(errno) + ")");
    }
  }
  fs::remove(probe, ec);
  return Status::Ok();
}

Result<RunDir> RunStore::Create(const std::string& test_name) const {
  Result<std::string> dir = CreateRunDir(root_, test_name);
  if (!dir.ok()) return dir.status();
  RunDir run(*dir);
  if (Status s = run.MarkPhase("start"); !s.ok()) return s;
  if (Status s = UpdateLatestLink(root_, *dir); !s.ok()) return s;
  return run;
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
  // A directory or a device (a symlink to /dev/zero) is refused, not read
  // until memory runs out.
  Result<std::string> text = ReadInputFile(path, "a JSON file");
  if (!text.ok()) {
    if (text.status().code() == Status::Code::kNotFound) {
      return Status::NotFound(path + ": no such file");
    }
    return text.status();
  }
  Json j = Json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument(path + ": not valid JSON");
  return j;
}

}  // namespace faultline
