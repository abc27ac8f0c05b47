// The clock shim as the harness uses it: where its files are, the
// environment a target's start command sets to run under it, and reading and
// writing a node's offset through that node's Remote.
//
// How a target opts in (see also targets/target.h, ClockShimmable): when the
// clock nemesis enables the shim (before the target's Setup), the target's
// Setup calls PrepareClockShim(node's Remote, node's data dir) and adds the
// returned environment to every process it starts (Setup and Start):
//   LD_PRELOAD=<shim .so on the node>
//   FAULTLINE_CLOCK_FILE=<data dir>/faultline-clock/offset
// The shim reads the file once, when the process starts, so the file must
// exist first: PrepareClockShim creates it (offset 0).
//
// Thread-safety: stateless functions; safe when the Remote is.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "harness/base/status.h"
#include "harness/control/remote.h"

namespace faultline::clock {

inline constexpr const char* kClockFileEnv = "FAULTLINE_CLOCK_FILE";

// The shim library and faultline-clock on this machine: $FAULTLINE_CLOCK_SHIM
// and $FAULTLINE_CLOCK_BIN when set, else where this build put them.
std::string LocalShimPath();
std::string LocalControlPath();

// <data_dir>/faultline-clock: the node's clock files (offset file, uploaded
// copies of the shim and the control program).
std::string ClockDir(const std::string& data_dir);
// <data_dir>/faultline-clock/offset.
std::string OffsetFile(const std::string& data_dir);

// Where the shim and the control program are on one node.
struct ShimPaths {
  std::string shim;     // the .so to preload
  std::string control;  // faultline-clock
};

// Finds the shim and faultline-clock on the node: at this machine's paths
// when the node sees them (the local cluster shares this machine's
// filesystem outside its private directories), otherwise uploads both into
// ClockDir(data_dir). The IoError of the Remote when that fails.
Result<ShimPaths> LocateOnNode(Remote& remote, const std::string& data_dir, bool sudo);

// LocateOnNode, then creates the offset file with offset 0 when it is
// missing (an existing one keeps its offset: a restarted process takes up
// the skew its node has). Returns the environment to start processes with:
// {LD_PRELOAD, shim}, {FAULTLINE_CLOCK_FILE, offset file}.
Result<std::vector<std::pair<std::string, std::string>>> PrepareClockShim(
    Remote& remote, const std::string& data_dir, bool sudo);

// Stores `offset_ns` in the offset file on the node, in place (created when
// missing). IoError with the node's stderr when it failed.
Status SetOffset(Remote& remote, const ShimPaths& paths, const std::string& file,
                 int64_t offset_ns, bool sudo);
// The offset in the file. NotFound when the file does not exist.
Result<int64_t> GetOffset(Remote& remote, const ShimPaths& paths, const std::string& file,
                          bool sudo);

}  // namespace faultline::clock
