// `faultline serve`: the store's file rules, and the real server over loopback.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "harness/cli/store_files.h"

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("faultline-serve-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
    path_ = fs::canonical(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// store/ with a run, a "latest" link inside it, and two links out of it;
// secret.txt lies beside the store.
struct Fixture {
  TempDir tmp;
  fs::path store = tmp.path() / "store";
  Fixture() {
    Write(store / "t" / "20260101T000000Z" / "report.html", "<html>report</html>");
    Write(store / "t" / "20260101T000000Z" / "history.jsonl", "{\"index\":0}\n");
    Write(store / "index.html", "<html>index</html>");
    Write(tmp.path() / "secret.txt", "TOP-SECRET-CONTENT");
    fs::create_directory_symlink("t/20260101T000000Z", store / "latest");
    fs::create_symlink("../../secret.txt", store / "t" / "leak.txt");
    fs::create_directory_symlink(tmp.path(), store / "up");
  }
};

TEST(StoreFiles, ResolvesFilesAndDirectoriesInsideTheStore) {
  Fixture f;
  Result<fs::path> p = ResolveStorePath(f.store, "/t/20260101T000000Z/report.html");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, f.store / "t" / "20260101T000000Z" / "report.html");
  ASSERT_TRUE(ResolveStorePath(f.store, "/").ok());
  EXPECT_EQ(*ResolveStorePath(f.store, "/"), f.store);
  // A link that stays inside the store is followed.
  p = ResolveStorePath(f.store, "/latest/history.jsonl");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, f.store / "t" / "20260101T000000Z" / "history.jsonl");
  EXPECT_TRUE(ResolveStorePath(f.store, "/./t//20260101T000000Z/").ok());
  EXPECT_EQ(ResolveStorePath(f.store, "/t/none.html").status().code(), Status::Code::kNotFound);
}

TEST(StoreFiles, RefusesEveryWayOut) {
  Fixture f;
  // The links out are real: each reaches the secret file.
  ASSERT_TRUE(fs::is_regular_file(f.store / "t" / "leak.txt"));
  ASSERT_TRUE(fs::is_regular_file(f.store / "up" / "secret.txt"));
  for (const char* path : {"/../secret.txt", "/t/../../secret.txt", "/..", "/t/..",
                           "/t/leak.txt", "/up/secret.txt", "/up", "relative",
                           "", "/t\\..\\..\\secret.txt"}) {
    Result<fs::path> p = ResolveStorePath(f.store, path);
    EXPECT_FALSE(p.ok()) << path;
    EXPECT_EQ(p.status().code(), Status::Code::kInvalidArgument) << path << ": " << p.status().ToString();
  }
  EXPECT_FALSE(ResolveStorePath(f.store, std::string_view("/t\0/x", 5)).ok());
  // Still-encoded dots (decoded once already by the server) are a plain name.
  EXPECT_EQ(ResolveStorePath(f.store, "/%2e%2e/secret.txt").status().code(),
            Status::Code::kNotFound);
}

TEST(StoreFiles, ContentTypesShowTextInTheBrowser) {
  EXPECT_EQ(ContentTypeFor("a/report.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("results.json"), "application/json");
  EXPECT_EQ(ContentTypeFor("history.jsonl"), "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("nodes/n1/etcd.log"), "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("junit.xml"), "application/xml");
  EXPECT_EQ(ContentTypeFor("core.bin"), "application/octet-stream");
}

TEST(StoreFiles, DirectoryListingEscapesNames) {
  TempDir tmp;
  Write(tmp.path() / "<b>&.log", "x");
  fs::create_directory(tmp.path() / "nodes");
  const std::string html = DirectoryListing(tmp.path(), "/t/run");
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;&amp;.log"));
  EXPECT_THAT(html, Not(HasSubstr("<b>&")));
  EXPECT_THAT(html, HasSubstr("href=\"%3Cb%3E%26.log\""));
  EXPECT_LT(html.find("nodes/"), html.find("&lt;b&gt;"));  // directories first
  EXPECT_THAT(html, HasSubstr("<h1>/t/run/</h1>"));
}

// The real `faultline serve` on a free loopback port.
class Server {
 public:
  explicit Server(const fs::path& store) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      execl(FAULTLINE_BINARY, FAULTLINE_BINARY, "serve", "--store", store.c_str(), "--port", "0",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    // First line: "faultline serve: <store> at http://127.0.0.1:<port>/ ..."
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    const size_t at = line.find("http://127.0.0.1:");
    if (at != std::string::npos) port_ = std::atoi(line.c_str() + at + 17);
  }
  ~Server() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  // SIGTERM, then the exit code (or -1 if it does not stop within 10 s).
  int Stop() {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST(Serve, ServesTheStoreReadOnlyAndNothingOutsideIt) {
  Fixture f;
  Server server(f.store);
  ASSERT_GT(server.port(), 0) << "the server did not say where it listens";
  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(5);
  client.set_read_timeout(5);

  auto index = client.Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<html>index</html>");
  EXPECT_THAT(index->get_header_value("Content-Type"), HasSubstr("text/html"));

  auto report = client.Get("/latest/report.html");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->status, 200);
  EXPECT_EQ(report->body, "<html>report</html>");
  auto history = client.Get("/t/20260101T000000Z/history.jsonl");
  ASSERT_TRUE(history);
  EXPECT_EQ(history->body, "{\"index\":0}\n");
  EXPECT_THAT(history->get_header_value("Content-Type"), HasSubstr("text/plain"));

  // A directory without index.html gets a listing; without its '/' a redirect.
  auto listing = client.Get("/t/");
  ASSERT_TRUE(listing);
  EXPECT_THAT(listing->body, HasSubstr("20260101T000000Z/"));
  auto redirect = client.Get("/t");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->status, 302);

  for (const char* path : {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/secret.txt",
                           "/t/%2e%2e/%2e%2e/secret.txt", "/t/leak.txt", "/up/secret.txt",
                           "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt"}) {
    auto r = client.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_TRUE(r->status == 403 || r->status == 404 || r->status == 400) << path << ": " << r->status;
    EXPECT_THAT(r->body, Not(HasSubstr("TOP-SECRET"))) << path;
  }
  EXPECT_EQ(client.Get("/nothing-here")->status, 404);

  auto post = client.Post("/index.html", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  auto del = client.Delete("/index.html");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  EXPECT_TRUE(fs::exists(f.store / "index.html"));

  EXPECT_EQ(server.Stop(), 0);
}

TEST(Serve, BadUsageExits254) {
  auto run = [](const std::string& args) {
    const std::string cmd = std::string(FAULTLINE_BINARY) + " serve " + args + " >/dev/null 2>&1";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(run("--store /nonexistent/faultline-store"), 254);
  EXPECT_EQ(run("--port 70000"), 254);
  EXPECT_EQ(run("--port x"), 254);
  EXPECT_EQ(run("--frobnicate"), 254);
  EXPECT_EQ(run("--help"), 0);
}

// A port another process listens on is refused at once (httplib's default
// SO_REUSEPORT let a second server bind it and serve beside the first).
TEST(Serve, PortInUseIsRefusedPromptly) {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(sock, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string store = ::testing::TempDir() + "faultline-serve-port-" + std::to_string(::getpid());
  fs::create_directories(store);
  const std::string cmd = "timeout 20 " + std::string(FAULTLINE_BINARY) + " serve --store " +
                          store + " --port " + std::to_string(ntohs(addr.sin_port)) +
                          " >/dev/null 2>&1";
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(cmd.c_str());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(sock);
  fs::remove_all(store);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 254);
  EXPECT_LT(seconds, 10);
}

}  // namespace
}  // namespace faultline::cli

namespace faultline::cli {
namespace {

// The binary's own dispatch (main.cc): `faultline help CMD` is CMD's help.
TEST(Main, HelpCommandShowsThatCommandsOptions) {
  const std::string cmd = std::string(FAULTLINE_BINARY) + " help check 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(out.find("--model"), std::string::npos) << out;
}

}  // namespace
}  // namespace faultline::cli
