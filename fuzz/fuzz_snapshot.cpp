// `cpa evaluate --snapshot FILE`: the captured cluster state (engine/snapshot/snapshot.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/snapshot/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)cpa::engine::ParseSnapshot(text);
  return 0;
}
