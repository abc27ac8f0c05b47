// Status and Result<T>: errors as values, so that no exception crosses a
// plug-in boundary (Remote, Target, Client, Nemesis, Checker, Model).
//
// A Status is either ok or carries a Code and a human-readable message that a
// user can act on. Result<T> holds a T on success or a non-ok Status.
// Both are plain values; they are thread-compatible (not synchronised).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace faultline {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad usage or malformed input (exit 254)
    kNotFound,
    kUnreachable,       // a node could not be reached at all
    kAuthFailed,        // a node refused our credentials
    kHostKeyMismatch,   // a node's host key differs from the known one
    kTimeout,           // an operation did not finish within its deadline
    kIoError,
    kUnsupported,
    kResourceExhausted,  // a time or memory bound was hit
    kCancelled,
    kInternal,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Unreachable(std::string msg) { return {Code::kUnreachable, std::move(msg)}; }
  static Status AuthFailed(std::string msg) { return {Code::kAuthFailed, std::move(msg)}; }
  static Status HostKeyMismatch(std::string msg) { return {Code::kHostKeyMismatch, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {Code::kTimeout, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {Code::kUnsupported, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) {
    return {Code::kResourceExhausted, std::move(msg)};
  }
  static Status Cancelled(std::string msg) { return {Code::kCancelled, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "timeout: ssh n1: no answer within 10 s"
  std::string ToString() const {
    if (ok()) return "ok";
    return std::string(CodeName(code_)) + ": " + message_;
  }

  static const char* CodeName(Code code) {
    switch (code) {
      case Code::kOk: return "ok";
      case Code::kInvalidArgument: return "invalid argument";
      case Code::kNotFound: return "not found";
      case Code::kUnreachable: return "unreachable";
      case Code::kAuthFailed: return "authentication failed";
      case Code::kHostKeyMismatch: return "host key mismatch";
      case Code::kTimeout: return "timeout";
      case Code::kIoError: return "I/O error";
      case Code::kUnsupported: return "unsupported";
      case Code::kResourceExhausted: return "resource exhausted";
      case Code::kCancelled: return "cancelled";
      case Code::kInternal: return "internal error";
    }
    return "unknown";
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// A Status with the given code and message (Status only has one factory per
// code); kOk ignores the message. Decorators use it to add context to an error
// without changing its type.
inline Status StatusWithCode(Status::Code code, std::string message) {
  using Code = Status::Code;
  switch (code) {
    case Code::kOk: return Status::Ok();
    case Code::kInvalidArgument: return Status::InvalidArgument(std::move(message));
    case Code::kNotFound: return Status::NotFound(std::move(message));
    case Code::kUnreachable: return Status::Unreachable(std::move(message));
    case Code::kAuthFailed: return Status::AuthFailed(std::move(message));
    case Code::kHostKeyMismatch: return Status::HostKeyMismatch(std::move(message));
    case Code::kTimeout: return Status::Timeout(std::move(message));
    case Code::kIoError: return Status::IoError(std::move(message));
    case Code::kUnsupported: return Status::Unsupported(std::move(message));
    case Code::kResourceExhausted: return Status::ResourceExhausted(std::move(message));
    case Code::kCancelled: return Status::Cancelled(std::move(message));
    case Code::kInternal: return Status::Internal(std::move(message));
  }
  return Status::Internal(std::move(message));
}

// Result<T>: a T, or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result built from an ok Status has no value");
    if (status_.ok()) status_ = Status::Internal("Result constructed from ok status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace faultline
