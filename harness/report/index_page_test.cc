#include "harness/report/index_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace faultline::report {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class TempStore {
 public:
  TempStore() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("faultline-index-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempStore() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

  // A run directory with test.json and, unless `verdict` is empty, results.json.
  fs::path AddRun(const std::string& test, const std::string& stamp, const Json& verdict,
                  int64_t ok = 900, bool with_errors = false) {
    const fs::path dir = path_ / test / stamp;
    fs::create_directories(dir);
    Write(dir / "test.json", Json{{"name", test}, {"target", "memory"}}.dump());
    if (!verdict.is_null()) {
      Json results = {{"valid", verdict},
                      {"checkers",
                       {{"stats", {{"valid", true}, {"count", 1000}, {"ok_count", ok}}},
                        {"perf",
                         {{"valid", true},
                          {"time_range", {{"start", 0}, {"end", 10'000'000'000}}},
                          {"nemesis",
                           {{"intervals", Json::array({{{"kind", "partition"}},
                                                       {{"kind", "partition"}},
                                                       {{"kind", "kill"}}})}}}}}}}};
      if (with_errors) results["errors"] = Json::array({"setup failed on n2: <boom>"});
      Write(dir / "results.json", results.dump());
      Write(dir / "report.html", "<html></html>");
    }
    return dir;
  }

  static void Write(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
  }

 private:
  fs::path path_;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(StoreIndex, ReadsRunsNewestFirstWithTheirFigures) {
  TempStore store;
  store.AddRun("etcd-register", "20260101T000000Z", true);
  store.AddRun("memory-register", "20260102T000000Z", false, 500);
  store.AddRun("etcd-register", "20260103T000000Z", Json());  // still running
  // store/latest and stray files are not runs.
  fs::create_directory_symlink("etcd-register/20260101T000000Z", store.path() / "latest");
  TempStore::Write(store.path() / "index.html", "old");
  Result<std::vector<IndexEntry>> runs = ReadStoreRuns(store.path().string());
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].label, "20260103T000000Z");
  EXPECT_EQ((*runs)[0].verdict, "incomplete");
  EXPECT_EQ((*runs)[1].test, "memory-register");
  EXPECT_EQ((*runs)[1].verdict, "invalid");
  EXPECT_EQ((*runs)[1].run, "memory-register/20260102T000000Z");
  EXPECT_EQ((*runs)[2].verdict, "valid");
  EXPECT_EQ((*runs)[2].ops, 1000);
  EXPECT_EQ((*runs)[2].duration_ns, 10'000'000'000);
  EXPECT_DOUBLE_EQ((*runs)[2].Throughput(), 90.0);
  EXPECT_EQ((*runs)[2].faults.at("partition"), 2);
  EXPECT_EQ((*runs)[2].faults.at("kill"), 1);
  EXPECT_TRUE((*runs)[2].has_report);

  EXPECT_EQ(ReadStoreRuns((store.path() / "nope").string()).status().code(),
            Status::Code::kNotFound);
  Result<std::vector<IndexEntry>> capped = ReadStoreRuns(store.path().string(), 2);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->size(), 2u);
}

TEST(StoreIndex, HarnessErrorsWithoutAViolationShowAsError) {
  TempStore store;
  store.AddRun("etcd-register", "20260101T000000Z", "unknown", 900, /*with_errors=*/true);
  Result<std::vector<IndexEntry>> runs = ReadStoreRuns(store.path().string());
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].verdict, "error");
  EXPECT_THAT((*runs)[0].problem, HasSubstr("setup failed on n2"));
  const std::string html = RenderIndex(*runs);
  EXPECT_THAT(html, HasSubstr("&lt;boom&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<boom>")));
}

TEST(StoreIndex, MarksTheFirstFailingRunAndTheTrend) {
  TempStore store;
  store.AddRun("etcd-register", "20260101T000000Z", true, 800);
  store.AddRun("etcd-register", "20260102T000000Z", true, 900);
  store.AddRun("etcd-register", "20260103T000000Z", false, 100);
  store.AddRun("memory-register", "20260101T000001Z", true);
  ASSERT_TRUE(WriteStoreIndex(store.path().string()).ok());
  const std::string html = Slurp(store.path() / "index.html");
  EXPECT_FALSE(fs::exists(store.path() / "index.html.tmp"));
  EXPECT_THAT(html, HasSubstr("4 runs of 2 tests; 1 test not passing in its latest run"));
  // The test that was valid and now is not stands out, with the run it failed first.
  EXPECT_THAT(html, HasSubstr("<tr class=\"newly\"><td><b>etcd-register</b>"));
  EXPECT_THAT(html, HasSubstr("failing since <a href=\"etcd-register/20260103T000000Z/report.html\">"));
  EXPECT_THAT(html, HasSubstr("last valid <a href=\"etcd-register/20260102T000000Z/report.html\">"));
  EXPECT_THAT(html, HasSubstr("first failing since 20260102T000000Z"));
  EXPECT_EQ(Count(html, "first failing since"), 1u);
  // Trend: one square per run, and a throughput line for the test with three runs.
  EXPECT_EQ(Count(html, "<rect class=\"verdict "), 4u);
  EXPECT_EQ(Count(html, "<polyline class=\"throughput\""), 1u);
  EXPECT_THAT(html, HasSubstr("20260103T000000Z: invalid, 10.0 ok ops/s"));
  // Newest first in the runs table.
  EXPECT_LT(html.find("etcd-register/20260103T000000Z/results.json"), std::string::npos);
  EXPECT_LT(html.find(">20260103T000000Z</a></td><td>etcd-register"),
            html.find(">20260102T000000Z</a></td><td>etcd-register"));
  EXPECT_THAT(html, HasSubstr("kill 1 · partition 2"));
  // Self-contained: no script, no external resource.
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
}

TEST(StoreIndex, AnEmptyStoreSaysSo) {
  TempStore store;
  ASSERT_TRUE(WriteStoreIndex(store.path().string()).ok());
  EXPECT_THAT(Slurp(store.path() / "index.html"), HasSubstr("The store holds no run yet."));
  EXPECT_EQ(WriteStoreIndex((store.path() / "missing").string()).code(), Status::Code::kNotFound);
}

TEST(StoreIndex, NamesAreEscapedAndLinksEncoded) {
  TempStore store;
  store.AddRun("a b&<c>", "20260101T000000Z", true);
  Result<std::vector<IndexEntry>> runs = ReadStoreRuns(store.path().string());
  ASSERT_TRUE(runs.ok());
  const std::string html = RenderIndex(*runs);
  EXPECT_THAT(html, HasSubstr("a b&amp;&lt;c&gt;"));
  EXPECT_THAT(html, HasSubstr("href=\"a%20b%26%3Cc%3E/20260101T000000Z/report.html\""));
}

}  // namespace
}  // namespace faultline::report
