#include "harness/control/testing/instant_ssh_server.h"

#include <arpa/inet.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <list>

namespace faultline::testing {
namespace {

struct ChannelState {
  ssh_channel channel = nullptr;
  ssh_channel_callbacks_struct callbacks{};
  bool exec_requested = false;
  bool answered = false;
  std::atomic<int64_t>* counter = nullptr;
};

struct SessionState {
  ssh_session session = nullptr;
  std::list<ChannelState> channels;
  std::atomic<int64_t>* counter = nullptr;
};

int AcceptAnyKey(ssh_session, const char*, ssh_key, char, void*) { return SSH_AUTH_SUCCESS; }

int OnExec(ssh_session, ssh_channel, const char*, void* userdata) {
  static_cast<ChannelState*>(userdata)->exec_requested = true;
  return 0;
}

int DiscardData(ssh_session, ssh_channel, void*, uint32_t len, int, void*) {
  return static_cast<int>(len);
}

ssh_channel OpenChannel(ssh_session session, void* userdata) {
  auto* state = static_cast<SessionState*>(userdata);
  ChannelState& c = state->channels.emplace_back();
  c.channel = ssh_channel_new(session);
  c.counter = state->counter;
  c.callbacks.userdata = &c;
  c.callbacks.channel_exec_request_function = &OnExec;
  c.callbacks.channel_data_function = &DiscardData;
  ssh_callbacks_init(&c.callbacks);
  ssh_set_channel_callbacks(c.channel, &c.callbacks);
  return c.channel;
}

}  // namespace

Result<std::unique_ptr<InstantSshServer>> InstantSshServer::Start() {
  std::unique_ptr<InstantSshServer> server(new InstantSshServer());
  char dir[] = "/tmp/faultline-instant-ssh-XXXXXX";
  if (mkdtemp(dir) == nullptr) return Status::IoError("mkdtemp failed");
  server->dir_ = dir;
  ssh_key client_key = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &client_key) != SSH_OK ||
      ssh_pki_export_privkey_file(client_key, nullptr, nullptr, nullptr,
                                  (server->dir_ + "/id_ed25519").c_str()) != SSH_OK) {
    ssh_key_free(client_key);
    return Status::Internal("cannot make a client key");
  }
  ssh_key_free(client_key);
  ssh_key host_key = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &host_key) != SSH_OK) {
    return Status::Internal("cannot make a host key");
  }
  ssh_bind bind = ssh_bind_new();
  server->bind_ = bind;
  unsigned int port = 0;
  int verbosity = SSH_LOG_NOLOG;
  ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDADDR, "127.0.0.1");
  ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDPORT, &port);
  ssh_bind_options_set(bind, SSH_BIND_OPTIONS_LOG_VERBOSITY, &verbosity);
  ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, host_key);  // the bind owns it now
  if (ssh_bind_listen(bind) != SSH_OK) {
    return Status::IoError(std::string("ssh_bind_listen: ") + ssh_get_error(bind));
  }
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(ssh_bind_get_fd(bind), reinterpret_cast<sockaddr*>(&addr), &len);
  server->port_ = ntohs(addr.sin_port);
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

void InstantSshServer::AcceptLoop() {
  auto* bind = static_cast<ssh_bind>(bind_);
  while (!stop_) {
    ssh_session session = ssh_new();
    if (ssh_bind_accept(bind, session) != SSH_OK) {
      ssh_free(session);
      if (stop_) return;
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.emplace_back([this, session] { Serve(session); });
  }
}

void InstantSshServer::Serve(void* opaque) {
  auto session = static_cast<ssh_session>(opaque);
  SessionState state;
  state.session = session;
  state.counter = &commands_;
  ssh_server_callbacks_struct callbacks{};
  callbacks.userdata = &state;
  callbacks.auth_pubkey_function = &AcceptAnyKey;
  callbacks.channel_open_request_session_function = &OpenChannel;
  ssh_callbacks_init(&callbacks);
  ssh_set_server_callbacks(session, &callbacks);
  ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY);
  if (ssh_handle_key_exchange(session) == SSH_OK) {
    ssh_event event = ssh_event_new();
    ssh_event_add_session(event, session);
    while (!stop_) {
      if (ssh_event_dopoll(event, 100) == SSH_ERROR) break;
      if (!ssh_is_connected(session)) break;
      for (auto it = state.channels.begin(); it != state.channels.end();) {
        ChannelState& c = *it;
        if (c.exec_requested && !c.answered) {
          ssh_channel_request_send_exit_status(c.channel, 0);
          ssh_channel_send_eof(c.channel);
          ssh_channel_close(c.channel);
          c.answered = true;
          ++*c.counter;
        }
        if (c.answered && ssh_channel_is_closed(c.channel) && ssh_channel_is_eof(c.channel)) {
          ssh_remove_channel_callbacks(c.channel, &c.callbacks);
          ssh_channel_free(c.channel);
          it = state.channels.erase(it);
        } else {
          ++it;
        }
      }
    }
    ssh_event_remove_session(event, session);
    ssh_event_free(event);
  }
  ssh_disconnect(session);
  ssh_free(session);
}

InstantSshServer::~InstantSshServer() {
  stop_ = true;
  if (bind_ != nullptr) shutdown(ssh_bind_get_fd(static_cast<ssh_bind>(bind_)), SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions.swap(sessions_);
  }
  for (auto& t : sessions) t.join();
  if (bind_ != nullptr) ssh_bind_free(static_cast<ssh_bind>(bind_));
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

SshOptions InstantSshServer::Options() const {
  SshOptions o;
  o.node = "instant";
  o.host = "127.0.0.1";
  o.port = port_;
  o.user = "bench";
  o.private_key_file = dir_ + "/id_ed25519";
  o.host_key_policy = HostKeyPolicy::kOff;
  return o;
}

}  // namespace faultline::testing
