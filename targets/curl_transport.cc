// libcurl HttpTransport. Whether a failed POST may have reached the server is
// decided by whether libcurl ever asked for the body: the body is supplied
// through a read callback, and libcurl only asks for it once a connection
// stands and the request is being written. That also covers libcurl's silent
// retry on a fresh connection after a kept-alive one died mid-request (the
// first attempt already asked for the body). An empty body is never asked
// for; then any request bytes written count as "may have reached it".
#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "targets/http_transport.h"

namespace faultline {
namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(const HttpTimeouts& timeouts) : timeouts_(timeouts) {
    InitCurlOnce();
    handle_ = curl_easy_init();
    headers_ = curl_slist_append(nullptr, "Content-Type: application/json");
    // No "Expect: 100-continue" round trip for larger bodies.
    headers_ = curl_slist_append(headers_, "Expect:");
  }

  ~CurlTransport() override {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
    curl_slist_free_all(headers_);
  }

  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<HttpResponse> Post(const std::string& url, const std::string& body) override {
    if (handle_ == nullptr) return Status::Unreachable("POST " + url + ": curl_easy_init failed");
    Prepare(url);
    body_ = &body;
    body_offset_ = 0;
    body_requested_ = false;
    curl_easy_setopt(handle_, CURLOPT_POST, 1L);
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(handle_, CURLOPT_READFUNCTION, &CurlTransport::ReadBody);
    curl_easy_setopt(handle_, CURLOPT_READDATA, this);
    curl_easy_setopt(handle_, CURLOPT_SEEKFUNCTION, &CurlTransport::SeekBody);
    curl_easy_setopt(handle_, CURLOPT_SEEKDATA, this);
    CURLcode code = curl_easy_perform(handle_);
    body_ = nullptr;
    if (code == CURLE_OK) return Response();
    // An empty body is never asked for: then whether request bytes went out
    // decides (a POST with no body, timed out after it was written, may well
    // have been applied).
    long request_bytes = 0;
    curl_easy_getinfo(handle_, CURLINFO_REQUEST_SIZE, &request_bytes);
    if (!body_requested_ && request_bytes == 0) {
      return Status::Unreachable("POST " + url + " not sent: " + ErrorText(code));
    }
    if (code == CURLE_OPERATION_TIMEDOUT) {
      return Status::Timeout("POST " + url + ": no response within " +
                             std::to_string(timeouts_.total.count()) + " ms: " + ErrorText(code));
    }
    return Status::IoError("POST " + url + ": connection lost after sending: " + ErrorText(code));
  }

  Result<HttpResponse> Get(const std::string& url) override {
    if (handle_ == nullptr) return Status::Unreachable("GET " + url + ": curl_easy_init failed");
    Prepare(url);
    curl_easy_setopt(handle_, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, nullptr);
    CURLcode code = curl_easy_perform(handle_);
    if (code == CURLE_OK) return Response();
    std::string what = "GET " + url + ": " + ErrorText(code);
    switch (code) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
        return Status::Unreachable(what);
      case CURLE_OPERATION_TIMEDOUT:
        return Status::Timeout(what);
      default:
        return Status::IoError(what);
    }
  }

 private:
  void Prepare(const std::string& url) {
    response_.clear();
    error_[0] = '\0';
    curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(handle_, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(timeouts_.connect.count()));
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts_.total.count()));
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &CurlTransport::WriteResponse);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(handle_, CURLOPT_NOPROXY, "*");  // targets are reached directly
  }

  Result<HttpResponse> Response() {
    HttpResponse r;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &r.status);
    r.body = std::move(response_);
    return r;
  }

  std::string ErrorText(CURLcode code) const {
    return error_[0] != '\0' ? std::string(error_) : std::string(curl_easy_strerror(code));
  }

  static size_t WriteResponse(char* data, size_t size, size_t count, void* self) {
    static_cast<CurlTransport*>(self)->response_.append(data, size * count);
    return size * count;
  }

  static size_t ReadBody(char* buffer, size_t size, size_t count, void* self_ptr) {
    auto* self = static_cast<CurlTransport*>(self_ptr);
    self->body_requested_ = true;
    const size_t n = std::min(size * count, self->body_->size() - self->body_offset_);
    std::memcpy(buffer, self->body_->data() + self->body_offset_, n);
    self->body_offset_ += n;
    return n;
  }

  // libcurl rewinds the body when it re-sends the request on a new connection.
  static int SeekBody(void* self_ptr, curl_off_t offset, int origin) {
    auto* self = static_cast<CurlTransport*>(self_ptr);
    if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > self->body_->size()) {
      return CURL_SEEKFUNC_CANTSEEK;
    }
    self->body_offset_ = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }

  const HttpTimeouts timeouts_;
  CURL* handle_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string response_;
  char error_[CURL_ERROR_SIZE] = {};
  const std::string* body_ = nullptr;
  size_t body_offset_ = 0;
  bool body_requested_ = false;
};

}  // namespace

std::unique_ptr<HttpTransport> MakeCurlTransport(const HttpTimeouts& timeouts) {
  return std::make_unique<CurlTransport>(timeouts);
}

}  // namespace faultline
