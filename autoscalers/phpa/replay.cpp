#include "autoscalers/phpa/replay.h"

#include <cmath>

#include <fmt/format.h>

#include "autoscalers/phpa/simulated_cluster.h"
#include "engine/autoscaler.h"
#include "engine/config/method_types.h"
#include "engine/kube_cluster.h"
#include "store/csv.h"
#include "store/number.h"
#include "store/sqlite_store.h"
#include "store/time_text.h"

namespace cpa::phpa {
namespace {

// The metric stage of a replay: the recorded demand instead of the config's `metric`.
class ReplayMetric final : public engine::Method {
 public:
  ReplayMetric(SimulatedApi& api, bool per_pod) : api_(api), per_pod_(per_pod) {}
  void Set(double demand) { demand_ = demand; }
  Result<std::string> Call(std::string_view, std::stop_token) override {
    const int ready = api_.ready_replicas();
    const double v = per_pod_ ? (ready > 0 ? demand_ / ready : 0.0) : demand_;
    return store::FormatNumber(v);
  }

 private:
  SimulatedApi& api_;
  bool per_pod_;
  double demand_ = 0.0;
};

}  // namespace

Result<ReplayResult> Replay(const config::Config& input_config, const ReplayOptions& options) {
  if (options.demand.size() == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "the demand series is empty");
  }
  config::Config config = input_config;
  if (!config.scale_target_ref)
    config.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", "replay"};
  if (config.scale_target_ref->api_version.empty())
    config.scale_target_ref->api_version = "apps/v1";
  config.api.enabled = false;
  const int64_t interval_ms = std::max<int64_t>(1, config.interval_ms);

  const TimePoint first = options.demand.times.front();
  const TimePoint last = options.demand.times.back();
  ManualClock clock(first);
  SimulatedClusterOptions sim;
  sim.name_space = config.namespace_;
  sim.target = {config.scale_target_ref->api_version, config.scale_target_ref->kind,
                config.scale_target_ref->name};
  int initial = config.min_replicas > 0 ? config.min_replicas : 1;
  if (!options.actual.empty() && options.actual.front()) {
    initial = static_cast<int>(std::lround(*options.actual.front()));
  }
  if (options.initial_replicas) initial = *options.initial_replicas;
  sim.initial_replicas = initial;
  sim.pod_startup = options.pod_startup;
  sim.cpu_request_milli = std::max<int64_t>(1, std::llround(options.cpu_request_cores * 1000.0));
  SimulatedApi api(sim, clock);
  engine::KubeCluster cluster(api);

  auto store = store::OpenSqliteStore({});
  if (!store) return std::unexpected(store.error());
  engine::AutoscalerOptions autoscaler_options;
  autoscaler_options.store = store->get();
  autoscaler_options.kube_api = &api;
  autoscaler_options.metric_parallelism = 1;
  // Built-in evaluators gather through the (simulated) Kubernetes API; user logic gets the
  // replay's metric instead of calling `metric`.
  ReplayMetric* metric_ptr = nullptr;
  if (!config::IsBuiltinEvaluator(config.evaluate.type)) {
    auto metric = std::make_unique<ReplayMetric>(api, config.run_mode == config::RunMode::kPerPod);
    metric_ptr = metric.get();
    autoscaler_options.metric = std::move(metric);
  }
  auto autoscaler =
      engine::Autoscaler::Create(config, cluster, clock, std::move(autoscaler_options));
  if (!autoscaler) return std::unexpected(autoscaler.error());

  ReplayResult result;
  const auto step = std::chrono::milliseconds(interval_ms);
  size_t index = 0;
  int previous_replicas = api.spec_replicas();
  std::optional<double> previous_actual;
  for (TimePoint t = first; t <= last; t += step) {
    clock.Set(t);
    while (index + 1 < options.demand.size() && options.demand.times[index + 1] <= t) ++index;
    const double demand = options.demand.values[index];
    api.SetDemand(demand);
    if (metric_ptr != nullptr) metric_ptr->Set(demand);
    ReplayRow row;
    row.time = t;
    row.demand = demand;
    row.ready = api.ready_replicas();
    if (index < options.actual.size()) row.actual = options.actual[index];
    auto run = (*autoscaler)->Run(engine::RunType::kScaler);
    if (!run) {
      row.error = run.error().ToString();
      ++result.summary.failed_runs;
    } else if (run->evaluation) {
      row.evaluated = run->evaluation->target_replicas;
    }
    row.replicas = api.spec_replicas();
    const double hours = std::chrono::duration<double>(step).count() / 3600.0;
    result.summary.replica_hours += row.replicas * hours;
    if (row.replicas != previous_replicas) ++result.summary.scale_events;
    previous_replicas = row.replicas;
    result.summary.max_replicas = std::max(result.summary.max_replicas, row.replicas);
    if (options.pod_capacity) {
      row.under_provisioned = demand > row.ready * *options.pod_capacity + 1e-9;
      result.summary.under_provisioned_hours =
          result.summary.under_provisioned_hours.value_or(0.0) +
          (row.under_provisioned ? hours : 0.0);
    }
    if (row.actual) {
      result.summary.actual_replica_hours =
          result.summary.actual_replica_hours.value_or(0.0) + *row.actual * hours;
      if (previous_actual && *previous_actual != *row.actual) {
        result.summary.actual_scale_events = result.summary.actual_scale_events.value_or(0) + 1;
      } else if (!result.summary.actual_scale_events) {
        result.summary.actual_scale_events = 0;
      }
      previous_actual = row.actual;
    }
    ++result.summary.runs;
    result.rows.push_back(std::move(row));
  }
  return result;
}

std::string ReplayCsv(const ReplayResult& result) {
  std::string out = "time,unix_ms,demand,replicas,ready,evaluated,actual,under_provisioned,error\n";
  for (const ReplayRow& r : result.rows) {
    out += fmt::format("{},{},{},{},{},{},{},{},{}\n", store::FormatTime(r.time),
                       ToUnixMillis(r.time), store::FormatNumber(r.demand), r.replicas, r.ready,
                       r.evaluated ? std::to_string(*r.evaluated) : std::string(),
                       r.actual ? store::FormatNumber(*r.actual) : std::string(),
                       r.under_provisioned ? 1 : 0, store::CsvField(r.error));
  }
  return out;
}

JsonDocument ReplaySummaryJson(const ReplaySummary& s) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("runs", s.runs, a);
  doc.AddMember("failedRuns", s.failed_runs, a);
  doc.AddMember("replicaHours", s.replica_hours, a);
  doc.AddMember("scaleEvents", s.scale_events, a);
  doc.AddMember("maxReplicas", s.max_replicas, a);
  auto optional = [&](const char* key, const auto& v) {
    if (v) {
      doc.AddMember(JsonValue(key, a), JsonValue(*v), a);
    } else {
      doc.AddMember(JsonValue(key, a), JsonValue(), a);
    }
  };
  optional("underProvisionedHours", s.under_provisioned_hours);
  optional("actualReplicaHours", s.actual_replica_hours);
  optional("actualScaleEvents", s.actual_scale_events);
  return doc;
}

}  // namespace cpa::phpa
