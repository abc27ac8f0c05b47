#include "harness/generator/context.h"

#include <algorithm>

namespace faultline::gen {

ThreadSet ThreadSet::Single(ThreadId thread) {
  if (thread == kNemesisThread) return NemesisOnly();
  if (thread < 0) return {};
  return Clients(thread, thread + 1);
}

bool ThreadSet::Contains(ThreadId thread) const {
  if (thread == kNemesisThread) return nemesis;
  return thread >= client_begin && thread < client_end;
}

ThreadSet ThreadSet::Intersect(const ThreadSet& other) const {
  ThreadSet result;
  result.client_begin = std::max(client_begin, other.client_begin);
  result.client_end = std::max(result.client_begin, std::min(client_end, other.client_end));
  result.nemesis = nemesis && other.nemesis;
  return result;
}

WorkerTable::WorkerTable(int client_count, bool has_nemesis)
    : client_count_(std::max(client_count, 0)), has_nemesis_(has_nemesis) {
  process_.resize(static_cast<size_t>(client_count_) + 1);
  busy_.assign(process_.size(), 0);
  for (int t = 0; t < client_count_; ++t) process_[static_cast<size_t>(t)] = t;
  process_[static_cast<size_t>(client_count_)] = kNemesisProcess;
}

ThreadId WorkerTable::ThreadOf(int64_t process) const {
  if (process == kNemesisProcess) return has_nemesis_ ? kNemesisThread : kNoThread;
  if (process < 0 || client_count_ == 0) return kNoThread;
  return static_cast<ThreadId>(process % client_count_);
}

void WorkerTable::Retire(ThreadId thread) {
  if (thread == kNemesisThread) return;
  process_[Slot(thread)] += client_count_;
}

Context Context::Restrict(const ThreadSet& threads) const {
  return Context(time_, workers_, threads_.Intersect(threads));
}

bool Context::IsFree(ThreadId thread) const {
  return threads_.Contains(thread) && workers_->IsFree(thread);
}

bool Context::AllFree() const {
  for (ThreadId t = threads_.client_begin; t < threads_.client_end; ++t) {
    if (!workers_->IsFree(t)) return false;
  }
  return !threads_.nemesis || workers_->IsFree(kNemesisThread);
}

ThreadId Context::FirstFreeThread() const {
  for (ThreadId t = threads_.client_begin; t < threads_.client_end; ++t) {
    if (workers_->IsFree(t)) return t;
  }
  if (threads_.nemesis && workers_->IsFree(kNemesisThread)) return kNemesisThread;
  return kNoThread;
}

}  // namespace faultline::gen
