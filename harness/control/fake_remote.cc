#include "harness/control/fake_remote.h"

#include <fstream>
#include <iterator>
#include <sstream>

namespace faultline {
namespace {

FakeRemote::Responder Constant(Result<CommandResult> answer) {
  return [answer = std::move(answer)](const Command&, const std::string&) { return answer; };
}

}  // namespace

FakeRemote::FakeRemote(std::string node, bool user_is_root)
    : node_(std::move(node)),
      user_is_root_(user_is_root),
      default_answer_(CommandResult{0, "", ""}) {}

void FakeRemote::AddRule(std::function<bool(const std::string&)> matches, Responder respond,
                         int times) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(Rule{std::move(matches), std::move(respond), times});
}

void FakeRemote::OnExact(std::string rendered, Result<CommandResult> answer, int times) {
  AddRule([rendered = std::move(rendered)](const std::string& r) { return r == rendered; },
          Constant(std::move(answer)), times);
}

void FakeRemote::OnSubstring(std::string part, Result<CommandResult> answer, int times) {
  AddRule(
      [part = std::move(part)](const std::string& r) { return r.find(part) != std::string::npos; },
      Constant(std::move(answer)), times);
}

void FakeRemote::OnRegex(const std::string& pattern, Result<CommandResult> answer, int times) {
  std::regex re(pattern, std::regex::ECMAScript);
  AddRule([re = std::move(re)](const std::string& r) { return std::regex_search(r, re); },
          Constant(std::move(answer)), times);
}

void FakeRemote::OnMatch(std::function<bool(const std::string&)> matches, Responder respond,
                         int times) {
  AddRule(std::move(matches), std::move(respond), times);
}

void FakeRemote::SetDefault(Result<CommandResult> answer) {
  std::lock_guard<std::mutex> lock(mu_);
  default_answer_ = std::move(answer);
}

void FakeRemote::FailNext(int count, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_count_ = count;
  fail_status_ = std::move(status);
}

std::optional<Status> FakeRemote::TakeFailure() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fail_count_ <= 0) return std::nullopt;
  --fail_count_;
  return fail_status_;
}

std::vector<FakeRemote::Recorded> FakeRemote::commands() const {
  std::lock_guard<std::mutex> lock(mu_);
  return recorded_;
}

std::vector<std::string> FakeRemote::rendered() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& r : recorded_) out.push_back(r.rendered);
  return out;
}

int FakeRemote::CountContaining(const std::string& part) const {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (const auto& r : recorded_) n += r.rendered.find(part) != std::string::npos ? 1 : 0;
  return n;
}

void FakeRemote::ClearRecorded() {
  std::lock_guard<std::mutex> lock(mu_);
  recorded_.clear();
}

void FakeRemote::SetFile(const std::string& path, std::string content, int mode) {
  std::lock_guard<std::mutex> lock(mu_);
  files_[path] = StoredFile{std::move(content), mode};
}

std::optional<std::string> FakeRemote::File(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second.content;
}

std::optional<int> FakeRemote::FileMode(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second.mode;
}

Result<CommandResult> FakeRemote::Run(const Command& command) {
  if (Status st = ValidateCommand(command); !st.ok()) return st;
  std::string rendered = RenderCommand(command, user_is_root_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    recorded_.push_back(Recorded{command, rendered});
  }
  if (std::optional<Status> failure = TakeFailure()) return *failure;
  Responder respond;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
      if (it->remaining == 0 || !it->matches(rendered)) continue;
      if (it->remaining > 0) --it->remaining;
      respond = it->respond;
      break;
    }
    if (!respond) return default_answer_;
  }
  return respond(command, rendered);
}

Status FakeRemote::Upload(const std::string& local_path, const std::string& remote_path, int mode) {
  if (std::optional<Status> failure = TakeFailure()) return *failure;
  std::ifstream in(local_path, std::ios::binary);
  if (!in) {
    return Status::IoError("uploading " + local_path + " to " + node_ +
                           ": cannot read the local file");
  }
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SetFile(remote_path, std::move(content), mode);
  return Status::Ok();
}

Status FakeRemote::Download(const std::string& remote_path, const std::string& local_path) {
  if (std::optional<Status> failure = TakeFailure()) return *failure;
  std::optional<std::string> content = File(remote_path);
  if (!content) {
    return Status::IoError("downloading " + remote_path + " from " + node_ + ": no such file");
  }
  std::ofstream out(local_path, std::ios::binary | std::ios::trunc);
  out << *content;
  out.close();
  if (!out) return Status::IoError("downloading " + remote_path + ": cannot write " + local_path);
  return Status::Ok();
}

}  // namespace faultline
