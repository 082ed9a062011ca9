// CSV import: what `cpa forecast -i` (and every command that reads a CSV series) accepts —
// every `cpa history export` layout and plain `timestamp,value` rows (store/series_input.h).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "store/series_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* column : {"", "raw_target"}) {
    std::istringstream in(text);
    auto series = cpa::store::ReadCsvSeries(in, "fuzz.csv", column);
    if (!series) continue;
    // What is accepted is a usable series: as many times as values, times never decreasing.
    if (series->unix_ms.size() != series->values.size() || series->values.empty()) {
      __builtin_trap();
    }
    for (size_t i = 1; i < series->unix_ms.size(); ++i) {
      if (series->unix_ms[i] <= series->unix_ms[i - 1]) __builtin_trap();
    }
  }
  return 0;
}
