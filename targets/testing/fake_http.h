// Test helper: a scripted HttpTransport. Every transport a FakeHttp makes
// answers through the same handler and records into the same log.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "targets/http_transport.h"

namespace faultline {

class FakeHttp {
 public:
  struct Request {
    std::string method;  // "GET" or "POST"
    std::string url;
    std::string body;
  };
  using Handler = std::function<Result<HttpResponse>(const Request&)>;

  void SetHandler(Handler handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }

  // Answers every request with `status` and `body`.
  void AnswerAll(long status, std::string body) {
    SetHandler([status, body](const Request&) -> Result<HttpResponse> {
      return HttpResponse{status, body};
    });
  }

  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  // A factory for EtcdOptions::make_transport / EtcdClientOptions::make_transport.
  std::function<std::unique_ptr<HttpTransport>(const HttpTimeouts&)> factory() {
    return [this](const HttpTimeouts& timeouts) -> std::unique_ptr<HttpTransport> {
      {
        std::lock_guard lock(mu_);
        timeouts_.push_back(timeouts);
      }
      return std::make_unique<Transport>(*this);
    };
  }

  std::vector<HttpTimeouts> timeouts() const {
    std::lock_guard lock(mu_);
    return timeouts_;
  }

 private:
  class Transport final : public HttpTransport {
   public:
    explicit Transport(FakeHttp& http) : http_(http) {}
    Result<HttpResponse> Post(const std::string& url, const std::string& body) override {
      return http_.Handle({"POST", url, body});
    }
    Result<HttpResponse> Get(const std::string& url) override {
      return http_.Handle({"GET", url, ""});
    }

   private:
    FakeHttp& http_;
  };

  Result<HttpResponse> Handle(const Request& request) {
    Handler handler;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      handler = handler_;
    }
    if (!handler) return Status::Unreachable("fake http: no handler");
    return handler(request);
  }

  mutable std::mutex mu_;
  Handler handler_;
  std::vector<Request> requests_;
  std::vector<HttpTimeouts> timeouts_;
};

}  // namespace faultline
