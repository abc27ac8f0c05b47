// make_browser_store STORE: a store for the browser test: two runs of one
// test (valid, then invalid with a failing window) with their reports, and
// store/index.html.
#include <cstdio>
#include <string>

#include "harness/report/index_page.h"
#include "harness/report/report.h"
#include "harness/report/testing/example_run.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_browser_store STORE\n");
    return 254;
  }
  using namespace faultline::report;
  const std::string store = argv[1];
  struct Run {
    const char* stamp;
    bool invalid;
  };
  for (const Run& r : {Run{"20260101T000000Z", false}, Run{"20260102T000000Z", true}}) {
    const std::string dir = store + "/etcd-register/" + r.stamp;
    testing::ExampleRunOptions options;
    options.ops = 2000;
    options.seconds = 12;
    options.invalid = r.invalid;
    faultline::Status s = testing::WriteExampleRun(dir, options);
    if (s.ok()) s = WriteReport(dir);
    if (!s.ok()) {
      std::fprintf(stderr, "make_browser_store: %s\n", s.ToString().c_str());
      return 255;
    }
  }
  faultline::Status s = WriteStoreIndex(store);
  if (!s.ok()) {
    std::fprintf(stderr, "make_browser_store: %s\n", s.ToString().c_str());
    return 255;
  }
  std::printf("%s/etcd-register/20260102T000000Z/report.html\n%s/index.html\n", store.c_str(),
              store.c_str());
  return 0;
}
