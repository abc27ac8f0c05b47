#include <utility>

#include "targets/etcd_set_lock.h"

namespace faultline {
namespace {

// The first key after every key that starts with `prefix` (etcd's range_end
// for a prefix scan).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) < 0xff) {
      prefix.back() = static_cast<char>(prefix.back() + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');
}

class EtcdSetClient final : public Client {
 public:
  explicit EtcdSetClient(EtcdClientOptions options) : options_(std::move(options)) {}

  Status Open(const NodeInfo& node) override {
    if (!options_.endpoint || node.host.empty()) {
      return Status::InvalidArgument("cannot open an etcd set client on " + node.name +
                                     ": no endpoint for it");
    }
    base_url_ = options_.endpoint(node);
    node_ = node.name;
    transport_ = options_.make_transport ? options_.make_transport(options_.timeouts)
                                         : MakeCurlTransport(options_.timeouts);
    return Status::Ok();
  }

  Op Invoke(const Op& op) override {
    if (!transport_) return CompleteFail(op, node_, "invalid: the client is not open");
    const std::string prefix = EtcdKey(options_.key_prefix + "set/", op.key) + "/";
    if (op.f == "add") {
      if (!op.value.is_number_integer()) {
        return CompleteFail(op, node_, "invalid: add needs an integer, got " + op.value.dump());
      }
      EtcdAnswer a = EtcdCall(*transport_, base_url_ + "/v3/kv/put",
                              Json{{"key", Base64Encode(prefix + op.value.dump())}, {"value", ""}},
                              /*has_effect=*/true);
      if (a.type == OpType::kOk) return CompleteOk(op, node_, op.value);
      return a.type == OpType::kInfo ? CompleteInfo(op, node_, a.error)
                                     : CompleteFail(op, node_, a.error);
    }
    if (op.f == "read") {
      EtcdAnswer a = EtcdCall(*transport_, base_url_ + "/v3/kv/range",
                              Json{{"key", Base64Encode(prefix)},
                                   {"range_end", Base64Encode(PrefixEnd(prefix))},
                                   {"keys_only", true},
                                   {"serializable", false}},
                              /*has_effect=*/false);
      if (a.type != OpType::kOk) return CompleteFail(op, node_, a.error);
      if (a.body.value("more", false)) {
        return CompleteFail(op, node_, "protocol: range answer is incomplete (more: true)");
      }
      Json elements = Json::array();
      if (a.body.contains("kvs") && a.body["kvs"].is_array()) {
        for (const Json& kv : a.body["kvs"]) {
          Result<std::string> key = Base64Decode(kv.value("key", ""));
          if (!key.ok() || key->size() <= prefix.size()) {
            return CompleteFail(op, node_, "protocol: unexpected key in range: " + kv.dump());
          }
          const std::string text = key->substr(prefix.size());
          Json e = Json::parse(text, nullptr, /*allow_exceptions=*/false);
          // A key this client did not write is reported as the text it is:
          // the checker then shows it as unexpected.
          elements.push_back(e.is_number_integer() ? e : Json(text));
        }
      }
      return CompleteOk(op, node_, std::move(elements));
    }
    return CompleteFail(op, node_, "unsupported: f '" + op.f + "' is not one of add, read");
  }

  void Close() override { transport_.reset(); }

 private:
  const EtcdClientOptions options_;
  std::string node_;
  std::string base_url_;
  std::unique_ptr<HttpTransport> transport_;
};

}  // namespace

std::unique_ptr<Client> MakeEtcdSetClient(EtcdClientOptions options) {
  return std::make_unique<EtcdSetClient>(std::move(options));
}

}  // namespace faultline
