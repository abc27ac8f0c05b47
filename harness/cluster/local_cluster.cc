#include "harness/cluster/local_cluster.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <type_traits>

#include "harness/base/parallel.h"
#include "harness/cluster/host_command.h"
#include "harness/cluster/node_launcher.h"

namespace faultline::cluster {
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kNetnsDir = "/run/netns";

struct Tool {
  const char* name;
  const char* package;
};
// iptables is not used by `up` itself but by every partition inside a node.
constexpr Tool kTools[] = {
    {"ip", "iproute2"},
    {"sshd", "openssh-server"},
    {"ssh-keygen", "openssh-client"},
    {"iptables", "iptables"},
};

std::string ErrnoText() { return std::strerror(errno); }

Status WriteFile(const fs::path& path, const std::string& content, fs::perms mode) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) return Status::IoError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::permissions(tmp, mode, ec);
  if (!ec) fs::rename(tmp, path, ec);
  if (ec) return Status::IoError("cannot write " + path.string() + ": " + ec.message());
  return Status::Ok();
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The last lines of a log, for an error message.
std::string Tail(const fs::path& path, size_t max_lines = 5) {
  auto text = ReadFile(path);
  if (!text.ok()) return "";
  std::vector<std::string> lines;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  std::string out;
  for (size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size(); ++i) {
    out += (out.empty() ? "" : " | ") + lines[i];
  }
  return out;
}

std::vector<std::string> ListNetns() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kNetnsDir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

// Namespaces of cluster `name`: faultline-NAME-n<digits>.
bool IsClusterNetns(const std::string& netns, const std::string& name) {
  const std::string prefix = "faultline-" + name + "-n";
  if (netns.size() <= prefix.size() || netns.compare(0, prefix.size(), prefix) != 0) return false;
  for (size_t i = prefix.size(); i < netns.size(); ++i) {
    if (netns[i] < '0' || netns[i] > '9') return false;
  }
  return true;
}

std::optional<ino_t> NetnsInode(const std::string& netns) {
  struct stat st;
  std::string path = std::string(kNetnsDir) + "/" + netns;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_ino;
}

std::vector<pid_t> AllPids() {
  std::vector<pid_t> pids;
  DIR* dir = ::opendir("/proc");
  if (!dir) return pids;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end == '\0' && pid > 0) pids.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(dir);
  return pids;
}

// Pids whose network namespace has inode `inode`.
std::vector<pid_t> ProcessesInNetns(ino_t inode) {
  std::vector<pid_t> found;
  const std::string want = "net:[" + std::to_string(inode) + "]";
  for (pid_t pid : AllPids()) {
    char link[64];
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
    if (n <= 0) continue;
    if (std::string(link, static_cast<size_t>(n)) == want) found.push_back(pid);
  }
  return found;
}

// True when `pid` is the first process of node `node` of cluster `name`: its
// mount table binds that node's data directory. Guards against killing a
// recycled pid after a reboot.
bool IsNodeInit(pid_t pid, const std::string& name, const std::string& node) {
  if (!ProcessAlive(pid)) return false;
  auto mountinfo = ReadFile("/proc/" + std::to_string(pid) + "/mountinfo");
  if (!mountinfo.ok()) return false;
  const std::string suffix = "/" + name + "/" + node + "/data";
  std::istringstream in(*mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mountpoint;
    fields >> id >> parent >> devno >> root >> mountpoint;
    if (mountpoint == kNodeDataDir && root.size() >= suffix.size() &&
        root.compare(root.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

// Mount points in this mount namespace at or below directory `dir`, deepest
// first.
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> found;
  auto mountinfo = ReadFile("/proc/self/mountinfo");
  if (!mountinfo.ok()) return found;
  std::istringstream in(*mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, escaped;
    fields >> id >> parent >> devno >> root >> escaped;
    std::string mountpoint;  // mountinfo escapes space, tab, newline, backslash as \ooo
    for (size_t i = 0; i < escaped.size(); ++i) {
      if (escaped[i] == '\\' && i + 3 < escaped.size()) {
        mountpoint += static_cast<char>(std::stoi(escaped.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        mountpoint += escaped[i];
      }
    }
    if (mountpoint == dir ||
        (mountpoint.size() > dir.size() && mountpoint.compare(0, dir.size(), dir) == 0 &&
         mountpoint[dir.size()] == '/')) {
      found.push_back(mountpoint);
    }
  }
  std::sort(found.begin(), found.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return found;
}

// Connects to address:22 within `timeout`. With `want_banner`, also reads the
// start of the SSH banner, which proves sshd itself serves connections (the
// kernel completes a TCP handshake for any listening socket).
bool ProbeSsh(const std::string& address, milliseconds timeout, bool want_banner = true) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(22);
  ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  auto deadline = Clock::now() + timeout;
  auto left_ms = [&] {
    return static_cast<int>(std::max<int64_t>(
        0, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count()));
  };
  bool connected = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    connected = true;
  } else if (errno == EINPROGRESS) {
    pollfd pfd{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    connected = ::poll(&pfd, 1, left_ms()) == 1 &&
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }
  bool ok = connected && !want_banner;
  if (connected && want_banner) {
    std::string banner;
    while (banner.size() < 4 && left_ms() > 0) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, left_ms()) != 1) break;
      char buf[64];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      banner.append(buf, static_cast<size_t>(n));
    }
    ok = banner.rfind("SSH-", 0) == 0;
  }
  ::close(fd);
  return ok;
}

// A TCP connect to address:22 from inside network namespace `netns`: a thread
// of its own joins it, so the caller's namespace is untouched.
bool ConnectFromNetns(const std::string& netns, const std::string& address, milliseconds timeout) {
  bool ok = false;
  std::thread prober([&] {
    std::string path = std::string(kNetnsDir) + "/" + netns;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    bool joined = ::setns(fd, CLONE_NEWNET) == 0;
    ::close(fd);
    if (joined) ok = ProbeSsh(address, timeout, /*want_banner=*/false);
  });
  prober.join();
  return ok;
}

Result<std::string> RunIpBatch(const std::string& ip, const fs::path& batch_file,
                               const std::string& content, const std::string& netns = "",
                               bool force = false) {
  if (Status s = WriteFile(batch_file, content, fs::perms::owner_read | fs::perms::owner_write);
      !s.ok()) {
    return s;
  }
  std::vector<std::string> argv = {ip};
  if (!netns.empty()) argv.insert(argv.end(), {"-n", netns});
  if (force) argv.push_back("-force");
  argv.insert(argv.end(), {"-batch", batch_file.string()});
  auto result = CheckHostCommand(argv);
  std::error_code ec;
  fs::remove(batch_file, ec);
  if (!result.ok()) {
    return Status::Internal(result.status().message() + " (batch: " + content.substr(0, 200) + ")");
  }
  return result;
}

struct IpLink {
  std::string name;
  std::string alias;
};

std::vector<IpLink> ListLinks(const std::string& ip) {
  std::vector<IpLink> links;
  auto out = CheckHostCommand({ip, "-j", "link", "show"});
  if (!out.ok()) return links;
  auto doc = nlohmann::json::parse(*out, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) return links;
  for (const auto& link : doc) {
    if (!link.is_object()) continue;
    links.push_back({link.value("ifname", ""), link.value("ifalias", "")});
  }
  return links;
}

// Nodes are set up side by side, but a 200-node cluster must not start 200
// ssh-keygens at once.
constexpr size_t kMaxParallel = 16;
template <typename Fn>
auto ParallelFor(size_t count, Fn fn) {
  return ParallelMap(count, fn, kMaxParallel);
}

template <typename T>
Status FirstError(const std::vector<T>& results) {
  for (const auto& result : results) {
    if constexpr (std::is_same_v<T, Status>) {
      if (!result.ok()) return result;
    } else {
      if (!result.ok()) return result.status();
    }
  }
  return Status::Ok();
}

bool Cancelled(const UpOptions& options) {
  return options.cancel != nullptr && options.cancel->load();
}

}  // namespace

// Holds an exclusive flock on <root>/.lock for its lifetime.
class LocalCluster::RootLock {
 public:
  static Result<std::unique_ptr<RootLock>> Acquire(const fs::path& root) {
    fs::path path = root / ".lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::IoError("cannot open " + path.string() + ": " + ErrnoText());
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        std::string message = "cannot lock " + path.string() + ": " + ErrnoText();
        ::close(fd);
        return Status::IoError(message);
      }
      if (Clock::now() > deadline) {
        ::close(fd);
        return Status::Timeout("another `faultline cluster` command has held " + path.string() +
                               " for 60 s; is one stuck?");
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    return std::unique_ptr<RootLock>(new RootLock(fd));
  }
  ~RootLock() { ::close(fd_); }

 private:
  explicit RootLock(int fd) : fd_(fd) {}
  int fd_;
};

LocalCluster::LocalCluster(fs::path state_root, std::function<void(const std::string&)> log)
    : root_(std::move(state_root)), log_(std::move(log)) {}

void LocalCluster::Log(const std::string& line) const {
  if (log_) log_(line);
}

Status LocalCluster::CheckEnvironment() const {
  if (::geteuid() != 0) {
    return Status::InvalidArgument(
        "must run as root: a local cluster creates network namespaces, a bridge and mounts");
  }
  for (const auto& tool : kTools) {
    if (FindTool(tool.name).empty()) {
      return Status::InvalidArgument(
          std::string("missing tool '") + tool.name + "': install the Debian package " +
          tool.package + " (apt-get install " + tool.package + ", or run scripts/install-deps.sh)");
    }
  }
  if (::access("/proc/self/ns/pid", F_OK) != 0) {
    return Status::InvalidArgument("this kernel has no namespaces (/proc/self/ns/pid missing)");
  }
  return Status::Ok();
}

Result<RangeReport> LocalCluster::InspectHostRange() const {
  const std::string ip = FindTool("ip");
  auto routes_json = CheckHostCommand({ip, "-j", "-4", "route", "show", "table", "all"});
  if (!routes_json.ok()) return routes_json.status();
  auto addrs_json = CheckHostCommand({ip, "-j", "-4", "addr", "show"});
  if (!addrs_json.ok()) return addrs_json.status();
  auto routes = ParseIpRoutes(*routes_json);
  if (!routes.ok()) return routes.status();
  auto addresses = ParseIpAddresses(*addrs_json);
  if (!addresses.ok()) return addresses.status();
  return InspectRange(*routes, *addresses);
}

Status LocalCluster::EnsureGuardRoute() {
  auto report = InspectHostRange();
  if (!report.ok()) return report.status();
  if (report->guard_present || !report->conflicts.empty()) return Status::Ok();
  auto added = CheckHostCommand({FindTool("ip"), "route", "add", "unreachable", kRangeCidr});
  if (!added.ok()) {
    return Status::Internal("cannot route " + std::string(kRangeCidr) +
                            " unreachable: " + added.status().message());
  }
  return Status::Ok();
}

std::set<int> LocalCluster::IndicesInUse(const std::string& except_name) const {
  std::set<int> used;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    if (!entry.is_directory() || entry.path().filename() == except_name) continue;
    auto text = ReadFile(entry.path() / "state.json");
    if (!text.ok()) continue;
    auto state = ParseState(*text, (entry.path() / "state.json").string());
    if (state.ok()) used.insert(state->index);
  }
  for (const auto& link : ListLinks(FindTool("ip"))) {
    auto index = BridgeIndex(link.name);
    if (index && link.alias != LinkAlias(except_name)) used.insert(*index);
  }
  return used;
}

bool LocalCluster::HasTraces(const std::string& name) const {
  std::error_code ec;
  if (fs::exists(Paths(name).dir, ec)) return true;
  for (const auto& netns : ListNetns()) {
    if (IsClusterNetns(netns, name)) return true;
  }
  for (const auto& link : ListLinks(FindTool("ip"))) {
    if (link.alias == LinkAlias(name)) return true;
  }
  return false;
}

Result<ClusterState> LocalCluster::Up(const UpOptions& options) {
  if (Status s = ValidateClusterName(options.name); !s.ok()) return s;
  if (Status s = ValidateNodeCount(options.nodes); !s.ok()) return s;
  if (Status s = CheckEnvironment(); !s.ok()) return s;
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) return Status::IoError("cannot create " + root_.string() + ": " + ec.message());
  auto lock = RootLock::Acquire(root_);
  if (!lock.ok()) return lock.status();

  const ClusterPaths paths = Paths(options.name);
  std::optional<int> previous_index;
  if (auto text = ReadFile(paths.state()); text.ok()) {
    if (auto old = ParseState(*text, paths.state().string()); old.ok()) previous_index = old->index;
  }
  if (HasTraces(options.name)) {
    Log("removing the earlier cluster '" + options.name + "' (or its leftovers) first");
    if (Status s = Teardown(options.name); !s.ok()) return s;
  }

  auto report = InspectHostRange();
  if (!report.ok()) return report.status();
  if (!report->conflicts.empty()) {
    std::string users;
    for (const auto& conflict : report->conflicts) users += (users.empty() ? "" : "; ") + conflict;
    return Status::InvalidArgument(
        std::string("address range in use: faultline local clusters need ") + kRangeCidr +
        " for themselves, but this machine has " + users +
        ". Remove those (or run on another machine).");
  }
  for (const auto& covering : report->covering) {
    Log("warning: " + covering + " covers " + kRangeCidr +
        "; the cluster's own routes shadow it inside that range");
  }
  auto index = AllocateIndex(IndicesInUse(options.name), previous_index);
  if (!index.ok()) return index.status();

  ClusterState state = PlanCluster(options.name, *index, options.nodes);
  fs::create_directories(paths.dir, ec);
  if (ec) return Status::IoError("cannot create " + paths.dir.string() + ": " + ec.message());
  fs::permissions(paths.dir, fs::perms(0755), ec);
  Status status = WriteFile(paths.state(), StateToJson(state), fs::perms(0644));
  if (status.ok() && !report->guard_present) status = EnsureGuardRoute();
  if (status.ok()) status = Build(state, options);
  if (status.ok()) {
    state.phase = "up";
    status = WriteFile(paths.state(), StateToJson(state), fs::perms(0644));
  }
  if (!status.ok()) {
    if (Status cleanup = Teardown(options.name); !cleanup.ok()) {
      Log("rolling back failed: " + cleanup.message() + "; run `faultline cluster down --name " +
          options.name + "`");
    }
    return status;
  }
  return state;
}

Status LocalCluster::Build(ClusterState& state, const UpOptions& options) {
  const ClusterPaths paths = Paths(state.name);
  const std::string ip = FindTool("ip");
  const std::string keygen = FindTool("ssh-keygen");
  std::error_code ec;
  for (const auto& node : state.nodes) {
    for (const auto& dir : {paths.data_dir(node.name), paths.tmp_dir(node.name),
                            paths.home_dir(node.name), paths.sshd_dir(node.name)}) {
      fs::create_directories(dir, ec);
      if (ec) return Status::IoError("cannot create " + dir.string() + ": " + ec.message());
    }
    fs::permissions(paths.tmp_dir(node.name), fs::perms(01777), ec);
    fs::permissions(paths.sshd_dir(node.name), fs::perms(0700), ec);
    fs::permissions(paths.home_dir(node.name), fs::perms(0700), ec);
  }

  // Keys and the host side of the network are independent: make them at once.
  std::vector<std::pair<fs::path, std::string>> keys = {
      {paths.key(), "faultline-cluster-" + state.name}};
  for (const auto& node : state.nodes) {
    keys.emplace_back(paths.host_key(node.name), state.name + "-" + node.name);
  }
  auto keygens = std::async(std::launch::async, [&] {
    return FirstError(ParallelFor(keys.size(), [&](size_t i) {
      return CheckHostCommand({keygen, "-q", "-t", "ed25519", "-N", "", "-C", keys[i].second, "-f",
                               keys[i].first.string()});
    }));
  });
  std::string host_batch = "link add " + state.bridge + " type bridge\n" + "link set " +
                           state.bridge + " alias " + LinkAlias(state.name) + "\n" + "addr add " +
                           HostAddress(state.index) + "/24 dev " + state.bridge + "\n" +
                           "link set " + state.bridge + " up\n";
  for (const auto& node : state.nodes) {
    host_batch += "netns add " + node.netns + "\n" + "link add " + node.veth +
                  " type veth peer name eth0 netns " + node.netns + "\n" + "link set " + node.veth +
                  " alias " + LinkAlias(state.name) + " master " + state.bridge + " up\n";
  }
  auto host_net = RunIpBatch(ip, paths.dir / "host.ipbatch", host_batch);
  Status first_error = host_net.ok() ? Status::Ok() : host_net.status();
  if (first_error.ok()) {
    first_error = FirstError(ParallelFor(state.nodes.size(), [&](size_t i) {
      const NodeState& node = state.nodes[i];
      return RunIpBatch(
          ip, paths.node_dir(node.name) / "node.ipbatch",
          "addr add " + node.address + "/24 dev eth0\nlink set eth0 up\n" + "link set lo up\n",
          node.netns);
    }));
  }
  Status keygen_status = keygens.get();
  if (first_error.ok()) first_error = keygen_status;
  if (!first_error.ok()) return first_error;
  if (Cancelled(options)) return Status::Cancelled("interrupted");

  auto public_key = ReadFile(paths.public_key());
  if (!public_key.ok()) return public_key.status();
  std::vector<std::string> host_public_keys;
  for (const auto& node : state.nodes) {
    auto host_key = ReadFile(paths.host_key(node.name).string() + ".pub");
    if (!host_key.ok()) return host_key.status();
    host_public_keys.push_back(*host_key);
    const fs::path sshd_dir = paths.sshd_dir(node.name);
    for (auto [file, content, mode] :
         {std::tuple{sshd_dir / "authorized_keys", *public_key, fs::perms(0600)},
          std::tuple{sshd_dir / "sshd_config", RenderSshdConfig(node.address), fs::perms(0644)}}) {
      if (Status s = WriteFile(file, content, mode); !s.ok()) return s;
    }
  }
  auto known_hosts = RenderKnownHosts(state, host_public_keys);
  if (!known_hosts.ok()) return known_hosts.status();
  for (auto [file, content] : {std::pair{paths.known_hosts(), *known_hosts},
                               std::pair{paths.ssh_config(), RenderSshConfig(state, paths)},
                               std::pair{paths.nodes_file(), RenderNodesFile(state, paths)}}) {
    if (Status s = WriteFile(file, content, fs::perms(0644)); !s.ok()) return s;
  }

  const std::string sshd = FindTool("sshd");
  auto launches = ParallelFor(state.nodes.size(), [&](size_t i) {
    const NodeState& node = state.nodes[i];
    NodeLaunchSpec spec;
    spec.hostname = node.name;
    spec.netns_path = std::string(kNetnsDir) + "/" + node.netns;
    spec.data_dir = paths.data_dir(node.name).string();
    spec.tmp_dir = paths.tmp_dir(node.name).string();
    spec.home_dir = paths.home_dir(node.name).string();
    spec.sshd_dir = paths.sshd_dir(node.name).string();
    spec.sshd_path = sshd;
    return LaunchNode(spec);
  });
  for (size_t i = 0; i < launches.size(); ++i) {
    if (launches[i].ok()) state.nodes[i].init_pid = *launches[i];
  }
  first_error = FirstError(launches);
  // Written even after a failed launch: the pids of the nodes that did start
  // help `down` find them.
  if (Status s = WriteFile(paths.state(), StateToJson(state), fs::perms(0644)); !s.ok()) return s;
  if (!first_error.ok()) return first_error;

  // Every sshd must accept a connection from the host...
  const auto deadline = Clock::now() + options.ready_timeout;
  first_error = FirstError(ParallelFor(state.nodes.size(), [&](size_t i) -> Status {
    const NodeState& node = state.nodes[i];
    while (true) {
      if (ProbeSsh(node.address, milliseconds(200))) return Status::Ok();
      if (Cancelled(options)) return Status::Cancelled("interrupted");
      if (!ProcessAlive(node.init_pid)) {
        std::string log = Tail(paths.sshd_log(node.name));
        return Status::Internal("node " + node.name + ": sshd exited" +
                                (log.empty() ? "" : ": " + log));
      }
      if (Clock::now() > deadline) {
        return Status::Timeout("node " + node.name + " (" + node.address +
                               "): sshd did not accept connections within " +
                               std::to_string(options.ready_timeout.count()) + " ms; see " +
                               paths.sshd_log(node.name).string());
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
  }));
  if (!first_error.ok() || state.nodes.size() < 2) return first_error;

  // ...and from its neighbour, through the bridge: a host firewall that
  // filters bridged traffic would otherwise break every test in odd ways.
  return FirstError(ParallelFor(state.nodes.size(), [&](size_t i) -> Status {
    const NodeState& from = state.nodes[i];
    const NodeState& to = state.nodes[(i + 1) % state.nodes.size()];
    if (ConnectFromNetns(from.netns, to.address, milliseconds(2000))) return Status::Ok();
    return Status::Internal(
        "node " + from.name + " cannot reach " + to.name + " (" + to.address +
        ":22) through bridge " + state.bridge +
        ". If net.bridge.bridge-nf-call-iptables is 1, the host firewall's FORWARD chain "
        "filters bridged traffic: allow it, e.g. `iptables -I FORWARD -i " +
        state.bridge + " -o " + state.bridge + " -j ACCEPT`");
  }));
}

Status LocalCluster::Down(const std::string& name) {
  if (Status s = ValidateClusterName(name); !s.ok()) return s;
  if (Status s = CheckEnvironment(); !s.ok()) return s;
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) return Status::IoError("cannot create " + root_.string() + ": " + ec.message());
  auto lock = RootLock::Acquire(root_);
  if (!lock.ok()) return lock.status();
  Status status = Teardown(name);
  Status guard = EnsureGuardRoute();
  return status.ok() ? guard : status;
}

Status LocalCluster::Teardown(const std::string& name) {
  const ClusterPaths paths = Paths(name);
  const std::string ip = FindTool("ip");
  std::vector<std::string> problems;

  std::optional<ClusterState> state;
  if (auto text = ReadFile(paths.state()); text.ok()) {
    auto parsed = ParseState(*text, paths.state().string());
    if (parsed.ok()) {
      state = std::move(*parsed);
    } else {
      Log("ignoring unreadable " + paths.state().string() + " (" + parsed.status().message() +
          "); removing by name instead");
    }
  }

  // 1. Processes: everything in a node's network namespace, plus each node's
  //    first process (its PID namespace dies with it) should the namespace
  //    file be gone already.
  std::set<std::string> netns_names;
  for (const auto& netns : ListNetns()) {
    if (IsClusterNetns(netns, name)) netns_names.insert(netns);
  }
  if (state) {
    for (const auto& node : state->nodes) {
      if (IsClusterNetns(node.netns, name)) netns_names.insert(node.netns);
    }
  }
  std::set<pid_t> victims;
  for (const auto& netns : netns_names) {
    if (auto inode = NetnsInode(netns)) {
      for (pid_t pid : ProcessesInNetns(*inode)) victims.insert(pid);
    }
  }
  if (state) {
    for (const auto& node : state->nodes) {
      if (IsNodeInit(node.init_pid, name, node.name)) victims.insert(node.init_pid);
    }
  }
  for (pid_t pid : victims) ::kill(pid, SIGKILL);
  auto deadline = Clock::now() + std::chrono::seconds(10);
  for (pid_t pid : victims) {
    while (ProcessAlive(pid) && Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(2));
    }
    if (ProcessAlive(pid))
      problems.push_back("process " + std::to_string(pid) + " survived SIGKILL");
  }

  // 2. Network namespaces (what `ip netns del` does, without a process each).
  for (const auto& netns : netns_names) {
    std::string path = std::string(kNetnsDir) + "/" + netns;
    ::umount2(path.c_str(), MNT_DETACH);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      problems.push_back("cannot remove " + path + ": " + ErrnoText());
    }
  }

  // 3. Links: ours carry alias faultline:NAME; a link named in the state file
  //    may lack it if `up` died between creating and labelling it.
  std::set<std::string> doomed;
  std::set<std::string> planned;
  if (state) {
    planned.insert(state->bridge);
    for (const auto& node : state->nodes) planned.insert(node.veth);
  }
  for (const auto& link : ListLinks(ip)) {
    std::string base = link.name.substr(0, link.name.find('@'));
    if (link.alias == LinkAlias(name) || (planned.count(base) && link.alias.empty())) {
      doomed.insert(base);
    }
  }
  if (!doomed.empty()) {
    std::string batch;
    for (const auto& link : doomed) batch += "link del " + link + "\n";
    fs::path batch_file = fs::temp_directory_path() / ("faultline-down-" + name + ".ipbatch");
    auto result = RunIpBatch(ip, batch_file, batch, "", /*force=*/true);
    for (const auto& link : ListLinks(ip)) {
      if (doomed.count(link.name.substr(0, link.name.find('@')))) {
        problems.push_back("link " + link.name + " could not be deleted" +
                           (result.ok() ? "" : ": " + result.status().message()));
      }
    }
  }

  // 4. Mounts below the cluster's directory (the nodes mount only inside
  //    their own mount namespaces, but an operator debugging a node may have
  //    bound something there), then the directory itself.
  std::error_code ec;
  for (const auto& mountpoint : MountsUnder(paths.dir.string())) {
    if (::umount2(mountpoint.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      problems.push_back("cannot unmount " + mountpoint + ": " + ErrnoText());
    }
  }
  if (fs::exists(paths.dir, ec) && MountsUnder(paths.dir.string()).empty()) {
    fs::remove_all(paths.dir, ec);
    if (ec) problems.push_back("cannot remove " + paths.dir.string() + ": " + ec.message());
  } else if (fs::exists(paths.dir, ec)) {
    problems.push_back("left " + paths.dir.string() +
                       " in place: something is still mounted in it");
  }

  if (problems.empty()) return Status::Ok();
  std::string message = "cluster '" + name + "' not fully removed: ";
  for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
  return Status::Internal(message);
}

Result<ClusterStatus> LocalCluster::GetStatus(const std::string& name) {
  if (Status s = ValidateClusterName(name); !s.ok()) return s;
  const ClusterPaths paths = Paths(name);
  ClusterStatus status;
  status.name = name;
  auto text = ReadFile(paths.state());
  if (!text.ok()) return status;
  auto state = ParseState(*text, paths.state().string());
  if (!state.ok()) return state.status();
  status.exists = true;
  status.state = std::move(*state);
  status.nodes_file = paths.nodes_file().string();
  status.ssh_config = paths.ssh_config().string();
  status.ssh_key = paths.key().string();
  status.running = ParallelFor(status.state.nodes.size(), [&](size_t i) {
    return ProbeSsh(status.state.nodes[i].address, milliseconds(500));
  });
  return status;
}

}  // namespace faultline::cluster
