// RedisConnection: one connection to one Redis server or Sentinel, as the
// Redis clients and the Redis targets use it. The real one wraps hiredis
// (Debian's libhiredis); tests script a fake through the same interface.
//
// Errors say whether a command may have reached the server, which is what
// honest client outcomes need:
//   kUnreachable  the connection could not be made: nothing was sent
//   kTimeout      no reply within the request timeout: it may have run
//   kIoError      the connection broke after sending: it may have run
// After a kTimeout or kIoError the connection is unusable; drop it.
// Error *replies* ("-READONLY ...") are not errors: they are RedisReply of
// type kError, the server's own answer.
//
// Thread-safety: a connection is used by one thread at a time. A connector
// may be called concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness/base/status.h"

namespace faultline {

struct RedisReply {
  enum class Type { kString, kStatus, kError, kInteger, kNil, kArray };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<RedisReply> elements;  // kArray

  static RedisReply String(std::string s) { return {Type::kString, std::move(s), 0, {}}; }
  static RedisReply StatusReply(std::string s) { return {Type::kStatus, std::move(s), 0, {}}; }
  static RedisReply Error(std::string s) { return {Type::kError, std::move(s), 0, {}}; }
  static RedisReply Integer(long long i) { return {Type::kInteger, "", i, {}}; }
  static RedisReply Nil() { return {}; }
  static RedisReply Array(std::vector<RedisReply> e) { return {Type::kArray, "", 0, std::move(e)}; }

  bool is_error() const { return type == Type::kError; }
  // The first word of an error reply ("READONLY", "MOVED"), else "".
  std::string ErrorCode() const;
  // Human-readable, for messages: "OK", "(nil)", "(error) READONLY ...", "[a, b]".
  std::string ToString() const;
};

struct RedisTimeouts {
  std::chrono::milliseconds connect{500};
  std::chrono::milliseconds request{2000};
};

class RedisConnection {
 public:
  virtual ~RedisConnection() = default;
  // Sends one command (binary-safe arguments) and reads its reply.
  virtual Result<RedisReply> Command(const std::vector<std::string>& argv) = 0;
};

// Connects to host:port; kUnreachable (naming the address) when it cannot.
using RedisConnector = std::function<Result<std::unique_ptr<RedisConnection>>(
    const std::string& host, int port, const RedisTimeouts& timeouts)>;

// The hiredis connector.
RedisConnector HiredisConnector();

}  // namespace faultline
