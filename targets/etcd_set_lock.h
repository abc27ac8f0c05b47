// etcd's set and lock clients, over the same HTTP/JSON gateway and with the
// same honest outcomes as the register client (etcd_client.h).
//
// Set client: an element e of set k is its own etcd key
// <key_prefix>set/<k>/<e> (empty value), so an add is one put, atomic by
// itself, and adding twice is harmless.
//   add   POST /v3/kv/put                    -> ok / fail / info as a write
//   read  POST /v3/kv/range over the prefix <key_prefix>set/<k>/ (keys only,
//         linearizable)                      -> ok, every element; any
//         failure is fail (reads have no effect)
//
// Lock client: one etcd lease per client (its session), granted at the first
// acquire (and again after it is found expired), kept alive by the client's
// own thread every ttl/3, revoked on Close (which frees its locks). The lock
// k is etcd's lock service's name <key_prefix>lock/<k>.
//   acquire  POST /v3/lock/lock {name, lease}: waits in etcd until granted,
//            at most lock_timeout.
//              ok      granted; fail "already-held" when this client holds it;
//              fail    when the lease could not be granted (nothing asked),
//                      or the lock request certainly did not reach etcd;
//              info    timeout or connection lost after sending (it may be
//                      granted later; the runner then closes the client,
//                      which revokes the lease).
//   release  POST /v3/lock/unlock {key}: fail "not-held" when this client
//            holds no lock, or its keepalive found the lease expired (the
//            lock is gone: etcd deleted the key); ok when etcd deleted it;
//            info when unknown.
// A lease that expires while the client works under the lock is not
// papered over: the next release says "not-held", and the workloads' checkers
// decide what it cost.
//
// Thread-safety: as Client; the keepalive thread is internal.
#pragma once

#include <chrono>
#include <memory>

#include "targets/etcd_client.h"

namespace faultline {

struct EtcdLockOptions {
  std::chrono::seconds ttl{2};                // the lease's TTL
  std::chrono::milliseconds lock_timeout{10000};  // how long an acquire may wait
};

std::unique_ptr<Client> MakeEtcdSetClient(EtcdClientOptions options);
std::unique_ptr<Client> MakeEtcdLockClient(EtcdClientOptions options, EtcdLockOptions lock);

}  // namespace faultline
