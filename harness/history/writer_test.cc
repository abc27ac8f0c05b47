#include "harness/history/writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/history/reader.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "faultline_writer_test_" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<Op> SampleOps() {
  std::vector<Op> ops(5);
  ops[0].time = 0;
  ops[0].type = OpType::kInvoke;
  ops[0].process = 2;
  ops[0].f = "cas";
  ops[0].value = Json::array({1, 2});
  ops[0].key = "k\"1";
  ops[0].node = "n1";
  ops[1].time = 1500;
  ops[1].type = OpType::kFail;
  ops[1].process = 2;
  ops[1].f = "cas";
  ops[1].value = Json::array({1, 2});
  ops[1].key = "k\"1";
  ops[1].error = kCasMismatchError;
  ops[2].type = OpType::kInfo;
  ops[2].process = kNemesisProcess;
  ops[2].f = "start-partition";
  ops[2].value = Json::parse(R"({"n1":["n2","n3"],"note":"caf\u00e9 \n tab\t"})");
  ops[3].time = 9000000000000;
  ops[3].type = OpType::kInvoke;
  ops[3].process = 7;
  ops[3].f = "txn";
  ops[3].value = Json::parse(R"([["r","x",null],["w","y",-2.5],[1e300,18446744073709551615]])");
  ops[4].type = OpType::kInfo;
  ops[4].process = 7;
  ops[4].f = "txn";
  ops[4].error = Json::parse(R"({"timeout":true})");
  return ops;
}

void ExpectSameOp(const Op& got, const Op& want, int64_t index) {
  EXPECT_EQ(got.index, index);
  EXPECT_EQ(got.time, want.time);
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.process, want.process);
  EXPECT_EQ(got.f, want.f);
  EXPECT_EQ(got.value, want.value);
  EXPECT_EQ(got.key, want.key);
  EXPECT_EQ(got.error, want.error);
  EXPECT_EQ(got.node, want.node);
}

TEST(OpToJsonLineTest, MatchesOpToJson) {
  for (const Op& op : SampleOps()) {
    std::string line = OpToJsonLine(op);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(Json::parse(line), OpToJson(op)) << line;
  }
  Op op;
  op.index = 4;
  op.type = OpType::kOk;
  op.process = 1;
  op.f = "read";
  op.value = 3;
  EXPECT_EQ(OpToJsonLine(op), R"({"index":4,"type":"ok","process":1,"f":"read","value":3})");
}

TEST(OpToJsonLineTest, InvalidUtf8BecomesReplacementCharacter) {
  Op op;
  op.f = "read";
  op.value = std::string("bad \xff byte");
  Json parsed = Json::parse(OpToJsonLine(op));
  EXPECT_EQ(parsed["value"], "bad \xEF\xBF\xBD byte");
}

TEST(WriteJsonlHistoryTest, RoundTripsThroughTheReader) {
  History history;
  history.source = "memory";
  history.ops = SampleOps();
  std::string path = TempPath("roundtrip.jsonl");
  ASSERT_TRUE(WriteJsonlHistory(history, path).ok());
  Result<History> read = ReadHistoryFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->ops.size(), history.ops.size());
  for (size_t i = 0; i < history.ops.size(); ++i) {
    ExpectSameOp(read->ops[i], history.ops[i], static_cast<int64_t>(i));
    EXPECT_EQ(read->ops[i].line, static_cast<int64_t>(i) + 1);
  }
  std::remove(path.c_str());
}

TEST(WriteJsonlHistoryTest, UnwritablePathIsIoError) {
  History history;
  Status status = WriteJsonlHistory(history, TempPath("no-such-dir/x.jsonl"));
  EXPECT_EQ(status.code(), Status::Code::kIoError);
  EXPECT_THAT(status.message(), HasSubstr("no-such-dir/x.jsonl"));
}

TEST(JsonlHistoryWriterTest, AppendsFlushedLinesWithIndices) {
  std::string path = TempPath("append.jsonl");
  auto writer = JsonlHistoryWriter::Open(path);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  std::vector<Op> ops = SampleOps();
  for (Op& op : ops) ASSERT_TRUE((*writer)->Append(op).ok());
  EXPECT_EQ(ops[0].index, 0);
  EXPECT_EQ(ops[4].index, 4);
  // Flushed per line: readable before Close.
  Result<History> read = ParseHistory(ReadAll(path), path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->ops.size(), 5u);
  for (size_t i = 0; i < ops.size(); ++i)
    ExpectSameOp(read->ops[i], ops[i], static_cast<int64_t>(i));

  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_TRUE((*writer)->Close().ok());
  Status after = (*writer)->Append(ops[0]);
  EXPECT_EQ(after.code(), Status::Code::kIoError);
  EXPECT_THAT(after.message(), HasSubstr("closed"));
  std::remove(path.c_str());
}

// `name` is the file's: each test has its own, as ctest runs tests in parallel.
void CheckConcurrentAppends(const std::string& name, HistoryWriterOptions options) {
  std::string path = TempPath(name);
  auto writer = JsonlHistoryWriter::Open(path, options);
  ASSERT_TRUE(writer.ok());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Op op;
        op.type = i % 2 == 0 ? OpType::kInvoke : OpType::kOk;
        op.process = t;
        op.f = "write";
        op.value = std::string(static_cast<size_t>(i % 50) * 20, 'x');
        EXPECT_TRUE((*writer)->Append(op).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE((*writer)->Close().ok());

  std::string text = ReadAll(path);
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<int64_t> indices;
  for (size_t i = 0; i < lines.size(); ++i) {
    Json j = Json::parse(lines[i]);
    // Written in index order, since the index is assigned under the lock.
    EXPECT_EQ(j["index"].get<int64_t>(), static_cast<int64_t>(i));
    indices.insert(j["index"].get<int64_t>());
  }
  EXPECT_EQ(indices.size(), lines.size());
  Result<History> read = ParseHistory(text, path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE(PairOps(*read).ok());
  std::remove(path.c_str());
}

TEST(JsonlHistoryWriterTest, ConcurrentAppendsGiveWholeLinesAndDistinctIndices) {
  CheckConcurrentAppends("concurrent.jsonl", {});
}

TEST(JsonlHistoryWriterTest, ConcurrentAppendsUnderGroupCommitStayWholeAndInOrder) {
  CheckConcurrentAppends("concurrent-group.jsonl", {.group_commit = std::chrono::milliseconds(1)});
}

size_t LineCount(const std::string& path) {
  const std::string text = ReadAll(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(JsonlHistoryWriterTest, GroupCommitWritesLinesWithoutBeingAsked) {
  std::string path = TempPath("group.jsonl");
  auto writer = JsonlHistoryWriter::Open(path, {.group_commit = std::chrono::milliseconds(5)});
  ASSERT_TRUE(writer.ok());
  std::vector<Op> ops = SampleOps();
  for (Op& op : ops) ASSERT_TRUE((*writer)->Append(op).ok());
  // The background writer gets them to the file while the writer stays open
  // (a generous bound: this checks that it happens, not how fast).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (LineCount(path) < ops.size() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  Result<History> read = ParseHistory(ReadAll(path), path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->ops.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i)
    ExpectSameOp(read->ops[i], ops[i], static_cast<int64_t>(i));
  ASSERT_TRUE((*writer)->Close().ok());
  std::remove(path.c_str());
}

TEST(JsonlHistoryWriterTest, FlushAndCloseWriteWhatGroupCommitHolds) {
  std::string path = TempPath("group-flush.jsonl");
  // An interval far longer than the test: only Flush and Close write.
  auto writer = JsonlHistoryWriter::Open(path, {.group_commit = std::chrono::hours(1)});
  ASSERT_TRUE(writer.ok());
  std::vector<Op> ops = SampleOps();
  ASSERT_TRUE((*writer)->Append(ops[0]).ok());
  ASSERT_TRUE((*writer)->Append(ops[1]).ok());
  ASSERT_TRUE((*writer)->Flush().ok());
  EXPECT_EQ(LineCount(path), 2u);
  for (size_t i = 2; i < ops.size(); ++i) ASSERT_TRUE((*writer)->Append(ops[i]).ok());
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_EQ(LineCount(path), ops.size());
  std::remove(path.c_str());
}

TEST(JsonlHistoryWriterTest, FailedWritesAreReported) {
  // /dev/full accepts the open and fails every write with ENOSPC.
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  std::vector<Op> ops = SampleOps();
  auto direct = JsonlHistoryWriter::Open("/dev/full");
  ASSERT_TRUE(direct.ok());
  Status s = (*direct)->Append(ops[0]);
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_THAT(s.message(), HasSubstr("/dev/full: write failed"));

  auto grouped = JsonlHistoryWriter::Open("/dev/full", {.group_commit = std::chrono::hours(1)});
  ASSERT_TRUE(grouped.ok());
  ASSERT_TRUE((*grouped)->Append(ops[0]).ok());  // only queued
  EXPECT_EQ((*grouped)->Flush().code(), Status::Code::kIoError);
  // The failure sticks: later appends and the close report it too.
  EXPECT_EQ((*grouped)->Append(ops[1]).code(), Status::Code::kIoError);
  EXPECT_EQ((*grouped)->Close().code(), Status::Code::kIoError);
}

TEST(JsonlHistoryWriterTest, OpenFailsForAnUnwritablePath) {
  auto writer = JsonlHistoryWriter::Open(TempPath("no-such-dir/h.jsonl"));
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), Status::Code::kIoError);
  EXPECT_THAT(writer.status().message(), HasSubstr("no-such-dir/h.jsonl"));
}

}  // namespace
}  // namespace faultline
