#include <cstdio>

#include "harness/cli/commands.h"

namespace faultline::cli {

int RunCheck(const Args&) {
  std::fprintf(stderr, "faultline check: not implemented yet\n");
  return kExitInternal;
}

}  // namespace faultline::cli
