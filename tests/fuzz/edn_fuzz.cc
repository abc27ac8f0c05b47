// libFuzzer target: ParseHistory with HistoryFormat::kEdn.
#include "tests/fuzz/history_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return faultline::fuzz::FuzzHistoryReader(data, size, faultline::HistoryFormat::kEdn);
}
