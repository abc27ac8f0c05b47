#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness/generator/combinators.h"
#include "harness/generator/simulator.h"
#include "targets/memory_target.h"
#include "workloads/workload.h"

namespace faultline {
namespace {

std::unique_ptr<Workload> Register(int concurrency = 4) {
  WorkloadOptions options;
  options.concurrency = concurrency;
  options.ops_per_key = 50;
  auto w = MakeWorkload("register", options);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return std::move(*w);
}

std::vector<Op> Simulate(Workload& w, uint64_t seed, int64_t ops) {
  gen::SimOptions options;
  options.client_count = 4;
  options.nemesis = false;
  options.seed = seed;
  auto r = gen::Simulate(gen::Clients(gen::Limit(ops, w.Generator())), options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<Op> invocations;
  for (const Op& op : r->history) {
    if (op.is_invoke()) invocations.push_back(op);
  }
  return invocations;
}

TEST(RegisterWorkloadTest, SameSeedSameOpsAndOneGeneratorReusedGivesTheSame) {
  auto w = Register();
  gen::GenPtr g = w->Generator();
  // A pure generator: running the same value twice gives the same ops (a
  // shared counter would have advanced between the runs).
  gen::SimOptions options;
  options.client_count = 4;
  options.nemesis = false;
  options.seed = 9;
  auto a = gen::Simulate(gen::Clients(gen::Limit(300, g)), options);
  auto b = gen::Simulate(gen::Clients(gen::Limit(300, g)), options);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->history.size(), b->history.size());
  for (size_t i = 0; i < a->history.size(); ++i) {
    EXPECT_EQ(a->history[i].f, b->history[i].f) << i;
    EXPECT_EQ(a->history[i].value, b->history[i].value) << i;
    EXPECT_EQ(a->history[i].key, b->history[i].key) << i;
  }
  EXPECT_EQ(Simulate(*Register(), 9, 300).size(), Simulate(*Register(), 9, 300).size());
}

TEST(RegisterWorkloadTest, WrittenValuesAreUniquePerKeyAndSomeCasesCanSucceed) {
  auto w = Register();
  std::map<std::string, std::set<int64_t>> written;
  std::map<std::string, std::set<int64_t>> expected;
  int reads = 0, writes = 0, cases = 0;
  for (const Op& op : Simulate(*w, 3, 2000)) {
    const std::string key = op.key.dump();
    if (op.f == "read") {
      ++reads;
      continue;
    }
    int64_t v = 0;
    if (op.f == "write") {
      ++writes;
      v = op.value.get<int64_t>();
    } else {
      ASSERT_EQ(op.f, "cas");
      ++cases;
      v = op.value[1].get<int64_t>();
      expected[key].insert(op.value[0].get<int64_t>());
    }
    EXPECT_TRUE(written[key].insert(v).second) << "value " << v << " written twice on key " << key;
  }
  EXPECT_GT(reads, 0);
  EXPECT_GT(writes, 0);
  EXPECT_GT(cases, 0);
  // Some CAS compares against a value that was written on its key.
  int matching = 0;
  for (const auto& [key, values] : expected) {
    for (int64_t v : values) matching += written[key].count(v) > 0;
  }
  EXPECT_GT(matching, 0);
}

TEST(RegisterWorkloadTest, NeedsRegisterClientsAndNamesUnknownWorkloads) {
  auto w = Register();
  auto memory = MakeMemoryTarget();
  EXPECT_TRUE(w->NewClient(*memory).ok());
  EXPECT_FALSE(w->Checkers().empty());
  auto unknown = MakeWorkload("bank", WorkloadOptions{});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("bank"), std::string::npos);
}

}  // namespace
}  // namespace faultline
