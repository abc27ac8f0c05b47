#include "targets/redis_conn.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>

namespace faultline {
namespace {

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = RedisReply::Type::kString; break;
    case REDIS_REPLY_STATUS: out.type = RedisReply::Type::kStatus; break;
    case REDIS_REPLY_ERROR: out.type = RedisReply::Type::kError; break;
    case REDIS_REPLY_INTEGER: out.type = RedisReply::Type::kInteger; break;
    case REDIS_REPLY_ARRAY: out.type = RedisReply::Type::kArray; break;
    default: out.type = RedisReply::Type::kNil; break;
  }
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR) {
    out.str.assign(r->str, r->len);
  }
  if (r->type == REDIS_REPLY_INTEGER) out.integer = r->integer;
  if (r->type == REDIS_REPLY_ARRAY) {
    out.elements.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
  }
  return out;
}

class HiredisConnection final : public RedisConnection {
 public:
  HiredisConnection(redisContext* c, std::string address) : c_(c), address_(std::move(address)) {}
  ~HiredisConnection() override { redisFree(c_); }

  Result<RedisReply> Command(const std::vector<std::string>& argv) override {
    if (broken_) return Status::IoError(address_ + ": connection already broken");
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    void* raw = redisCommandArgv(c_, static_cast<int>(args.size()), args.data(), lens.data());
    if (raw == nullptr) {
      broken_ = true;
      const bool timed_out =
          c_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ETIMEDOUT);
      const std::string what = address_ + ": " + (c_->errstr[0] ? c_->errstr : "i/o error");
      return timed_out ? Status::Timeout(what) : Status::IoError(what);
    }
    RedisReply reply = Convert(static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    return reply;
  }

 private:
  redisContext* c_;
  const std::string address_;
  bool broken_ = false;
};

}  // namespace

std::string RedisReply::ErrorCode() const {
  if (type != Type::kError) return "";
  return str.substr(0, str.find(' '));
}

std::string RedisReply::ToString() const {
  switch (type) {
    case Type::kString:
    case Type::kStatus: return str;
    case Type::kError: return "(error) " + str;
    case Type::kInteger: return std::to_string(integer);
    case Type::kNil: return "(nil)";
    case Type::kArray: {
      std::string s = "[";
      for (size_t i = 0; i < elements.size(); ++i) s += (i ? ", " : "") + elements[i].ToString();
      return s + "]";
    }
  }
  return "";
}

RedisConnector HiredisConnector() {
  return [](const std::string& host, int port,
            const RedisTimeouts& timeouts) -> Result<std::unique_ptr<RedisConnection>> {
    const std::string address = host + ":" + std::to_string(port);
    redisContext* c = redisConnectWithTimeout(host.c_str(), port, ToTimeval(timeouts.connect));
    if (c == nullptr) return Status::Unreachable(address + ": cannot allocate a connection");
    if (c->err != 0) {
      Status st = Status::Unreachable(address + ": " + c->errstr);
      redisFree(c);
      return st;
    }
    if (redisSetTimeout(c, ToTimeval(timeouts.request)) != REDIS_OK) {
      redisFree(c);
      return Status::Unreachable(address + ": cannot set the request timeout");
    }
    return std::unique_ptr<RedisConnection>(std::make_unique<HiredisConnection>(c, address));
  };
}

}  // namespace faultline
