// `cpa evaluate --config FILE --snapshot FILE`: what the configured evaluator decides for a
// captured cluster state, with no cluster. The snapshot (engine/snapshot/snapshot.h) is served as
// an in-memory Kubernetes API; the autoscaler runs once as a dry run on a clock set to the
// snapshot's `now`. Prints one JSON object; exit 2 names the bad config key or snapshot field.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "engine/autoscaler.h"
#include "engine/config/config_loader.h"
#include "engine/kube_cluster.h"
#include "engine/snapshot/snapshot.h"
#include "engine/stages/decision_history.h"

namespace cpa::cli {
namespace {

struct EvaluateArgs {
  std::string config;
  std::string snapshot;
};

// The output for evaluators without an audit of their own (shell, http).
JsonDocument GenericOutput(const engine::RunResult& r, const config::Config& c) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  const auto& d = *r.decision;
  doc.AddMember("desiredReplicas", d.target_replicas, a);
  doc.AddMember("currentReplicas", d.current_replicas, a);
  doc.AddMember("recommendation", d.evaluated_replicas, a);
  JsonValue metrics(rapidjson::kArrayType);
  for (const auto& m : r.metrics) {
    JsonValue item(rapidjson::kObjectType);
    item.AddMember("type", JsonString(c.metric.type, a), a);
    item.AddMember("name", JsonString(m.resource, a), a);
    item.AddMember("current", JsonString(m.value, a), a);
    metrics.PushBack(item, a);
  }
  doc.AddMember("metrics", metrics, a);
  doc.AddMember("conditions", JsonValue(rapidjson::kArrayType), a);
  std::string reason =
      d.disabled ? "scaling is disabled since the replica count of the target is zero"
                 : fmt::format("evaluate ({}) returned {}; minReplicas/maxReplicas{} give {}",
                               c.evaluate.type, d.evaluated_replicas,
                               c.downscale_stabilization_s > 0 ? " and downscaleStabilization" : "",
                               d.target_replicas);
  doc.AddMember("reason", JsonString(reason, a), a);
  return doc;
}

int Evaluate(const EvaluateArgs& args) {
  config::LoadOptions load;
  load.path = args.config;
  load.env = nullptr;  // the file alone: a snapshot evaluation must not depend on the shell
  load.require_target = false;
  auto loaded = config::LoadConfig(load);
  if (!loaded) {
    for (const auto& e : loaded.error().errors) std::cerr << "error: " << e.ToString() << "\n";
    std::cerr << "config is invalid: " << loaded.error().errors.size() << " error(s)\n";
    return kExitInvalidConfig;
  }
  std::ifstream in(args.snapshot, std::ios::binary);
  if (!in) {
    std::cerr << "error: cannot read snapshot file \"" << args.snapshot
              << "\": " << std::strerror(errno) << "\n";
    return kExitInvalidConfig;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto snapshot = engine::ParseSnapshot(text.str());
  if (!snapshot) {
    std::cerr << "error: " << snapshot.error().message << "\n";
    return kExitInvalidConfig;
  }
  config::Config config = loaded->config;
  if (!config.scale_target_ref) {
    config.scale_target_ref = config::ScaleTargetRef{
        "apps/v1", "Deployment", snapshot->scale_name.empty() ? "target" : snapshot->scale_name};
  }
  config.api.enabled = false;
  ManualClock clock(snapshot->now);
  const engine::EvaluatorHistorySeed seed = snapshot->history;
  engine::SnapshotApi api(std::move(*snapshot));
  engine::KubeCluster cluster(api);
  engine::AutoscalerOptions options;
  options.kube_api = &api;
  options.history_seed = &seed;
  auto history = std::make_unique<engine::InMemoryDecisionHistory>(
      std::chrono::seconds(std::max<int64_t>(config.downscale_stabilization_s, 1)));
  for (const auto& r : seed.recommendations) history->Add(r.time, r.replicas);
  options.history = std::move(history);
  auto autoscaler = engine::Autoscaler::Create(config, cluster, clock, std::move(options));
  if (!autoscaler) {
    std::cerr << "error: " << autoscaler.error().ToString() << "\n";
    return kExitInvalidConfig;
  }
  auto result = (*autoscaler)->Run(engine::RunType::kApiDryRun);
  if (!result) {
    std::cerr << "error: " << result.error().ToString() << "\n";
    return kExitFailure;
  }
  JsonDocument out = result->audit ? JsonDocument() : GenericOutput(*result, config);
  if (result->audit) out.CopyFrom(*result->audit, out.GetAllocator());
  std::cout << ToJson(out, true) << "\n";
  return kExitOk;
}

}  // namespace

void RegisterEvaluateCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("evaluate",
                                 "Print what the configured evaluator decides for a snapshot of a "
                                 "cluster state (no cluster needed)");
  auto args = std::make_shared<EvaluateArgs>();
  cmd->add_option("--config", args->config, "autoscaler config (YAML or JSON)")->required();
  cmd->add_option("--snapshot", args->snapshot,
                  "snapshot JSON: now, scale, pods, podMetrics, customMetrics, externalMetrics, "
                  "history (see autoscalers/hpa/README.md)")
      ->required();
  cmd->callback([args, &exit_code] { exit_code = Evaluate(*args); });
}

}  // namespace cpa::cli
