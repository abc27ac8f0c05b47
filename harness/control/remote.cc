#include "harness/control/remote.h"

#include <string_view>

namespace faultline {
namespace {

// Characters that no POSIX shell treats specially anywhere in a word. `=` is
// missing on purpose: a bare `A=b` in command position is an assignment, and
// `~` because a leading one is expanded.
bool IsBareSafe(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_':
    case '@':
    case '%':
    case '+':
    case ':':
    case ',':
    case '.':
    case '/':
    case '-':
      return true;
    default:
      return false;
  }
}

bool IsEnvName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// "printf 'a b'..." for error messages: the start of what was asked, on one line.
std::string Excerpt(const std::string& text) {
  constexpr size_t kMax = 60;
  std::string out;
  for (char c : text.substr(0, kMax)) out += (c == '\n' ? ' ' : c);
  if (text.size() > kMax) out += "...";
  return out;
}

}  // namespace

std::string ShellQuote(const std::string& arg) {
  if (arg.empty()) return "''";
  bool bare = true;
  for (char c : arg) bare = bare && IsBareSafe(c);
  if (bare) return arg;
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

Status ValidateCommand(const Command& command) {
  if (command.argv.empty() && command.shell.empty()) {
    return Status::InvalidArgument("command has neither argv nor a shell script");
  }
  for (size_t i = 0; i < command.argv.size(); ++i) {
    if (command.argv[i].find('\0') != std::string::npos) {
      return Status::InvalidArgument(
          "command argv[" + std::to_string(i) +
          "] contains a NUL byte, which no program can receive: " + Excerpt(command.argv[i]));
    }
  }
  if (command.argv.empty() && command.shell.find('\0') != std::string::npos) {
    return Status::InvalidArgument("shell script contains a NUL byte: " + Excerpt(command.shell));
  }
  for (const auto& [name, value] : command.env) {
    if (!IsEnvName(name)) {
      return Status::InvalidArgument("environment variable name '" + Excerpt(name) +
                                     "' is not valid; expected [A-Za-z_][A-Za-z0-9_]*");
    }
    if (value.find('\0') != std::string::npos) {
      return Status::InvalidArgument("environment variable " + name + " contains a NUL byte");
    }
  }
  if (command.timeout.count() <= 0) {
    return Status::InvalidArgument("command timeout must be positive, got " +
                                   std::to_string(command.timeout.count()) + " ms");
  }
  return Status::Ok();
}

std::string RenderCommand(const Command& command, bool user_is_root) {
  std::string body;
  if (!command.argv.empty()) {
    for (const auto& arg : command.argv) {
      if (!body.empty()) body += ' ';
      body += ShellQuote(arg);
    }
  } else {
    body = "sh -c " + ShellQuote(command.shell);
  }
  std::string prefix;
  if (command.sudo && !user_is_root) prefix = "sudo -n -- ";
  if (!command.env.empty()) {
    prefix += "env";
    for (const auto& [name, value] : command.env) prefix += " " + ShellQuote(name + "=" + value);
    prefix += ' ';
  }
  return prefix + body;
}

}  // namespace faultline
