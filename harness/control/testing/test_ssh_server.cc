#include "harness/control/testing/test_ssh_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "harness/control/local_remote.h"

namespace faultline::testing {
namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";

Result<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return Status::IoError("cannot find a free port on 127.0.0.1: " + why);
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// Every live process below `root`, from /proc.
std::vector<pid_t> Descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* entry = readdir(proc)) {
      pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
      if (pid <= 0) continue;
      std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
      std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      size_t paren = text.rfind(')');
      if (paren == std::string::npos) continue;
      std::istringstream rest(text.substr(paren + 2));
      char state;
      pid_t ppid;
      if (rest >> state >> ppid) children.emplace(ppid, pid);
    }
    closedir(proc);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> todo = {root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    auto [begin, end] = children.equal_range(p);
    for (auto it = begin; it != end; ++it) {
      out.push_back(it->second);
      todo.push_back(it->second);
    }
  }
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Status Keygen(const std::string& path) {
  LocalRemote local;
  Command keygen = Command::Argv(
      {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "faultline-test", "-f", path});
  keygen.timeout = std::chrono::seconds(30);
  Result<CommandResult> r = local.Run(keygen);
  if (!r.ok()) return r.status();
  if (!r->ok()) return Status::IoError("ssh-keygen for " + path + " failed: " + r->err);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<TestSshServer>> TestSshServer::Start() {
  if (geteuid() != 0) return Status::Unsupported("a throwaway sshd needs root");
  if (access(kSshd, X_OK) != 0) {
    return Status::Unsupported(std::string(kSshd) + " is missing (install openssh-server)");
  }
  std::unique_ptr<TestSshServer> server(new TestSshServer());
  char dir_template[] = "/tmp/faultline-sshd-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return Status::IoError(std::string("mkdtemp: ") + std::strerror(errno));
  }
  server->dir_ = dir_template;
  const std::string& dir = server->dir_;
  if (Status st = Keygen(dir + "/host_ed25519"); !st.ok()) return st;
  if (Status st = Keygen(dir + "/id_ed25519"); !st.ok()) return st;
  std::filesystem::copy_file(dir + "/id_ed25519.pub", dir + "/authorized_keys");
  Result<int> port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  server->port_ = *port;
  std::ofstream config(dir + "/sshd_config");
  config << "Port " << server->port_ << "\n"
         << "ListenAddress 127.0.0.1\n"
         << "HostKey " << dir << "/host_ed25519\n"
         << "AuthorizedKeysFile " << dir << "/authorized_keys\n"
         << "PidFile none\n"
         << "PermitRootLogin prohibit-password\n"
         << "PubkeyAuthentication yes\n"
         << "PasswordAuthentication no\n"
         << "KbdInteractiveAuthentication no\n"
         << "UsePAM no\n"
         << "StrictModes no\n"  // the directory lives under /tmp
         << "PrintMotd no\n"
         << "LogLevel ERROR\n"
         << "Subsystem sftp internal-sftp\n"
         // bash sources ~/.bashrc for commands run by sshd when SHLVL < 2,
         // and a heavy one (pyenv init: about 1 s here) would swamp what is
         // measured. Commands still run under the user's login shell.
         << "SetEnv SHLVL=1\n";
  config.close();
  if (!config) return Status::IoError("cannot write " + dir + "/sshd_config");
  // sshd refuses to start without its privilege separation directory.
  mkdir("/run/sshd", 0755);
  if (Status st = server->Launch(); !st.ok()) return st;
  return server;
}

Status TestSshServer::Launch() {
  const std::string log = dir_ + "/sshd.log";
  const std::string config = dir_ + "/sshd_config";
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Status::IoError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    int null = open("/dev/null", O_RDONLY);
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null >= 0) dup2(null, 0);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    execl(kSshd, kSshd, "-D", "-e", "-f", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::IoError("sshd exited at start: " + ReadAll(log));
    }
    if (Accepts(port_)) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Stop();
  return Status::Timeout("sshd did not listen on 127.0.0.1:" + std::to_string(port_) +
                         " within 10 s: " + ReadAll(log));
}

void TestSshServer::Stop() {
  if (pid_ <= 0) return;
  // Freeze the listener so it forks nothing new, then kill what it serves
  // (connection processes are reparented, and so lost, once it dies).
  kill(pid_, SIGSTOP);
  for (pid_t p : Descendants(pid_)) kill(p, SIGKILL);
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Status TestSshServer::Restart() {
  Stop();
  return Launch();
}

Result<std::string> TestSshServer::MakeUnauthorizedKey() const {
  std::string path = dir_ + "/other_ed25519";
  if (access(path.c_str(), R_OK) == 0) return path;
  if (Status st = Keygen(path); !st.ok()) return st;
  return path;
}

SshOptions TestSshServer::Options() const {
  SshOptions o;
  o.node = "sshd-test";
  o.host = "127.0.0.1";
  o.port = port_;
  o.user = "root";
  o.private_key_file = client_key();
  o.host_key_policy = HostKeyPolicy::kAcceptNew;
  o.known_hosts_file = known_hosts();
  return o;
}

TestSshServer::~TestSshServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

}  // namespace faultline::testing
