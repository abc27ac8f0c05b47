#include "targets/etcd_client.h"

#include <algorithm>
#include <array>
#include <utility>

namespace faultline {
namespace {

// gRPC status codes that etcd only returns for requests it rejected while
// validating them, before anything was proposed.
constexpr int64_t kGrpcInvalidArgument = 3;
constexpr int64_t kGrpcPermissionDenied = 7;
constexpr int64_t kGrpcUnimplemented = 12;
constexpr int64_t kGrpcUnauthenticated = 16;

std::string Truncated(const std::string& text, size_t limit = 300) {
  return text.size() <= limit ? text : text.substr(0, limit) + "...";
}

class EtcdRegisterClient final : public Client {
 public:
  explicit EtcdRegisterClient(EtcdClientOptions options) : options_(std::move(options)) {}

  Status Open(const NodeInfo& node) override {
    if (!options_.endpoint) {
      return Status::InvalidArgument("etcd client for " + node.name + ": no endpoint function");
    }
    if (node.host.empty()) {
      return Status::InvalidArgument("cannot open an etcd client on " + node.name +
                                     ": the node has no host");
    }
    base_url_ = options_.endpoint(node);
    node_ = node.name;
    transport_ = options_.make_transport ? options_.make_transport(options_.timeouts)
                                         : MakeCurlTransport(options_.timeouts);
    return Status::Ok();
  }

  Op Invoke(const Op& op) override {
    if (transport_ == nullptr) return CompleteFail(op, node_, "invalid: the client is not open");
    const std::string key =
        options_.key_prefix + (op.key.is_string() ? op.key.get<std::string>() : op.key.dump());
    if (op.f == "read") return Read(op, key);
    if (op.f == "write") return Write(op, key);
    if (op.f == "cas") return Cas(op, key);
    return CompleteFail(op, node_, "unsupported: f '" + op.f + "' is not one of read, write, cas");
  }

  void Close() override { transport_.reset(); }

 private:
  using Answer = EtcdAnswer;

  Answer Call(const std::string& path, const Json& request, bool has_effect) {
    return EtcdCall(*transport_, base_url_ + path, request, has_effect);
  }

  Op Completion(const Op& op, Answer answer) {
    if (answer.type == OpType::kInfo) return CompleteInfo(op, node_, std::move(answer.error));
    return CompleteFail(op, node_, std::move(answer.error));
  }

  Op Read(const Op& op, const std::string& key) {
    Answer a = Call("/v3/kv/range", Json{{"key", Base64Encode(key)}, {"serializable", false}},
                    /*has_effect=*/false);
    if (a.type != OpType::kOk) return Completion(op, std::move(a));
    const Json& kvs = a.body.contains("kvs") ? a.body["kvs"] : Json();
    if (kvs.is_null() || (kvs.is_array() && kvs.empty())) return CompleteOk(op, node_, Json());
    if (!kvs.is_array() || !kvs[0].is_object()) {
      return CompleteFail(op, node_,
                          "protocol: unexpected kvs in range answer: " + Truncated(a.body.dump()));
    }
    const Json& value = kvs[0].contains("value") ? kvs[0]["value"] : Json("");
    if (!value.is_string()) {
      return CompleteFail(op, node_, "protocol: value is not a string: " + value.dump());
    }
    Result<std::string> bytes = Base64Decode(value.get<std::string>());
    if (!bytes.ok()) return CompleteFail(op, node_, "protocol: " + bytes.status().message());
    // Text that is not JSON was not written by this client; it is reported as
    // the string it is, so that the checker shows what was read.
    Json parsed = Json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
    return CompleteOk(op, node_, parsed.is_discarded() ? Json(*bytes) : std::move(parsed));
  }

  static Json PutOrDelete(const std::string& key, const Json& value) {
    if (value.is_null()) return Json{{"request_delete_range", {{"key", Base64Encode(key)}}}};
    return Json{
        {"request_put", {{"key", Base64Encode(key)}, {"value", Base64Encode(value.dump())}}}};
  }

  Op Write(const Op& op, const std::string& key) {
    Answer a =
        op.value.is_null()
            ? Call("/v3/kv/deleterange", Json{{"key", Base64Encode(key)}}, true)
            : Call("/v3/kv/put",
                   Json{{"key", Base64Encode(key)}, {"value", Base64Encode(op.value.dump())}},
                   true);
    if (a.type != OpType::kOk) return Completion(op, std::move(a));
    return CompleteOk(op, node_, op.value);
  }

  Op Cas(const Op& op, const std::string& key) {
    if (!op.value.is_array() || op.value.size() != 2) {
      return CompleteFail(op, node_,
                          "invalid: cas value must be [old, new], got " + op.value.dump());
    }
    const Json& old_value = op.value[0];
    Json compare = old_value.is_null() ? Json{{"key", Base64Encode(key)},
                                              {"target", "VERSION"},
                                              {"result", "EQUAL"},
                                              {"version", "0"}}
                                       : Json{{"key", Base64Encode(key)},
                                              {"target", "VALUE"},
                                              {"result", "EQUAL"},
                                              {"value", Base64Encode(old_value.dump())}};
    Json txn = {{"compare", Json::array({compare})},
                {"success", Json::array({PutOrDelete(key, op.value[1])})}};
    Answer a = Call("/v3/kv/txn", txn, true);
    if (a.type != OpType::kOk) return Completion(op, std::move(a));
    const Json& succeeded = a.body.contains("succeeded") ? a.body["succeeded"] : Json(false);
    if (!succeeded.is_boolean()) {
      return CompleteInfo(op, node_, "protocol: succeeded is not a boolean: " + succeeded.dump());
    }
    if (!succeeded.get<bool>()) return CompleteFail(op, node_, kCasMismatchError);
    return CompleteOk(op, node_, op.value);
  }

  const EtcdClientOptions options_;
  std::string node_;
  std::string base_url_;
  std::unique_ptr<HttpTransport> transport_;  // null while closed
};

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::unique_ptr<Client> MakeEtcdRegisterClient(EtcdClientOptions options) {
  return std::make_unique<EtcdRegisterClient>(std::move(options));
}

EtcdAnswer EtcdCall(HttpTransport& transport, const std::string& url, const Json& request,
                    bool has_effect) {
  const OpType unknown = has_effect ? OpType::kInfo : OpType::kFail;
  const std::string path = url.substr(std::min(url.find('/', url.find("//") + 2), url.size()));
  Result<HttpResponse> r = transport.Post(url, request.dump());
  if (!r.ok()) {
    switch (r.status().code()) {
      case Status::Code::kUnreachable:
        return {OpType::kFail, {}, "unreachable: " + r.status().message()};
      case Status::Code::kTimeout:
        return {unknown, {}, "timeout: " + r.status().message()};
      default:
        return {unknown, {}, "connection-lost: " + r.status().message()};
    }
  }
  Json body = Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (r->status == 200) {
    if (!body.is_object()) {
      return {unknown, {}, "protocol: unparsable answer from " + path + ": " + Truncated(r->body)};
    }
    return {OpType::kOk, std::move(body), ""};
  }
  if (body.is_object() && (body.contains("message") || body.contains("error"))) {
    const Json& text = body.contains("message") ? body["message"] : body["error"];
    const std::string message = text.is_string() ? text.get<std::string>() : text.dump();
    int64_t code = -1;
    if (body.contains("code") && body["code"].is_number_integer()) {
      code = body["code"].get<int64_t>();
    }
    const bool not_applied = ClassifyEtcdError(code, message) == EtcdErrorEffect::kNotApplied;
    return {not_applied ? OpType::kFail : unknown, {}, "etcd: " + message};
  }
  // No etcd error body: the gateway never routed the request to etcd.
  const bool not_routed = r->status == 404 || r->status == 405;
  return {not_routed ? OpType::kFail : unknown,
          {},
          "http: status " + std::to_string(r->status) + " from " + path + ": " +
              Truncated(r->body)};
}

std::string EtcdKey(const std::string& prefix, const Json& key) {
  return prefix + (key.is_string() ? key.get<std::string>() : key.dump());
}

EtcdErrorEffect ClassifyEtcdError(int64_t grpc_code, std::string_view message) {
  if (grpc_code == kGrpcInvalidArgument || grpc_code == kGrpcPermissionDenied ||
      grpc_code == kGrpcUnimplemented || grpc_code == kGrpcUnauthenticated) {
    return EtcdErrorEffect::kNotApplied;
  }
  // Each is returned before the request is proposed to raft, or (no space)
  // refused when applied.
  static constexpr std::array<std::string_view, 7> kRejected = {
      "etcdserver: too many requests",
      "etcdserver: request is too large",
      "etcdserver: no leader",
      "etcdserver: not capable",
      "etcdserver: rpc not supported for learner",
      "etcdserver: mvcc: database space exceeded",
      "etcdserver: no space",
  };
  for (std::string_view rejected : kRejected) {
    if (StartsWith(message, rejected)) return EtcdErrorEffect::kNotApplied;
  }
  // raft refused the proposal locally (no known leader, leadership transfer).
  if (message.find("raft proposal dropped") != std::string_view::npos) {
    return EtcdErrorEffect::kNotApplied;
  }
  return EtcdErrorEffect::kUnknown;
}

std::string HttpUrl(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace faultline
