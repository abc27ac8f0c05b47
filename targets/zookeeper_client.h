// ZooKeeper clients over Debian's C client library (libzookeeper_mt): one
// ZooKeeper session per client, connected to the client's node only (as
// Jepsen binds a client to a node), created lazily and re-created when
// ZooKeeper expires it.
//
// Znodes live under <root> (default /faultline); a key becomes one znode
// name (ZnodeName: op.key's string, or its JSON text, with every byte other
// than [A-Za-z0-9_-] written as %XX).
//
// register  <root>/register/<key>, its data the JSON text of the value.
//   read   getData (after sync() when sync_reads); absent: null
//   write  setData(version -1); absent: create (a concurrent create makes
//          it set again)
//   cas    sync(), getData, and when the value is the expected one
//          setData(the version read) or, for an expected null and no znode,
//          create; a different value: fail "cas-mismatch"; a version that
//          moved in between (BadVersion, NodeExists): read again, up to
//          kCasAttempts times, then fail "cas-contended" (nothing was
//          written). The compare read always follows a sync(), so that a
//          mismatch is observed within the operation rather than in a
//          follower's past.
// set       <root>/set/<key>/e<element>-<sequence>: add creates a sequential
//           child whose name holds the element; read = getChildren (after
//           sync() when sync_reads), one atomic answer, elements deduplicated
//           and sorted.
// lock      <root>/lock/<key>/lock-<sequence>, ZooKeeper's lock recipe:
//   acquire  create an ephemeral sequential child; list the children; the
//            lowest holds the lock; otherwise watch the next lower one and
//            list again when it goes. Not held within acquire_timeout: delete
//            the child, fail "timeout" (info when even that fails).
//   release  delete the child: ok; the child gone, or the session expired
//            (ZooKeeper deleted it): fail "not-held".
//   A client holds at most one lock; it is lost when the session expires
//   (session_timeout), which is what the lock workloads look for.
//
// Reads: ZooKeeper serves a read from the server the client is connected to,
// which may be a follower behind the leader: plain reads are sequentially
// consistent, not linearizable. sync() first makes the server catch up with
// the leader; ZooKeeper's documentation offers sync+read for an up-to-date
// read (and ZOOKEEPER-1675 notes that even sync is not a quorum operation).
//
// Outcomes (client.h): not connected within connect_timeout -> fail
// "unreachable" (nothing was sent); reads never have an effect, so a read
// that went wrong is fail; a write whose answer is lost (connection loss,
// operation timeout, session expired or moved) is info; ZooKeeper errors that
// mean the request was refused (no node, node exists, bad version, bad
// arguments, not read-only, ...) are fail.
//
// Thread-safety: as Client (one thread at a time).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "harness/base/status.h"
#include "targets/client.h"

namespace faultline {

struct ZooKeeperClientOptions {
  std::string root = "/faultline";  // absolute, no trailing '/'
  // Asked of the server, which keeps it within 2 to 20 ticks.
  std::chrono::milliseconds session_timeout{std::chrono::seconds(5)};
  // How long an op waits for a connected session before failing unsent.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(3)};
  // How long a lock acquire waits for the lock.
  std::chrono::milliseconds acquire_timeout{std::chrono::seconds(10)};
  bool sync_reads = true;
  // The node's "host:port" for the C client; set by the target.
  std::function<std::string(const NodeInfo&)> endpoint;
};

// Tries of a CAS whose version moved between its read and its write.
inline constexpr int kZooKeeperCasAttempts = 5;

std::unique_ptr<Client> MakeZooKeeperRegisterClient(ZooKeeperClientOptions options);
std::unique_ptr<Client> MakeZooKeeperSetClient(ZooKeeperClientOptions options);
std::unique_ptr<Client> MakeZooKeeperLockClient(ZooKeeperClientOptions options);

// A znode name for a key (see above): never empty, never "." or "..".
std::string ZnodeName(const Json& key);

// The element a set child's name holds ("e-12-0000000003" -> -12);
// InvalidArgument for a name no set client writes.
Result<int64_t> SetElementOfChild(const std::string& child);

// InvalidArgument naming the option when root is not an absolute path
// without a trailing '/', or a timeout is not positive.
Status ValidateZooKeeperClientOptions(const ZooKeeperClientOptions& options);

}  // namespace faultline
