// A file descriptor closed when its owner goes out of scope (internal to the
// cluster library: the host commands and the node launcher both hold raw
// descriptors across early returns).
#pragma once

#include <unistd.h>

namespace faultline::cluster {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace faultline::cluster
