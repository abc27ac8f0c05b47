// Starts one local-cluster node: sshd as PID 1 of fresh PID, mount and UTS
// namespaces, inside the node's (already configured) network namespace.
//
// Inside the node:
//   hostname            the node's name
//   /proc               a fresh procfs: the node sees only its own processes
//   /sys                a fresh sysfs showing the node's own network devices
//   /run                a private tmpfs (sshd's privilege-separation dir, pidfiles)
//   kNodeSshdDir        <- the node's sshd directory (config, host key, log)
//   /var/lib/faultline  a private tmpfs that hides every cluster's state, with
//   kNodeDataDir        <- the node's data directory
//   /tmp                <- the node's tmp directory
//   /root               <- the node's home directory for root: the host's
//                          dotfiles (a slow ~/.bashrc, ~/.ssh) stay out
//   /dev/shm            a private tmpfs
// Every mount lives only in the node's mount namespace, so nothing is left on
// the host when the node's processes are gone. When PID 1 (sshd) dies the
// kernel kills every other process of the node.
//
// Thread-safe: LaunchNode may be called from several threads; the child does
// only async-signal-safe work between fork and exec.
#pragma once

#include <sys/types.h>

#include <string>

#include "harness/base/status.h"

namespace faultline::cluster {

struct NodeLaunchSpec {
  std::string hostname;    // "n1"
  std::string netns_path;  // "/run/netns/faultline-NAME-n1"
  std::string data_dir;    // host directories bound into the node
  std::string tmp_dir;
  std::string home_dir;
  std::string sshd_dir;
  std::string sshd_path;  // absolute path of sshd
};

// Starts the node and returns the host pid of its PID 1 once sshd has been
// exec'd (it may still fail on its configuration; see sshd.log). Internal
// naming the step that failed (e.g. "mount /tmp: Permission denied") otherwise.
Result<pid_t> LaunchNode(const NodeLaunchSpec& spec);

// True while `pid` exists and is not a zombie.
bool ProcessAlive(pid_t pid);

}  // namespace faultline::cluster
