#include "nemesis/clock_shim/clock_support.h"

#include <cstdlib>

#include "harness/control/node_util.h"

namespace faultline::clock {
namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::string(fallback);
}

Command Sh(const std::string& script, std::vector<std::string> args, bool sudo) {
  std::vector<std::string> argv = {"sh", "-c", script, "sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  Command c = Command::Argv(std::move(argv));
  c.sudo = sudo;
  c.timeout = std::chrono::seconds(20);
  return c;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string LocalShimPath() { return EnvOr("FAULTLINE_CLOCK_SHIM", FAULTLINE_CLOCK_SHIM_PATH); }
std::string LocalControlPath() { return EnvOr("FAULTLINE_CLOCK_BIN", FAULTLINE_CLOCK_BIN_PATH); }

std::string ClockDir(const std::string& data_dir) { return data_dir + "/faultline-clock"; }
std::string OffsetFile(const std::string& data_dir) { return ClockDir(data_dir) + "/offset"; }

Result<ShimPaths> LocateOnNode(Remote& remote, const std::string& data_dir, bool sudo) {
  ShimPaths local{LocalShimPath(), LocalControlPath()};
  Result<CommandResult> seen =
      remote.Run(Sh("test -r \"$1\" && test -x \"$2\"", {local.shim, local.control}, sudo));
  if (!seen.ok()) return seen.status();
  if (seen->ok()) return local;
  // A node with a filesystem of its own: bring both over.
  const std::string dir = ClockDir(data_dir);
  if (Status st = MakeDirs(remote, dir, sudo); !st.ok()) return st;
  ShimPaths there{dir + "/libfaultline_clock_shim.so", dir + "/faultline-clock"};
  if (Status st = remote.Upload(local.shim, there.shim, 0755); !st.ok()) return st;
  if (Status st = remote.Upload(local.control, there.control, 0755); !st.ok()) return st;
  return there;
}

Result<std::vector<std::pair<std::string, std::string>>> PrepareClockShim(
    Remote& remote, const std::string& data_dir, bool sudo) {
  Result<ShimPaths> paths = LocateOnNode(remote, data_dir, sudo);
  if (!paths.ok()) return paths.status();
  const std::string file = OffsetFile(data_dir);
  if (Status st = MakeDirs(remote, ClockDir(data_dir), sudo); !st.ok()) return st;
  Result<CommandResult> made =
      remote.Run(Sh("test -e \"$2\" || \"$1\" set \"$2\" 0", {paths->control, file}, sudo));
  if (!made.ok()) return made.status();
  if (!made->ok()) {
    return Status::IoError("creating the clock offset file " + file + " on " + remote.node() +
                           ": " + Trimmed(made->err));
  }
  return std::vector<std::pair<std::string, std::string>>{{"LD_PRELOAD", paths->shim},
                                                          {kClockFileEnv, file}};
}

Status SetOffset(Remote& remote, const ShimPaths& paths, const std::string& file,
                 int64_t offset_ns, bool sudo) {
  Command c = Command::Argv({paths.control, "set", file, std::to_string(offset_ns)});
  c.sudo = sudo;
  c.timeout = std::chrono::seconds(20);
  c.idempotent = true;  // an absolute value: storing it twice is storing it once
  Result<CommandResult> r = remote.Run(c);
  if (!r.ok()) return r.status();
  if (!r->ok()) {
    return Status::IoError("faultline-clock set " + file + " on " + remote.node() + ": " +
                           Trimmed(r->err));
  }
  return Status::Ok();
}

Result<int64_t> GetOffset(Remote& remote, const ShimPaths& paths, const std::string& file,
                          bool sudo) {
  Result<CommandResult> r = remote.Run(
      Sh("test -e \"$2\" || exit 3; exec \"$1\" get \"$2\"", {paths.control, file}, sudo));
  if (!r.ok()) return r.status();
  if (r->exit_status == 3) return Status::NotFound("no clock offset file " + file + " on " + remote.node());
  if (!r->ok()) {
    return Status::IoError("faultline-clock get " + file + " on " + remote.node() + ": " +
                           Trimmed(r->err));
  }
  char* end = nullptr;
  const std::string out = Trimmed(r->out);
  const long long v = std::strtoll(out.c_str(), &end, 10);
  if (out.empty() || *end != '\0') {
    return Status::IoError("faultline-clock get " + file + " on " + remote.node() +
                           ": unexpected output \"" + out + "\"");
  }
  return static_cast<int64_t>(v);
}

}  // namespace faultline::clock
