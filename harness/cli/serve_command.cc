// faultline serve: the store over HTTP, read-only, for a browser.
#include <pthread.h>
#include <sys/socket.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>
#include <httplib.h>

#include "harness/cli/commands.h"
#include "harness/cli/store_files.h"
#include "harness/report/index_page.h"

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;

void Refuse(const Status& s, httplib::Response& res) {
  const bool outside = s.code() == Status::Code::kInvalidArgument;
  res.status = outside ? 403 : 404;
  res.set_content(std::string(outside ? "403 forbidden: " : "404 not found: ") + s.message() + "\n",
                  "text/plain; charset=utf-8");
}

// Streams a file, so a large history is never held in memory.
void SendFile(const fs::path& file, httplib::Response& res) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(file, ec);
  auto in = std::make_shared<std::ifstream>(file, std::ios::binary);
  if (ec || !*in) {
    Refuse(Status::NotFound(file.filename().string() + ": cannot be read"), res);
    return;
  }
  res.set_content_provider(
      static_cast<size_t>(size), ContentTypeFor(file),
      [in](size_t offset, size_t length, httplib::DataSink& sink) {
        char buf[64 * 1024];
        in->seekg(static_cast<std::streamoff>(offset));
        const size_t want = std::min(length, sizeof buf);
        in->read(buf, static_cast<std::streamsize>(want));
        const std::streamsize got = in->gcount();
        if (got <= 0) return false;
        return sink.write(buf, static_cast<size_t>(got));
      });
}

void Handle(const fs::path& root, const httplib::Request& req, httplib::Response& res) {
  Result<fs::path> path = ResolveStorePath(root, req.path);
  if (!path.ok()) {
    Refuse(path.status(), res);
    return;
  }
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Cache-Control", "no-cache");
  std::error_code ec;
  if (fs::is_directory(*path, ec)) {
    // A directory's address ends with '/', so relative links in its page work.
    if (req.path.empty() || req.path.back() != '/') {
      res.set_redirect(req.path + "/");
      return;
    }
    if (fs::is_regular_file(*path / "index.html", ec)) {
      SendFile(*path / "index.html", res);
    } else {
      res.set_content(DirectoryListing(*path, req.path), "text/html; charset=utf-8");
    }
    return;
  }
  if (!fs::is_regular_file(*path, ec)) {
    Refuse(Status::NotFound("not a regular file"), res);
    return;
  }
  SendFile(*path, res);
}

}  // namespace

int RunServe(const Args& args) {
  CLI::App app{"Serves the store (index, reports, histories, logs) over HTTP, read-only.",
               "faultline serve"};
  std::string store = "store";
  int port = 8080;
  std::string bind = "127.0.0.1";
  app.add_option("--store", store, "the store directory (default ./store)");
  app.add_option("--port", port, "TCP port; 0 picks a free one (default 8080)")
      ->check(WholeNumber(0, 65535));
  app.add_option("--bind", bind,
                 "address to listen on (default 127.0.0.1: this machine only)");
  app.footer("Exit: 0 after Ctrl-C or SIGTERM; 254 for bad usage or when --bind/--port cannot be listened on.");
  constexpr int kParsed = -1;  // ParseAndRun's body: go on serving
  if (const int code = ParseAndRun(app, args, "serve", [] { return kParsed; }); code != kParsed) {
    return code;
  }
  std::error_code ec;
  if (!fs::is_directory(store, ec)) {
    std::fprintf(stderr, "faultline serve: --store %s: not a directory (run a test first)\n",
                 store.c_str());
    return kExitUsage;
  }
  const fs::path root = fs::canonical(store, ec);
  if (ec) {
    std::fprintf(stderr, "faultline serve: --store %s: %s\n", store.c_str(), ec.message().c_str());
    return kExitUsage;
  }
  if (!fs::exists(root / "index.html", ec)) {
    if (Status s = report::WriteStoreIndex(root.string()); !s.ok()) {
      std::fprintf(stderr, "faultline serve: index: %s\n", s.ToString().c_str());
    }
  }

  httplib::Server server;
  // httplib's default sets SO_REUSEPORT, with which a second server on a port
  // already served binds "successfully" and shares it; SO_REUSEADDR alone
  // still allows a restart while old connections linger in TIME_WAIT.
  server.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  auto handler = [&root](const httplib::Request& req, httplib::Response& res) {
    Handle(root, req, res);
  };
  server.Get(R"(/.*)", handler);
  // Nothing but reads: every other method is refused.
  auto refuse = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("405: the store is served read-only\n", "text/plain; charset=utf-8");
  };
  server.Post(R"(/.*)", refuse);
  server.Put(R"(/.*)", refuse);
  server.Delete(R"(/.*)", refuse);
  server.Patch(R"(/.*)", refuse);

  // Signals are taken by this thread (sigwait), never by the server's threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(bind.c_str());
  } else if (!server.bind_to_port(bind.c_str(), port)) {
    bound = -1;
  }
  if (bound <= 0) {
    std::fprintf(stderr, "faultline serve: cannot listen on %s:%d (in use, or not an address here)\n",
                 bind.c_str(), port);
    return kExitUsage;
  }
  const std::string host = bind.find(':') != std::string::npos ? "[" + bind + "]" : bind;
  std::printf("faultline serve: %s at http://%s:%d/ (read-only; Ctrl-C stops)\n",
              root.c_str(), host.c_str(), bound);
  std::fflush(stdout);
  std::thread listener([&server] { server.listen_after_bind(); });
  int sig = 0;
  sigwait(&signals, &sig);
  server.stop();
  listener.join();
  std::fprintf(stderr, "faultline serve: stopped\n");
  return 0;
}

}  // namespace faultline::cli
