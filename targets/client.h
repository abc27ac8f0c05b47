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

// Completions of `invocation` (index and time -1, node `node`).
Op CompleteOk(const Op& invocation, const std::string& node, Json value);
Op CompleteFail(const Op& invocation, const std::string& node, std::string error);
Op CompleteInfo(const Op& invocation, const std::string& node, std::string error);

}  // namespace faultline
