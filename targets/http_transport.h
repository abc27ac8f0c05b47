// HttpTransport: one HTTP/1.1 connection's worth of requests, as target
// clients need them: POST a JSON body or GET, and learn honestly whether a
// failed request may have reached the server.
//
// Error codes carry that knowledge, which decides fail versus info:
//   kUnreachable  the request certainly did not reach the server: no
//                 connection could be made, or not one byte of the request
//                 body was handed to the connection
//   kTimeout      no complete response within the deadline; it may have
//                 reached the server
//   kIoError      the connection broke after the request may have been sent
// Any HTTP response, whatever its status, is Ok.
//
// Thread-safety: not thread-safe; one transport per client (it keeps one
// connection alive between requests).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "harness/base/status.h"

namespace faultline {

struct HttpResponse {
  long status = 0;  // HTTP status code
  std::string body;
};

struct HttpTimeouts {
  std::chrono::milliseconds connect{1000};
  std::chrono::milliseconds total{5000};  // the whole request, connecting included
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // POSTs `body` as application/json to `url` ("http://host:port/path").
  virtual Result<HttpResponse> Post(const std::string& url, const std::string& body) = 0;
  // GETs `url`.
  virtual Result<HttpResponse> Get(const std::string& url) = 0;
};

// A libcurl transport: one easy handle, connection kept alive, no signals.
// libcurl may re-send a request on a fresh connection when a kept-alive one
// turns out dead; the transport counts such a request as possibly sent.
std::unique_ptr<HttpTransport> MakeCurlTransport(const HttpTimeouts& timeouts);

}  // namespace faultline
