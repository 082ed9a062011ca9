// The composition root of the built-in evaluators: each autoscalers/<name> library registers its
// method type here, once, before any config is loaded (engine/ never depends on autoscalers/).
#include "autoscalers/hpa/hpa_evaluator.h"
#include "autoscalers/phpa/phpa_evaluator.h"
#include "cli/commands.h"
#include "common/log.h"

namespace cpa::cli {

void RegisterBuiltinEvaluators() {
  static const bool registered = [] {
    // Sorted by name; each built-in evaluator adds its line here.
    for (auto status : {hpa::RegisterHpaMethodType(), phpa::RegisterPhpaMethodType()}) {
      if (!status) log::Error("registering a built-in evaluator: {}", status.error().message);
    }
    return true;
  }();
  (void)registered;
}

}  // namespace cpa::cli
