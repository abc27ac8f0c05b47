// Balancer targets: HAProxy (Debian's 2.6) or nginx (1.22) in front of a pool
// of backends, for the balance workload (client.h: BalanceClientFactory).
//
// Layout: every node runs a backend (a small nginx server, below); the
// balancer runs on one node (option balancer_node, default the first) next
// to that node's backend. Kill, Start, Pause and Resume act on a node's
// backend only, never on the balancer: a fault then always removes one
// backend from the pool, which is what a balancer is there to survive, while
// a dead balancer would only fail every request. A partition cuts the
// balancer off from the backends on the other side.
//
// Backend (on every node, in <data dir>/<dir_name>/backend): nginx listening
// on <host>:<backend_port>:
//   POST|GET /req?id=N&key=K   answers "<node name>\n" and appends
//                              "N <msec> K" to applied.log (only requests
//                              with an id are logged: they are the effects)
//   GET /health                "ok" (the balancer's health check)
//   GET /applied               applied.log itself
// A request counts as applied once nginx logged it, which it does when it
// has answered (also when the balancer hung up meanwhile).
//
// HAProxy (on the balancer node, in .../balancer): listens on <host>:<port>,
// stats on <host>:<stats_port>/stats (CSV: /stats;csv), one server per node
// named after it:
//   balance roundrobin | leastconn | url_param key (algorithm "hash"), with
//   hash-type consistent | map-based; option httpchk GET /health;
//   default-server check inter <inter_ms> fall <fall> rise <rise>;
//   timeout check <check_timeout_ms>; retries; option redispatch; retry-on.
// Defaults: inter 1 s (HAProxy's own is 2 s: faster here so that a fault of
// the default 10 s nemesis interval is detected), fall 3, rise 2 and check
// timeout = inter (HAProxy's), retries 3, retry-on conn-failure, redispatch.
// The failover bound a client reports (bound_ms) is
//   fall x (inter + check timeout) + margin_ms
// because HAProxy starts each check `inter` after the previous one ended:
// checks that time out (a paused or cut-off backend) fail inter + timeout
// apart, so fall x inter + timeout is not a bound (measured: a paused backend
// with 2 s checks was still UP 10.7 s after the pause, beyond 3 x 2 + 2 s).
//
// nginx (on the balancer node): upstream of every backend with max_fails and
// fail_timeout (passive checks only: open-source nginx has no active ones),
// round robin | least_conn | hash $arg_key [consistent];
// proxy_next_upstream <next_upstream> [non_idempotent]. bound_ms is null:
// passive checks give no failover bound.
//
// VRRP (option vrrp=true): keepalived (Debian's 2.2) on two balancer nodes,
// balancer_node (priority 150) and backup_node (default: the next node of
// the test; priority 100), both running the balancer, which then listens on
// every address of its node. keepalived holds a virtual IPv4 address (vip;
// default: the highest free address of the balancer nodes' subnet, see
// ChooseVip) and clients send their requests to it. Each keepalived runs in
// the foreground (-n) under its own pidfile in the node's directory, with
// its own config and a notify script appending "<time> INSTANCE <name>
// <state> <priority>" to transitions.log. On each of the two nodes a watcher
// writes `date +%s%N` and `ip -o -4 addr show dev <if>` to a file every
// 100 ms, served by a small nginx (vip_port): the "vip" op reads it, so the
// history records who held the address, as the kernel saw it. Kill, Start,
// Pause and Resume of a balancer node act on its keepalived as well as on
// its backend (SIGKILL leaves the address on the interface: a crashed
// keepalived does not release it). Primaries names the nodes holding the
// address (isolate-primary then cuts the holder off). Setup returns once
// balancer_node alone holds the address (steady for advert_int + 0.5 s);
// Teardown stops keepalived with SIGTERM (it releases the address) and
// removes the address if it is still there.
//
// Thread-safety: as Target.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "targets/http_transport.h"
#include "targets/target.h"

namespace faultline {

class Client;

enum class BalancerKind { kHaproxy, kNginx };

struct BalancerOptions {
  BalancerKind kind = BalancerKind::kHaproxy;
  std::string balancer_node;              // empty: the first node of the test
  std::string algorithm = "roundrobin";   // roundrobin | leastconn | hash
  std::string hash_type = "consistent";   // consistent | map-based (algorithm hash)
  // HAProxy health checks.
  int inter_ms = 1000;
  int fall = 3;
  int rise = 2;
  int check_timeout_ms = 0;  // 0: inter_ms, as HAProxy does without "timeout check"
  int margin_ms = 1000;      // added to the failover bound
  // Retries.
  int retries = 3;                         // HAProxy retries
  bool redispatch = true;                  // HAProxy option redispatch
  std::string retry_on = "conn-failure";   // HAProxy retry-on; "none" for none
  std::string next_upstream = "error timeout";  // nginx proxy_next_upstream
  bool non_idempotent = false;             // nginx: also retry POSTs
  int max_fails = 1;                       // nginx passive checks
  int fail_timeout_s = 10;
  // Timeouts of the balancer towards backends.
  int connect_timeout_ms = 1000;
  int server_timeout_ms = 2000;  // waiting for a backend's answer
  int port = 8080;
  int stats_port = 8404;
  int backend_port = 8081;
  std::string dir_name = "balance";
  // VRRP (keepalived): see above.
  bool vrrp = false;
  std::string backup_node;   // empty: the node after balancer_node in the test's order
  std::string vip;           // empty: ChooseVip
  int advert_int_s = 1;      // keepalived advert_int (VRRPv2: whole seconds)
  int virtual_router_id = 51;
  // keepalived garp_master_refresh: a master repeats its gratuitous ARPs
  // every this many seconds; 0 (keepalived's default): only on becoming
  // master, so after a split brain heals, hosts that learned the backup's
  // MAC keep sending to it until their ARP entry expires.
  int garp_refresh_s = 0;
  int vip_port = 8082;       // the address watcher's nginx
  std::chrono::milliseconds setup_deadline{std::chrono::seconds(30)};
  std::chrono::milliseconds start_deadline{std::chrono::seconds(10)};
  HttpTimeouts client_timeouts{std::chrono::milliseconds(1000), std::chrono::milliseconds(5000)};
  // Makes the HTTP transports of clients and probes; null: libcurl.
  std::function<std::unique_ptr<HttpTransport>(const HttpTimeouts&)> make_transport;
};

// "haproxy" or "nginx".
const char* BalancerKindName(BalancerKind kind);

// InvalidArgument naming the field when the options are unusable.
Status ValidateBalancerOptions(const BalancerOptions& options);
Result<std::unique_ptr<Target>> MakeBalancerTarget(BalancerOptions options);

// fall x (inter + check timeout) + margin for HAProxy; -1 for nginx (no bound).
int64_t FailoverBoundMs(const BalancerOptions& options);

struct BalancerBackend {
  std::string name;  // node name; also the HAProxy server name
  std::string host;
  int port = 0;
};

// A balance client against a balancer already running on `balancer` (one of
// `backends`, which lists every node), as the target's clients are once it
// is set up. With VRRP: requests go to `vip`, and "vip" ops read the
// watchers of `vrrp_nodes` (balancer first; port: the watcher's nginx).
std::unique_ptr<Client> MakeBalanceClient(const BalancerOptions& options,
                                          const std::string& balancer,
                                          const std::vector<BalancerBackend>& backends,
                                          const std::vector<BalancerBackend>& vrrp_nodes = {},
                                          const std::string& vip = "");

// VRRP takeover bound: a backup becomes master after 3 adverts plus its
// skew ((256 - priority) / 256 adverts) without hearing the master; plus
// margin_ms for the watcher's 100 ms reads. -1 without vrrp.
int64_t VrrpBoundMs(const BalancerOptions& options);
inline constexpr int kVrrpPrimaryPriority = 150;
inline constexpr int kVrrpBackupPriority = 100;

// The interface carrying `host` and its prefix length, from the output of
// `ip -o -4 addr show`. NotFound when no line has it.
struct InterfaceAddress {
  std::string name;
  int prefix = 0;
};
Result<InterfaceAddress> InterfaceOf(const std::string& ip_addr_output, const std::string& host);
// Whether `vip` is one of the addresses in `ip -o -4 addr show` output.
bool HoldsAddress(const std::string& ip_addr_output, const std::string& vip);

// The virtual address: `wanted` when given (checked: an IPv4 address inside
// host/prefix, neither its network nor broadcast address, no node's address);
// otherwise the highest address of host/prefix that is no node's and not the
// broadcast address. InvalidArgument naming option vip, or saying why the
// subnet has no room (prefix > 30, every address taken), or naming a node
// whose host is not an IPv4 address.
Result<std::string> ChooseVip(const std::string& host, int prefix,
                              const std::vector<std::string>& node_hosts,
                              const std::string& wanted);

// The configuration files, pure functions of their inputs (tested apart).
std::string KeepalivedConfig(const BalancerOptions& options, const std::string& node_name,
                             const std::string& interface, const std::string& vip, int prefix,
                             int priority, const std::string& notify_script);
std::string BackendConfig(const std::string& node_name, const std::string& host, int port,
                          const std::string& dir);
std::string HaproxyConfig(const BalancerOptions& options, const std::string& host,
                          const std::vector<BalancerBackend>& backends);
std::string NginxBalancerConfig(const BalancerOptions& options, const std::string& host,
                                const std::vector<BalancerBackend>& backends,
                                const std::string& dir);

// Per-server state from HAProxy's stats CSV (backend "be"): name -> status
// ("UP", "DOWN", "UP 1/3", "MAINT", ...) and total sessions. InvalidArgument
// when the CSV has no header or no status/stot columns.
struct ServerStat {
  std::string name;
  std::string status;
  int64_t sessions = 0;
};
Result<std::vector<ServerStat>> ParseHaproxyStats(const std::string& csv);

// Request ids in a backend's applied.log text, in order; malformed lines are
// skipped (a line cut by a kill).
std::vector<int64_t> ParseAppliedLog(const std::string& text);

}  // namespace faultline
