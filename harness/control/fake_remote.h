// FakeRemote: a scripted Remote for unit tests of code built on Remote
// (node utilities, partitions, targets, nemeses).
//
// Run renders the command exactly as SshRemote would (RenderCommand), records
// it, and answers from the rules: the most recently added rule that matches
// the rendered string wins (so a fixture's catch-all can be overridden by a
// test). A rule answers with a CommandResult, an error Status, or a function;
// it may be limited to its next N matches. Unmatched commands succeed with
// exit 0 and no output unless SetDefault says otherwise. Injected failures
// (FailNext) come before any rule and apply to Run, Upload and Download.
// Upload and Download move files between the local disk and an in-memory map.
//
// Thread-safety: every method may be called concurrently. Responders run
// without the internal lock held, so they may call back into the fake;
// matchers run under it and must not. OnRegex throws std::regex_error on a bad
// pattern (a bug in the test).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "harness/control/remote.h"

namespace faultline {

class FakeRemote final : public Remote {
 public:
  using Responder =
      std::function<Result<CommandResult>(const Command& command, const std::string& rendered)>;

  // `user_is_root` decides whether rendered commands carry `sudo -n --`.
  explicit FakeRemote(std::string node = "fake", bool user_is_root = true);

  // Rules. `times` < 0: unlimited; otherwise the rule retires after that many
  // matches.
  void OnExact(std::string rendered, Result<CommandResult> answer, int times = -1);
  void OnSubstring(std::string part, Result<CommandResult> answer, int times = -1);
  // ECMAScript regex searched anywhere in the rendered command.
  void OnRegex(const std::string& pattern, Result<CommandResult> answer, int times = -1);
  void OnMatch(std::function<bool(const std::string& rendered)> matches, Responder respond,
               int times = -1);
  void SetDefault(Result<CommandResult> answer);

  // The next `count` calls of Run/Upload/Download fail with `status`.
  void FailNext(int count, Status status);

  struct Recorded {
    Command command;
    std::string rendered;
  };
  std::vector<Recorded> commands() const;
  std::vector<std::string> rendered() const;  // just the rendered strings, in order
  // Rendered commands containing `part`.
  int CountContaining(const std::string& part) const;
  void ClearRecorded();

  // In-memory files of the node.
  void SetFile(const std::string& path, std::string content, int mode = 0644);
  std::optional<std::string> File(const std::string& path) const;
  std::optional<int> FileMode(const std::string& path) const;

  const std::string& node() const override { return node_; }
  Result<CommandResult> Run(const Command& command) override;
  Status Upload(const std::string& local_path, const std::string& remote_path,
                int mode = 0644) override;
  Status Download(const std::string& remote_path, const std::string& local_path) override;

 private:
  struct Rule {
    std::function<bool(const std::string&)> matches;
    Responder respond;
    int remaining;  // < 0: unlimited
  };
  struct StoredFile {
    std::string content;
    int mode;
  };

  void AddRule(std::function<bool(const std::string&)> matches, Responder respond, int times);
  // Pops one injected failure, if any.
  std::optional<Status> TakeFailure();

  const std::string node_;
  const bool user_is_root_;
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  Result<CommandResult> default_answer_;
  int fail_count_ = 0;
  Status fail_status_;
  std::vector<Recorded> recorded_;
  std::map<std::string, StoredFile> files_;
};

}  // namespace faultline
