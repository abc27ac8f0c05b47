#include "harness/generator/context.h"

#include <gtest/gtest.h>

#include <vector>

namespace faultline::gen {
namespace {

TEST(ThreadSetTest, IntersectAndContains) {
  const ThreadSet all{0, 4, true};
  EXPECT_TRUE(all.Contains(0));
  EXPECT_TRUE(all.Contains(3));
  EXPECT_FALSE(all.Contains(4));
  EXPECT_TRUE(all.Contains(kNemesisThread));
  EXPECT_FALSE(all.Contains(kNoThread));

  const ThreadSet clients = all.Intersect(ThreadSet::Clients(2, 100));
  EXPECT_EQ(clients, (ThreadSet{2, 4, false}));
  EXPECT_EQ(all.Intersect(ThreadSet::NemesisOnly()), ThreadSet::NemesisOnly());
  EXPECT_TRUE(ThreadSet::Clients(5, 8).Intersect(ThreadSet::Clients(0, 3)).empty());
  EXPECT_EQ(ThreadSet::Single(kNemesisThread), ThreadSet::NemesisOnly());
  EXPECT_EQ(ThreadSet::Single(2), ThreadSet::Clients(2, 3));
}

TEST(WorkerTableTest, InfoGivesTheThreadANewProcess) {
  WorkerTable workers(3, true);
  EXPECT_EQ(workers.ProcessOf(1), 1);
  EXPECT_EQ(workers.ProcessOf(kNemesisThread), kNemesisProcess);
  workers.Retire(1);
  EXPECT_EQ(workers.ProcessOf(1), 4);
  workers.Retire(1);
  EXPECT_EQ(workers.ProcessOf(1), 7);
  EXPECT_EQ(workers.ThreadOf(7), 1);
  workers.Retire(kNemesisThread);
  EXPECT_EQ(workers.ProcessOf(kNemesisThread), kNemesisProcess);
  EXPECT_EQ(workers.ThreadOf(kNemesisProcess), kNemesisThread);
  EXPECT_EQ(workers.ThreadOf(-7), kNoThread);
  EXPECT_EQ(WorkerTable(2, false).ThreadOf(kNemesisProcess), kNoThread);
  EXPECT_EQ(WorkerTable(0, true).ThreadOf(0), kNoThread);
}

TEST(ContextTest, FreeThreadsWithinTheView) {
  WorkerTable workers(4, true);
  workers.MarkBusy(0);
  workers.MarkBusy(2);
  const Context all(10, workers);
  EXPECT_EQ(all.time(), 10);
  EXPECT_EQ(all.FirstFreeThread(), 1);
  EXPECT_FALSE(all.AllFree());

  const Context upper = all.Restrict(ThreadSet::Clients(2, 4));
  EXPECT_EQ(upper.FirstFreeThread(), 3);
  EXPECT_FALSE(upper.IsFree(1));  // free, but not in this view

  const Context nemesis = all.Restrict(ThreadSet::NemesisOnly());
  EXPECT_EQ(nemesis.FirstFreeThread(), kNemesisThread);
  EXPECT_TRUE(nemesis.AllFree());

  workers.MarkBusy(3);
  EXPECT_EQ(all.Restrict(ThreadSet::Clients(2, 4)).FirstFreeThread(), kNoThread);
  EXPECT_EQ(
      all.Restrict(ThreadSet::Clients(2, 4)).Restrict(ThreadSet::NemesisOnly()).FirstFreeThread(),
      kNoThread);

  std::vector<ThreadId> seen;
  all.ForEachThread([&](ThreadId t) { seen.push_back(t); });
  EXPECT_EQ(seen, (std::vector<ThreadId>{0, 1, 2, 3, kNemesisThread}));
}

}  // namespace
}  // namespace faultline::gen
