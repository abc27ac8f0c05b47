#include "harness/control/local_remote.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <system_error>

namespace faultline {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;

// Marks every descriptor above stderr close-on-exec. Boost 1.81's launcher
// means to close them but skips all but the last (close_handles.ipp compares
// whitelist[idx] with itself), so a daemon started by a command would inherit
// our pipes and hold Run open until its timeout.
void CloseInheritedDescriptors() {
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = 3; fd < max; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// Runs in the child between fork and exec: its own process group (so a
// timeout can kill everything it started), no inherited descriptors beyond
// stdio, and default signal handling.
struct ChildSetup {
  template <typename Launcher>
  bp::error_code on_exec_setup(Launcher&, const bp::filesystem::path&, const char* const*&) {
    CloseInheritedDescriptors();
    if (setpgid(0, 0) != 0) return bp::error_code(errno, bp::system_category());
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    return {};
  }
};

void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] { signal(SIGPIPE, SIG_IGN); });
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string ScriptExcerpt(const std::string& text) {
  std::string line = text.substr(0, std::min<size_t>(text.find('\n'), 80));
  return "`" + line + (line.size() < text.size() ? "...`" : "`");
}

std::string TempBeside(const std::filesystem::path& target) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return (target.parent_path() /
          ("." + target.filename().string() + ".faultline-" + std::to_string(rng())))
      .string();
}

// Copies `from` to `to` through a temporary file beside `to`.
Status CopyFile(const std::string& from, const std::string& to, std::optional<int> mode,
                const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(from, ec)) {
    return Status::IoError(what + ": " + from + " is not a readable regular file");
  }
  const std::string temp = TempBeside(fs::path(to));
  if (!fs::copy_file(from, temp, fs::copy_options::overwrite_existing, ec)) {
    fs::remove(temp, ec);
    return Status::IoError(what + ": cannot copy to " + temp + ": " + ec.message());
  }
  if (mode && chmod(temp.c_str(), static_cast<mode_t>(*mode & 07777)) != 0) {
    std::string why = std::strerror(errno);
    fs::remove(temp, ec);
    return Status::IoError(what + ": cannot set the mode of " + temp + ": " + why);
  }
  fs::rename(temp, to, ec);
  if (ec) {
    std::string why = ec.message();
    fs::remove(temp, ec);
    return Status::IoError(what + ": cannot rename " + temp + " to " + to + ": " + why);
  }
  return Status::Ok();
}

}  // namespace

LocalRemote::LocalRemote(std::string node) : node_(std::move(node)) {}

Result<CommandResult> LocalRemote::Run(const Command& command) {
  if (Status st = ValidateCommand(command); !st.ok()) return st;
  IgnoreSigpipeOnce();
  const std::string script = RenderCommand(command, geteuid() == 0);
  try {
    asio::io_context ctx;
    asio::writable_pipe in(ctx);
    asio::readable_pipe out(ctx);
    asio::readable_pipe err(ctx);
    bp::process proc(ctx, "/bin/sh", {"-c", script}, bp::process_stdio{in, out, err}, ChildSetup{});
    const pid_t pid = proc.id();

    CommandResult result;
    bool exited = false;
    int open_streams = 2;
    bool timed_out = false;
    asio::steady_timer timer(ctx, command.timeout);

    auto maybe_done = [&] {
      if (exited && open_streams == 0) timer.cancel();
    };
    std::array<char, 64 * 1024> out_buf;
    std::array<char, 64 * 1024> err_buf;
    std::function<void(asio::readable_pipe&, std::array<char, 64 * 1024>&, std::string&)> pump =
        [&](asio::readable_pipe& pipe, std::array<char, 64 * 1024>& buf, std::string& sink) {
          pipe.async_read_some(asio::buffer(buf), [&](const bp::error_code& ec, size_t n) {
            sink.append(buf.data(), n);
            if (ec) {
              --open_streams;
              maybe_done();
              return;
            }
            pump(pipe, buf, sink);
          });
        };
    pump(out, out_buf, result.out);
    pump(err, err_buf, result.err);

    if (command.stdin_data.empty()) {
      in.close();
    } else {
      // A command may exit without reading its input: the write then fails
      // with EPIPE, which is the command's business.
      asio::async_write(in, asio::buffer(command.stdin_data),
                        [&](const bp::error_code&, size_t) { in.close(); });
    }
    proc.async_wait([&](const bp::error_code&, int) {
      exited = true;
      result.exit_status = DecodeWaitStatus(proc.native_exit_code());
      maybe_done();
    });
    timer.async_wait([&](const bp::error_code& ec) {
      if (ec) return;  // cancelled: the command finished in time
      timed_out = true;
      if (kill(-pid, SIGKILL) != 0) kill(pid, SIGKILL);
      bp::error_code ignored;
      out.close(ignored);
      err.close(ignored);
      in.close(ignored);
    });
    ctx.run();
    if (timed_out) {
      return Status::Timeout(ScriptExcerpt(script) + " on " + node_ + " did not finish within " +
                             std::to_string(command.timeout.count()) +
                             " ms; its process group was sent SIGKILL");
    }
    return result;
  } catch (const std::exception& e) {
    return Status::IoError("cannot run " + ScriptExcerpt(script) + " on " + node_ + ": " + e.what());
  }
}

Status LocalRemote::Upload(const std::string& local_path, const std::string& remote_path,
                           int mode) {
  return CopyFile(local_path, remote_path, mode,
                  "copying " + local_path + " to " + remote_path + " on " + node_);
}

Status LocalRemote::Download(const std::string& remote_path, const std::string& local_path) {
  return CopyFile(remote_path, local_path, std::nullopt,
                  "copying " + remote_path + " on " + node_ + " to " + local_path);
}

}  // namespace faultline
