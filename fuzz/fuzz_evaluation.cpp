// User-logic output: what an evaluate method prints, parsed as the engine parses it; and the
// generic JSON/YAML reader every other path uses.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/json.h"
#include "engine/stages/evaluate_stage.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto evaluation = cpa::engine::EvaluateStage::ParseEvaluation(text);
  if (evaluation && evaluation->target_replicas < 0) __builtin_trap();
  if (auto doc = cpa::ParseJson(text)) {
    // What parses prints, and the print parses again. (Not byte-identical: RapidJSON's default
    // number parsing is not correctly rounded, so a 26-digit integer may print differently
    // after a second round; found by this target, harmless for replica counts.)
    std::string printed = cpa::ToJson(*doc);
    if (!cpa::ParseJson(printed)) __builtin_trap();
    (void)cpa::ToYaml(*doc);
  }
  (void)cpa::ParseYaml(text);
  return 0;
}
