#include "harness/base/input_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace faultline {

Result<std::string> ReadInputFile(const std::string& path, const std::string& what,
                                  size_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) return Status::InvalidArgument("an empty file name; expected " + what);
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) {
    return Status::NotFound(path + ": no such file; expected " + what);
  }
  if (st.type() == fs::file_type::directory) {
    return Status::InvalidArgument(path + ": is a directory; expected " + what);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument(path + ": cannot open: " + std::strerror(errno) +
                                   "; expected " + what);
  }
  // Read one byte past the limit to tell "exactly at" from "beyond" (also for
  // devices such as /dev/zero, whose size is not known in advance).
  std::string text;
  char buf[64 * 1024];
  while (in) {
    in.read(buf, sizeof buf);
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      return Status::InvalidArgument(path + ": larger than " + std::to_string(max_bytes >> 20) +
                                     " MiB; expected " + what);
    }
  }
  if (in.bad()) {
    return Status::InvalidArgument(path + ": read failed: " + std::strerror(errno) +
                                   "; expected " + what);
  }
  return text;
}

}  // namespace faultline
