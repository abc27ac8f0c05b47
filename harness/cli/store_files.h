// What `faultline serve` may hand out: files under the store, and nothing
// else. Kept apart from the HTTP code so the rules are tested without a socket.
//
// Thread-safety: all functions are reentrant (they read the file system).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "harness/base/status.h"

namespace faultline::cli {

// Maps a request path ("/etcd-register/20260101T000000Z/report.html", already
// percent-decoded once, as the HTTP library hands it over) to a file or
// directory inside `root`, which must be canonical (std::filesystem::canonical).
// Refuses, with InvalidArgument, a path that is not absolute, holds a ".."
// segment, a backslash or a NUL byte, or that resolves (symlinks followed)
// to anything outside `root`; NotFound when nothing is there. Symlinks that
// stay inside the store (store/latest) are followed.
Result<std::filesystem::path> ResolveStorePath(const std::filesystem::path& root,
                                               std::string_view request_path);

// The Content-Type for a file by its extension; text/plain for logs and
// unknown text, application/octet-stream for nothing recognisable.
std::string ContentTypeFor(const std::filesystem::path& file);

// A small HTML page listing a directory of the store (names escaped, links
// relative), directories first. `request_path` is shown as the title.
std::string DirectoryListing(const std::filesystem::path& dir, std::string_view request_path);

}  // namespace faultline::cli
