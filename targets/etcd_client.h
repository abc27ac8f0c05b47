// The etcd register client: read / write / cas over etcd's HTTP/JSON gateway
// (etcd 3.4 serves it at <client-url>/v3/...; keys and values are base64 in
// the JSON). A register is the etcd key <key_prefix><key>, the key being
// op.key's string when it is a string and its JSON text otherwise; its value
// is the JSON text of the register's value (absent key: null).
//
//   read   POST /v3/kv/range {key}: linearizable (serializable is false)
//   write  POST /v3/kv/put {key, value}; writing null deletes the key
//   cas    POST /v3/kv/txn: compare value == old (old null: the key is
//          absent) then put new; "succeeded" absent or false -> fail with
//          error "cas-mismatch"
//
// Outcomes (see client.h):
//   - request certainly not sent (connect refused / timed out, nothing of
//     the body handed to the connection) -> fail, "unreachable: ..."
//   - reads never have an effect, so every failed read is fail, whatever
//     went wrong; the worker keeps its process
//   - write / cas timed out or connection lost after sending -> info
//   - write / cas answered with an etcd error -> ClassifyEtcdError decides
//
// Thread-safety: as Client (one thread at a time).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "harness/base/status.h"
#include "targets/client.h"
#include "targets/http_transport.h"

namespace faultline {

struct EtcdClientOptions {
  std::string key_prefix = "faultline/";
  HttpTimeouts timeouts;
  // The client URL of a node, without a trailing slash: "http://10.0.0.1:2379".
  std::function<std::string(const NodeInfo&)> endpoint;
  // Makes the client's transport; null: libcurl.
  std::function<std::unique_ptr<HttpTransport>(const HttpTimeouts&)> make_transport;
};

std::unique_ptr<Client> MakeEtcdRegisterClient(EtcdClientOptions options);

// One gateway request's outcome, before it becomes a completion: ok with the
// parsed body, or fail / info with an error, by the rules above (`has_effect`:
// the request may change the store, so an unknown outcome is info, not fail).
struct EtcdAnswer {
  OpType type = OpType::kOk;
  Json body;
  std::string error;
};
// POSTs `request` to `url` (base URL + path) through `transport`.
EtcdAnswer EtcdCall(HttpTransport& transport, const std::string& url, const Json& request,
                    bool has_effect);
// The etcd key of op.key under `prefix`: the key's string when it is a
// string, its JSON text otherwise.
std::string EtcdKey(const std::string& prefix, const Json& key);

// Whether an etcd error answer to a write means the write did not happen.
enum class EtcdErrorEffect {
  kNotApplied,  // rejected before it could be proposed, or validation failed
  kUnknown,     // it may have been proposed and may still commit
};
// Decides from the gRPC status code and message of the gateway's error body
// ({"error": ..., "message": ..., "code": N}). Only errors etcd returns before
// proposing to raft (validation, too many requests, no leader, proposal
// dropped, no space, request too large, ...) are kNotApplied; anything else,
// including timeouts, "leader changed" and "server stopped", is kUnknown.
EtcdErrorEffect ClassifyEtcdError(int64_t grpc_code, std::string_view message);

// Standard base64 with padding (as etcd's JSON uses for bytes).
std::string Base64Encode(std::string_view bytes);
// InvalidArgument naming the offending position on malformed input.
Result<std::string> Base64Decode(std::string_view text);

// "http://host:port", with an IPv6 host in brackets.
std::string HttpUrl(const std::string& host, int port);

}  // namespace faultline
