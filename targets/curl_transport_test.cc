// The libcurl transport against scripted HTTP servers on loopback: does it say
// honestly whether a failed request may have reached the server?
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

#include "targets/http_transport.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;

// A listening socket on 127.0.0.1 and one thread that runs `script` on it.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<void(ScriptedServer&)> script) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listener_, 8) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, script = std::move(script)] { script(*this); });
  }

  ~ScriptedServer() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    StopListening();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v3/kv/put"; }

  int Accept() { return accept(listener_, nullptr, nullptr); }

  void StopListening() {
    if (listener_ >= 0) close(listener_);
    listener_ = -1;
  }

  // Reads one request (headers and a Content-Length body); false on EOF.
  static bool ReadRequest(int fd) {
    std::string data;
    char buf[4096];
    for (;;) {
      size_t end = data.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        size_t at = data.find("Content-Length: ");
        if (at != std::string::npos && at < end) length = std::stoul(data.substr(at + 16));
        if (data.size() >= end + 4 + length) return true;
      }
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
    }
  }

  static void Respond(int fd, const std::string& body) {
    std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body;
    ASSERT_EQ(write(fd, response.data(), response.size()), static_cast<ssize_t>(response.size()));
  }

  void WaitUntilDone() {
    while (!done_) std::this_thread::sleep_for(milliseconds(5));
  }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

HttpTimeouts Short() { return {milliseconds(500), milliseconds(400)}; }

TEST(CurlTransportTest, PostsJsonAndReturnsTheAnswer) {
  ScriptedServer server([](ScriptedServer& s) {
    int fd = s.Accept();
    if (ScriptedServer::ReadRequest(fd)) ScriptedServer::Respond(fd, R"({"ok":1})");
    if (ScriptedServer::ReadRequest(fd)) ScriptedServer::Respond(fd, R"({"ok":2})");
    close(fd);
  });
  auto transport = MakeCurlTransport(Short());
  auto first = transport->Post(server.url(), R"({"key":"eA=="})");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, R"({"ok":1})");
  auto second = transport->Post(server.url(), "{}");
  ASSERT_TRUE(second.ok()) << "the connection is kept alive: " << second.status().ToString();
  EXPECT_EQ(second->body, R"({"ok":2})");
}

TEST(CurlTransportTest, RefusedConnectionIsCertainlyNotSent) {
  std::string url;
  {
    ScriptedServer closed([](ScriptedServer&) {});
    url = closed.url();
  }
  auto transport = MakeCurlTransport(Short());
  auto r = transport->Post(url, "{}");
  EXPECT_EQ(r.status().code(), Status::Code::kUnreachable) << r.status().ToString();
  EXPECT_EQ(transport->Get(url).status().code(), Status::Code::kUnreachable);
}

TEST(CurlTransportTest, NoAnswerInTimeMayHaveBeenSent) {
  ScriptedServer server([](ScriptedServer& s) {
    int fd = s.Accept();
    ScriptedServer::ReadRequest(fd);
    s.WaitUntilDone();
    close(fd);
  });
  auto transport = MakeCurlTransport(Short());
  auto r = transport->Post(server.url(), "{}");
  EXPECT_EQ(r.status().code(), Status::Code::kTimeout) << r.status().ToString();
}

// libcurl never asks for an empty body: the request's own bytes decide.
TEST(CurlTransportTest, EmptyPostWithNoAnswerMayHaveBeenSent) {
  ScriptedServer server([](ScriptedServer& s) {
    int fd = s.Accept();
    ScriptedServer::ReadRequest(fd);
    s.WaitUntilDone();
    close(fd);
  });
  auto transport = MakeCurlTransport(Short());
  auto r = transport->Post(server.url(), "");
  EXPECT_EQ(r.status().code(), Status::Code::kTimeout) << r.status().ToString();
}

TEST(CurlTransportTest, EmptyPostRefusedIsCertainlyNotSent) {
  std::string url;
  {
    ScriptedServer closed([](ScriptedServer&) {});
    url = closed.url();
  }
  auto transport = MakeCurlTransport(Short());
  auto r = transport->Post(url, "");
  EXPECT_EQ(r.status().code(), Status::Code::kUnreachable) << r.status().ToString();
}

TEST(CurlTransportTest, ConnectionClosedAfterTheRequestMayHaveBeenSent) {
  ScriptedServer server([](ScriptedServer& s) {
    int fd = s.Accept();
    ScriptedServer::ReadRequest(fd);
    close(fd);
  });
  auto transport = MakeCurlTransport(Short());
  auto r = transport->Post(server.url(), "{}");
  EXPECT_EQ(r.status().code(), Status::Code::kIoError) << r.status().ToString();
}

// A kept-alive connection dies after the server read the request; libcurl
// re-sends on a new connection, which is refused (libcurl 7.88 reports
// "Couldn't connect"). The request did reach the server, so this must not be
// reported as "certainly not sent".
TEST(CurlTransportTest, SilentRetryAfterADeadKeptAliveConnectionIsNotUnreachable) {
  ScriptedServer server([](ScriptedServer& s) {
    int fd = s.Accept();
    if (ScriptedServer::ReadRequest(fd)) ScriptedServer::Respond(fd, "{}");
    ScriptedServer::ReadRequest(fd);
    s.StopListening();
    close(fd);
  });
  auto transport = MakeCurlTransport(Short());
  ASSERT_TRUE(transport->Post(server.url(), "{}").ok());
  auto r = transport->Post(server.url(), R"({"key":"eA==","value":"MQ=="})");
  EXPECT_EQ(r.status().code(), Status::Code::kIoError) << r.status().ToString();
}

}  // namespace
}  // namespace faultline
