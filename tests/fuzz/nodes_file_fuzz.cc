// libFuzzer target: ParseNodesFile (`faultline test --nodes-file F`).
// Properties: a failure is InvalidArgument naming the file, in UTF-8; a
// success has at least one node, unique valid names, non-empty hosts without
// spaces, ports 1..65535, and FormatNodesFile of it parses back the same.
#include <set>

#include "harness/control/nodes_file.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using faultline::NodeSpec;
using faultline::NodesFile;
using faultline::fuzz::Fail;

bool Same(const NodeSpec& a, const NodeSpec& b) {
  return a.name == b.name && a.host == b.host && a.port == b.port && a.user == b.user &&
         a.key == b.key && a.host_key_policy == b.host_key_policy &&
         a.known_hosts == b.known_hosts;
}

void CheckFile(const NodesFile& file, const std::string& base_dir) {
  if (file.nodes.empty()) Fail("no nodes", "");
  std::set<std::string> names;
  for (const NodeSpec& n : file.nodes) {
    if (n.name.empty() || n.name == "." || n.name == "..") Fail("node name", n.name);
    for (char c : n.name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
        Fail("node name character", n.name);
    }
    if (!names.insert(n.name).second) Fail("node name twice", n.name);
    if (n.host.empty() || n.host.find_first_of(" \t\r\n") != std::string::npos)
      Fail("host", n.host);
    if (n.port < 1 || n.port > 65535) Fail("port", std::to_string(n.port));
    if (n.user.empty() || n.user.find_first_of(" \t\r\n") != std::string::npos)
      Fail("user", n.user);
    if (!base_dir.empty()) {
      for (const std::string* path : {&n.key, &n.known_hosts}) {
        if (!path->empty() && (*path)[0] != '/') Fail("relative path left", *path);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = faultline::fuzz::AsText(data, size);
  for (const std::string base_dir : {"", "/etc/faultline"}) {
    faultline::Result<NodesFile> file = faultline::ParseNodesFile(text, "nodes.json", base_dir);
    if (!file.ok()) {
      // The messages say what is wrong in words of their own ("must not
      // contain spaces"), not always "expected".
      faultline::fuzz::CheckError(file.status(), "nodes.json:",
                                  faultline::Status::Code::kInvalidArgument, false);
      continue;
    }
    CheckFile(*file, base_dir);
    const std::string formatted = faultline::FormatNodesFile(*file);
    faultline::Result<NodesFile> again = faultline::ParseNodesFile(formatted, "again", base_dir);
    if (!again.ok()) Fail("formatted file does not parse", again.status().ToString());
    if (again->name != file->name || again->ssh_config != file->ssh_config ||
        again->nodes.size() != file->nodes.size()) {
      Fail("round trip changed the file", formatted);
    }
    for (size_t i = 0; i < file->nodes.size(); ++i) {
      if (!Same(file->nodes[i], again->nodes[i])) Fail("round trip changed a node", formatted);
    }
  }
  return 0;
}
