// Client: one worker's connection to one node of a target; it turns an
// invocation into a completion.
//
// Outcomes are honest, as Jepsen's:
//   ok    the operation happened; value is its result
//   fail  the operation certainly did not happen (nothing was sent, the
//         system refused it before acting, a compare did not match)
//   info  unknown: it may have happened, or may still happen (timeout,
//         connection lost after sending). The runner retires the process.
// A completion always has an `error` (a string, "<kind>: <detail>") when it is
// not ok, except for mismatched compare-and-sets (error "cas-mismatch").
//
// Thread-safety: a Client is used by one thread at a time; different clients
// (even on the same node) may be used concurrently. A client must not outlive
// the Target that made it.
#pragma once

#include <memory>
#include <string>

#include "harness/base/status.h"
#include "harness/history/op.h"
#include "targets/target.h"

namespace faultline {

class Client {
 public:
  virtual ~Client() = default;

  // Binds the client to `node`. Ok when it is ready to invoke; it may connect
  // lazily, so a node that is down shows up in Invoke's outcomes, not here.
  // InvalidArgument when the node is unknown to the target or unusable.
  // Called once, before the first Invoke.
  virtual Status Open(const NodeInfo& node) = 0;

  // Performs `invocation` (type invoke) and returns its completion: the same
  // process, f, key, with type ok / fail / info, the result value, an error
  // when not ok, node set to the client's node, and index and time left at -1
  // for the recorder. Never throws. An f the client does not know completes as
  // fail (nothing was done).
  virtual Op Invoke(const Op& invocation) = 0;

  // Releases connections. Idempotent; the destructor closes too.
  virtual void Close() = 0;
};

// Capability of a target: clients for integer registers, keyed by op.key (any
// JSON scalar; null is a key too). Each client speaks:
//   f "read"   value ignored       -> ok, value = the register's value (null
//                                     when never written)
//   f "write"  value v             -> ok, value v
//   f "cas"    value [old, new]    -> ok when the register held old and now
//                                     holds new; fail with error "cas-mismatch"
//                                     when it did not hold old (nothing changed)
// Values are JSON values (the register workload uses integers).
// Thread-safety: NewRegisterClient may be called concurrently.
class RegisterClientFactory {
 public:
  virtual ~RegisterClientFactory() = default;
  // A new client, not yet opened.
  virtual std::unique_ptr<Client> NewRegisterClient() = 0;
};

// Capability of a target: clients for sets of integers, keyed by op.key (any
// JSON scalar). Each client speaks:
//   f "add"   value e (an integer)  -> ok when e is in the set (adding an
//                                      element already there is ok too)
//   f "read"  value ignored         -> ok, value = every element, as a JSON
//                                      array (any order; [] when never added)
// Honest outcomes as above: an add that may have reached the system but was
// not acknowledged is info, never fail.
// Thread-safety: NewSetClient may be called concurrently.
class SetClientFactory {
 public:
  virtual ~SetClientFactory() = default;
  virtual std::unique_ptr<Client> NewSetClient() = 0;
};

// Capability of a target: clients for named mutual-exclusion locks, the lock's
// name in op.key (any JSON scalar). A client is one lock owner (one session,
// lease or token); it holds at most one lock at a time. Each client speaks:
//   f "acquire"  -> ok once this client holds the lock (it may wait for it);
//                   fail with error "already-held" when this client already
//                   holds it (nothing is done: a lock is not reentrant);
//                   fail when it certainly does not hold it and never will from
//                   this request (refused, timed out before the request was
//                   sent, error "lock-busy" when a try-lock found it held);
//                   info when it may hold it (e.g. timed out after sending).
//   f "release"  -> ok when this client held the lock and released it; fail
//                   with error "not-held" when the system says this client did
//                   not hold it (its lease or TTL ran out: nothing was
//                   released by this request); info when unknown.
// A lock service may lose a holder's lock without telling it (a lease expires
// while the holder is paused): that is exactly what the lock workloads look
// for, so clients report what the system said and never paper over it.
// Thread-safety: NewLockClient may be called concurrently.
class LockClientFactory {
 public:
  virtual ~LockClientFactory() = default;
  virtual std::unique_ptr<Client> NewLockClient() = 0;
};

// Capability of a target: clients that send requests through a load balancer
// to a pool of backends, and can ask the balancer and the backends what
// happened. Each client speaks:
//   f "request"   value {"id": n} (unique in the test), key: the hash key (a
//                 JSON scalar; balancers that hash use it)
//                 -> ok, value {"id": n, "node": backend that answered,
//                    "tried": [backends the balancer attempted, in order]
//                    (only when the balancer says so)}; fail only when the
//                 request certainly reached no backend (the balancer refused
//                 the connection); info otherwise (an error status, a timeout:
//                 a backend may have applied it).
//   f "backends"  -> ok, value {"balancer": node, "algorithm": ...,
//                    "bound_ms": failover bound or null, "settle_ms": how
//                    long after a recovery the backend may stay out, "health": {node:
//                    "UP"|"DOWN"|...}, "sessions": {node: requests sent to
//                    it so far}} ("health" and "sessions" only when the
//                    balancer exposes them); fail when it could not be read.
//   f "applied"   -> ok, value {node: [request ids that node's backend
//                    applied, in order]} for every backend; fail when some
//                    backend could not be read (nothing was changed).
//   f "vip"       (only when ObservesVip) who holds the virtual address of
//                 redundant balancers (VRRP) -> ok, value {"vip": address,
//                    "holders": [nodes], "nodes": {node: {"holds": bool,
//                    "age_ms": how long before the op completed the
//                    address was read on the node}}, "unread": {node:
//                    error} (nodes not read: unknown), "bound_ms": takeover
//                    bound, "advert_int_ms", "priorities": {node: n}};
//                    fail when no node could be read.
// Thread-safety: NewBalanceClient may be called concurrently.
class BalanceClientFactory {
 public:
  virtual ~BalanceClientFactory() = default;
  virtual std::unique_ptr<Client> NewBalanceClient() = 0;
  // Whether clients answer "vip" ops (known before Setup).
  virtual bool ObservesVip() const { return false; }
};

// Completions of `invocation` (index and time -1, node `node`).
Op CompleteOk(const Op& invocation, const std::string& node, Json value);
Op CompleteFail(const Op& invocation, const std::string& node, std::string error);
Op CompleteInfo(const Op& invocation, const std::string& node, std::string error);

}  // namespace faultline
