#include "harness/cluster/node_launcher.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "harness/cluster/cluster_files.h"
#include "harness/cluster/cluster_plan.h"
#include "harness/cluster/unique_fd.h"

namespace faultline::cluster {
namespace {

// The steps of the child, in order; a failure report names one.
enum Step : int {
  kSetsid,
  kSetns,
  kUnshare,
  kMakePrivate,
  kForkInit,
  kSetHostname,
  kMountProc,
  kMountRun,
  kMakeRunDirs,
  kBindSshd,
  kBindData,
  kBindTmp,
  kBindHome,
  kMountFaultlineTmpfs,
  kMakeDataMountpoint,
  kMoveData,
  kRedirectStdio,
  kExecSshd,
};

const char* StepName(int step) {
  switch (step) {
    case kSetsid:
      return "setsid";
    case kSetns:
      return "enter network namespace";
    case kUnshare:
      return "unshare pid/mount/uts namespaces";
    case kMakePrivate:
      return "make mounts private";
    case kForkInit:
      return "fork the node's first process";
    case kSetHostname:
      return "set hostname";
    case kMountProc:
      return "mount /proc";
    case kMountRun:
      return "mount tmpfs on /run";
    case kMakeRunDirs:
      return "create directories in /run";
    case kBindSshd:
      return "bind the sshd directory";
    case kMountFaultlineTmpfs:
      return "mount tmpfs on /var/lib/faultline";
    case kMakeDataMountpoint:
      return "create the data mountpoint";
    case kBindData:
      return "bind the data directory";
    case kMoveData:
      return "move the data directory into place";
    case kBindTmp:
      return "bind /tmp";
    case kBindHome:
      return "bind /root";
    case kRedirectStdio:
      return "redirect stdio to /dev/null";
    case kExecSshd:
      return "exec sshd";
  }
  return "unknown step";
}

// One fixed-size record per write, so it arrives whole (< PIPE_BUF).
struct Report {
  int kind;  // kReportPid or kReportError
  int step;
  int error;
  int pid;
};
constexpr int kReportPid = 1;
constexpr int kReportError = 2;

[[noreturn]] void FailChild(int report_fd, int step) {
  Report report{kReportError, step, errno, 0};
  ssize_t ignored = ::write(report_fd, &report, sizeof report);
  (void)ignored;
  ::_exit(127);
}

}  // namespace

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size()) return false;
  char state = text[paren + 2];
  return state != 'Z' && state != 'X';
}

Result<pid_t> LaunchNode(const NodeLaunchSpec& spec) {
  const std::string where = "node " + spec.hostname + ": ";
  UniqueFd netns(::open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (netns.get() < 0) {
    return Status::IoError(where + "open " + spec.netns_path + ": " + std::strerror(errno));
  }
  for (const auto* dir : {&spec.data_dir, &spec.tmp_dir, &spec.home_dir, &spec.sshd_dir}) {
    struct stat st;
    if (::stat(dir->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Status::IoError(where + *dir + " is not a directory");
    }
  }
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (devnull.get() < 0) return Status::IoError(where + "open /dev/null: " + std::strerror(errno));
  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) {
    return Status::IoError(where + "pipe: " + std::strerror(errno));
  }
  UniqueFd report_read(report_pipe[0]), report_write(report_pipe[1]);

  // Everything the child needs is built now: between fork and exec it may not
  // allocate (another thread may hold the allocator's lock).
  const std::string node_sshd_dir = kNodeSshdDir;
  const std::string sshd_config = node_sshd_dir + "/sshd_config";
  const std::string sshd_log = node_sshd_dir + "/sshd.log";
  const std::string faultline_dir = "/var/lib/faultline";
  const std::string data_mountpoint = kNodeDataDir;
  // The data directory is bound here first and moved into place once the
  // tmpfs over /var/lib/faultline hides its source.
  const std::string data_staging = "/run/faultline-data";
  std::vector<std::string> argv_strings = {spec.sshd_path, "-D", "-f", sshd_config, "-E", sshd_log};
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::string path_env = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path_env.data(), nullptr};
  const int wfd = report_write.get();

  pid_t helper = ::fork();
  if (helper < 0) return Status::IoError(where + "fork: " + std::strerror(errno));
  if (helper == 0) {
    // The helper: joins the node's network, makes the new namespaces and forks
    // their first process, then exits so that process is nobody's child here.
    if (::setsid() < 0) FailChild(wfd, kSetsid);
    if (::setns(netns.get(), CLONE_NEWNET) != 0) FailChild(wfd, kSetns);
    if (::unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID) != 0) FailChild(wfd, kUnshare);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      FailChild(wfd, kMakePrivate);
    }
    pid_t init = ::fork();
    if (init < 0) FailChild(wfd, kForkInit);
    if (init > 0) {
      Report report{kReportPid, 0, 0, init};
      ssize_t ignored = ::write(wfd, &report, sizeof report);
      (void)ignored;
      ::_exit(0);
    }
    // PID 1 of the node.
    if (::sethostname(spec.hostname.data(), spec.hostname.size()) != 0) {
      FailChild(wfd, kSetHostname);
    }
    if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      FailChild(wfd, kMountProc);
    }
    // Best effort: only cosmetic (tools reading /sys/class/net), and some
    // hosts forbid it.
    ::mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    // The copy of the host's mount table holds every network namespace
    // mounted under /run/netns (other nodes' too): drop it, then /run itself.
    ::umount2("/run/netns", MNT_DETACH);
    ::umount2("/run", MNT_DETACH);
    if (::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64m") != 0) {
      FailChild(wfd, kMountRun);
    }
    if (::mkdir("/run/sshd", 0755) != 0 || ::mkdir(node_sshd_dir.c_str(), 0700) != 0 ||
        ::mkdir(data_staging.c_str(), 0755) != 0) {
      FailChild(wfd, kMakeRunDirs);
    }
    if (::mount(spec.sshd_dir.c_str(), node_sshd_dir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      FailChild(wfd, kBindSshd);
    }
    if (::mount(spec.data_dir.c_str(), data_staging.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      FailChild(wfd, kBindData);
    }
    if (::mount(spec.tmp_dir.c_str(), "/tmp", nullptr, MS_BIND, nullptr) != 0) {
      FailChild(wfd, kBindTmp);
    }
    if (::mount(spec.home_dir.c_str(), "/root", nullptr, MS_BIND, nullptr) != 0) {
      FailChild(wfd, kBindHome);
    }
    if (::mount("tmpfs", faultline_dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                "mode=0755,size=1m") != 0) {
      FailChild(wfd, kMountFaultlineTmpfs);
    }
    if (::mkdir(data_mountpoint.c_str(), 0755) != 0) FailChild(wfd, kMakeDataMountpoint);
    if (::mount(data_staging.c_str(), data_mountpoint.c_str(), nullptr, MS_MOVE, nullptr) != 0 ||
        ::rmdir(data_staging.c_str()) != 0) {
      FailChild(wfd, kMoveData);
    }
    ::mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    if (::chdir("/") != 0 || ::dup2(devnull.get(), 0) < 0 || ::dup2(devnull.get(), 1) < 0 ||
        ::dup2(devnull.get(), 2) < 0) {
      FailChild(wfd, kRedirectStdio);
    }
    // Whatever the parent had open (other threads' sockets, pipes) must not
    // live on in the node.
    ::syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */);
    ::execve(argv[0], argv.data(), envp);
    FailChild(wfd, kExecSshd);
  }

  report_write.Reset();
  Report failure{0, 0, 0, 0};
  pid_t init_pid = -1;
  Report report;
  while (true) {
    ssize_t n = ::read(report_read.get(), &report, sizeof report);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof report)) break;
    if (report.kind == kReportPid) init_pid = report.pid;
    if (report.kind == kReportError) failure = report;
  }
  int wait_status = 0;
  while (::waitpid(helper, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (failure.kind == kReportError) {
    return Status::Internal(where + StepName(failure.step) + ": " + std::strerror(failure.error));
  }
  if (init_pid <= 0) {
    return Status::Internal(where + "the namespace helper exited without starting the node");
  }
  return init_pid;
}

}  // namespace faultline::cluster
