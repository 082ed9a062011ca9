#include "engine/autoscaler.h"

#include <chrono>

#include "common/log.h"
#include "engine/config/method_types.h"
#include "engine/kubernetes_metrics/gatherer.h"
#include "engine/methods/method_registry.h"
#include "engine/stages/evaluate_stage.h"
#include "engine/stages/gather_stage.h"
#include "engine/stages/scale_stage.h"
#include "engine/stages/stabilize_stage.h"
#include "engine/stages/store_decision_history.h"

namespace cpa::engine {
namespace {

// Wall time of each stage, for the verbosity-2 stage lines (not a scheduling clock).
class StageTimer {
 public:
  double Lap() {
    const auto now = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
    return ms;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

Autoscaler::Autoscaler(config::Config config, Cluster& cluster, Clock& clock)
    : config_(std::move(config)), cluster_(cluster), clock_(clock) {}

Result<std::unique_ptr<Autoscaler>> Autoscaler::Create(config::Config config, Cluster& cluster,
                                                       Clock& clock, AutoscalerOptions options) {
  if (!config.scale_target_ref) {
    return MakeError(ErrorCode::kInvalidArgument, "scaleTargetRef is required");
  }
  auto a = std::unique_ptr<Autoscaler>(new Autoscaler(std::move(config), cluster, clock));
  a->id_ = a->config_.namespace_ + "/" + a->config_.scale_target_ref->name;
  a->metric_parallelism_ =
      options.metric_parallelism > 0 ? options.metric_parallelism : a->config_.metric_parallelism;
  auto make = [](const std::optional<config::MethodConfig>& c, std::string_view name,
                 std::unique_ptr<Method>& out) -> Status {
    if (!c) return OkStatus();
    auto m = CreateMethod(*c, name);
    if (!m) return std::unexpected(m.error());
    out = std::move(*m);
    return OkStatus();
  };
  const auto& c = a->config_;
  const config::MethodTypeInfo* evaluate_type = config::FindMethodType(c.evaluate.type);
  if (!options.evaluate && evaluate_type != nullptr && evaluate_type->create_evaluator) {
    if (options.kube_api == nullptr) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "evaluate.type {} gathers Kubernetes metrics but no Kubernetes API client "
                        "was given",
                        c.evaluate.type);
    }
    EvaluatorFactoryContext context{c, a->id_, options.store, options.history_seed};
    auto evaluator = evaluate_type->create_evaluator(c.evaluate, context);
    if (!evaluator) return std::unexpected(evaluator.error().WithContext("evaluate"));
    a->evaluator_ = std::move(*evaluator);
  } else if (options.metric) {
    a->metric_ = std::move(options.metric);
  } else {
    CPA_RETURN_IF_ERROR(make(c.metric, "metric", a->metric_));
  }
  if (options.evaluate) {
    a->evaluate_ = std::move(options.evaluate);
  } else if (!a->evaluator_) {
    CPA_RETURN_IF_ERROR(make(c.evaluate, "evaluate", a->evaluate_));
  }
  CPA_RETURN_IF_ERROR(make(c.pre_metric, "preMetric", a->hooks_.pre_metric));
  CPA_RETURN_IF_ERROR(make(c.post_metric, "postMetric", a->hooks_.post_metric));
  CPA_RETURN_IF_ERROR(make(c.pre_evaluate, "preEvaluate", a->hooks_.pre_evaluate));
  CPA_RETURN_IF_ERROR(make(c.post_evaluate, "postEvaluate", a->hooks_.post_evaluate));
  CPA_RETURN_IF_ERROR(make(c.pre_scale, "preScale", a->hooks_.pre_scale));
  CPA_RETURN_IF_ERROR(make(c.post_scale, "postScale", a->hooks_.post_scale));
  a->store_ = options.store;
  a->kube_api_ = options.kube_api;
  a->events_ = options.events;
  a->status_ = options.status;
  a->observe_ = options.observe || c.mode == config::Mode::kObserve;
  a->fallback_ = FallbackPolicy(c.fallback);
  if (c.prometheus) {
    auto client = prometheus::Client::Create(*c.prometheus);
    if (!client) return std::unexpected(client.error());
    a->prometheus_ = std::move(*client);
  } else if (a->evaluator_) {
    const auto& specs = a->evaluator_->Plan().specs;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].prometheus) {
        return MakeErrorF(ErrorCode::kInvalidArgument,
                          "evaluate: metrics[{}] is of type Prometheus but the config has no "
                          "top-level prometheus section",
                          i);
      }
    }
  }
  if (!c.kubernetes_metric_specs.empty() && a->kube_api_ == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "kubernetesMetricSpecs are configured but no Kubernetes API client was given");
  }
  if (options.history) {
    a->history_ = std::move(options.history);
  } else if (options.store != nullptr) {
    a->history_ = std::make_unique<StoreDecisionHistory>(*options.store, a->id_);
  } else {
    a->history_ = std::make_unique<InMemoryDecisionHistory>(
        std::chrono::seconds(std::max<int64_t>(c.downscale_stabilization_s, 1)));
  }
  return a;
}

std::expected<TargetState, StageError> Autoscaler::ResolveTarget() {
  auto target = cluster_.GetTarget(*config_.scale_target_ref, config_.namespace_);
  if (!target) return std::unexpected(StageError{"target", target.error()});
  return std::move(*target);
}

std::expected<std::optional<JsonDocument>, StageError> Autoscaler::KubernetesMetrics(
    const TargetState& target) {
  if (config_.kubernetes_metric_specs.empty()) return std::optional<JsonDocument>();
  auto metrics =
      GatherKubernetesMetrics(*kube_api_, config_, target, clock_.Now(), prometheus_.get());
  if (!metrics) return std::unexpected(StageError{"metric", metrics.error()});
  return std::optional<JsonDocument>(std::move(*metrics));
}

std::expected<std::vector<Metric>, StageError> Autoscaler::GatherMetrics(RunType run_type,
                                                                         std::stop_token stop) {
  std::lock_guard lock(run_mu_);
  log::ScopedContext context("autoscaler " + id_);
  auto target = ResolveTarget();
  if (!target) return std::unexpected(target.error());
  if (evaluator_) {
    // A built-in evaluator's metrics: one per spec of its plan, the gathered data as JSON.
    auto gathered = GatherForEvaluator(*target, run_type, stop);
    if (!gathered) return std::unexpected(gathered.error());
    std::vector<Metric> metrics;
    for (const auto& g : *gathered) {
      JsonDocument doc;
      if (g.metric) {
        doc.CopyFrom(kubernetes_metrics::ToJson(*g.metric, doc.GetAllocator()), doc.GetAllocator());
      }
      metrics.push_back({std::string(config::MetricSourceTypeName(g.spec.type)),
                         g.metric ? ToJson(doc) : "error: " + g.error->ToString()});
    }
    return metrics;
  }
  auto k8s = KubernetesMetrics(*target);
  if (!k8s) return std::unexpected(k8s.error());
  GatherStage gather(config_.run_mode, metric_parallelism_, *metric_, hooks_);
  return gather.Run(*target, run_type, stop, *k8s ? &**k8s : nullptr);
}

std::expected<RunResult, StageError> Autoscaler::Run(RunType run_type, std::stop_token stop) {
  std::lock_guard lock(run_mu_);
  log::ScopedContext context("autoscaler " + id_);
  RunResult result;
  result.run_type = run_type;
  result.started = clock_.Now();
  auto ran = RunStages(result, stop);
  if (run_type == RunType::kScaler) {  // fallback counts scheduled runs only
    if (ran) {
      fallback_.OnSuccess();
    } else if (fallback_.OnFailure()) {
      ApplyFallback(result, ran.error());
    }
  }
  Record(result, ran ? nullptr : &ran.error());
  if (status_ != nullptr) status_->Report(result, ran.has_value());
  if (events_ != nullptr) {
    for (const auto& e : EventsForRun(result, ran ? nullptr : &ran.error())) {
      events_->Emit(*config_.scale_target_ref, config_.namespace_, e);
    }
  }
  if (!ran) {
    log::Error("autoscaler {}: run ({}) failed in stage {}: {}", id_, RunTypeName(run_type),
               ran.error().stage, ran.error().error.message);
    return std::unexpected(std::move(ran.error()));
  }
  return result;
}

std::expected<void, StageError> Autoscaler::RunStages(RunResult& result, std::stop_token stop) {
  const RunType run_type = result.run_type;
  StageTimer timer;
  auto target = ResolveTarget();
  if (!target) return std::unexpected(target.error());
  log::V(2, "stage target: {} pods, {} replicas ({:.1f} ms)", target->pods.size(),
         target->current_replicas, timer.Lap());
  if (evaluator_) return RunBuiltin(result, *target, stop);
  auto k8s = KubernetesMetrics(*target);
  if (!k8s) return std::unexpected(k8s.error());
  GatherStage gather(config_.run_mode, metric_parallelism_, *metric_, hooks_);
  auto metrics = gather.Run(*target, run_type, stop, *k8s ? &**k8s : nullptr);
  if (!metrics) return std::unexpected(metrics.error());
  result.metrics = std::move(*metrics);
  log::V(2, "stage metric: {} {} metric call(s) ({:.1f} ms)", result.metrics.size(),
         config::RunModeName(config_.run_mode), timer.Lap());
  EvaluateStage evaluate(*evaluate_, hooks_);
  auto evaluation = evaluate.Run(*target, result.metrics, run_type, stop);
  if (!evaluation) return std::unexpected(evaluation.error());
  result.evaluation = *evaluation;
  log::V(2, "stage evaluate: {} call, targetReplicas {} ({:.1f} ms)", config_.evaluate.type,
         evaluation->target_replicas, timer.Lap());
  bool dry_run = run_type == RunType::kApiDryRun;
  StabilizeStage stabilize(config_, *history_);
  auto decision = stabilize.Run(target->current_replicas, *evaluation, clock_.Now(), !dry_run);
  if (!decision) return std::unexpected(decision.error());
  result.decision = *decision;
  log::V(2, "stage stabilize: {} -> {} ({:.1f} ms)", decision->evaluated_replicas,
         decision->target_replicas, timer.Lap());
  if (decision->disabled) {
    log::Info(
        "autoscaler {}: target has 0 replicas and minReplicas is {}: autoscaling disabled "
        "for this run",
        id_, config_.min_replicas);
  } else if (!dry_run && observe_) {
    result.decision->observed = true;
    if (decision->target_replicas != decision->current_replicas) {
      log::Info(
          "autoscaler {}: observe mode: would scale {} {} from {} to {} replicas (evaluated {})",
          id_, config_.scale_target_ref->kind, config_.scale_target_ref->name,
          decision->current_replicas, decision->target_replicas, decision->evaluated_replicas);
    }
  } else if (!dry_run) {
    ScaleStage scale(config_, cluster_, hooks_);
    if (auto s = scale.Run(*target, *evaluation, *result.decision, run_type, stop); !s) {
      return std::unexpected(s.error());
    }
    log::V(2, "stage scale: {} ({:.1f} ms)", result.decision->applied ? "applied" : "unchanged",
           timer.Lap());
    if (result.decision->applied) {
      log::Info("autoscaler {}: scaled {} {} from {} to {} replicas (evaluated {})", id_,
                config_.scale_target_ref->kind, config_.scale_target_ref->name,
                decision->current_replicas, decision->target_replicas,
                decision->evaluated_replicas);
    }
  }
  log::V(1, "autoscaler {}: run ({}) done: {} metrics, evaluated {}, current {}, target {}", id_,
         RunTypeName(run_type), result.metrics.size(), decision->evaluated_replicas,
         decision->current_replicas, decision->target_replicas);
  return {};
}

std::expected<std::vector<GatheredMetric>, StageError> Autoscaler::GatherForEvaluator(
    const TargetState& target, RunType run_type, std::stop_token stop) {
  JsonDocument hook_input;
  const bool hooked = hooks_.pre_metric || hooks_.post_metric;
  if (hooked) hook_input = GatherStage::MetricInput(*target.object, run_type);
  if (auto r = RunHook(hooks_.pre_metric.get(), "preMetric", hook_input, stop); !r) {
    return std::unexpected(r.error());
  }
  const auto& plan = evaluator_->Plan();
  const TimePoint now = clock_.Now();
  std::vector<GatheredMetric> gathered;
  gathered.reserve(plan.specs.size());
  for (const auto& spec : plan.specs) {
    GatheredMetric g{spec, std::nullopt, std::nullopt};
    auto m = GatherKubernetesMetric(*kube_api_, spec, config_.namespace_, target, plan.periods, now,
                                    prometheus_.get());
    if (m) {
      g.metric = std::move(*m);
    } else {
      log::Warning("autoscaler {}: metric {} ({}) could not be read: {}", id_, gathered.size(),
                   spec.prometheus ? "Prometheus" : config::MetricSourceTypeName(spec.type),
                   m.error().ToString());
      g.error = m.error();
    }
    gathered.push_back(std::move(g));
  }
  if (hooks_.post_metric) {
    auto& a = hook_input.GetAllocator();
    JsonValue k8s(rapidjson::kArrayType);
    for (const auto& g : gathered) {
      if (g.metric) k8s.PushBack(kubernetes_metrics::ToJson(*g.metric, a), a);
    }
    hook_input.AddMember("kubernetesMetrics", k8s, a);
    hook_input.AddMember("metrics", JsonValue(rapidjson::kArrayType), a);
    if (auto r = RunHook(hooks_.post_metric.get(), "postMetric", hook_input, stop); !r) {
      return std::unexpected(r.error());
    }
  }
  return gathered;
}

std::expected<void, StageError> Autoscaler::RunBuiltin(RunResult& result, const TargetState& target,
                                                       std::stop_token stop) {
  const RunType run_type = result.run_type;
  const bool dry_run = run_type == RunType::kApiDryRun;
  auto gathered = GatherForEvaluator(target, run_type, stop);
  if (!gathered) return std::unexpected(gathered.error());
  EvaluatorInput input{target, *gathered, clock_.Now(), run_type, !dry_run};
  auto out = EvaluateStage::RunBuiltin(*evaluator_, input, hooks_, stop);
  if (!out) return std::unexpected(out.error());
  result.metrics = std::move(out->metrics);
  result.evaluation = out->evaluation;
  result.decision = out->decision;
  result.audit = out->audit;
  if (out->audit && log::Verbosity() >= 1) log::V(1, "autoscaler {}: {}", id_, ToJson(*out->audit));
  if (result.decision->disabled) {
    log::Info(
        "autoscaler {}: target has 0 replicas and minReplicas is {}: autoscaling disabled "
        "for this run",
        id_, config_.min_replicas);
  } else if (!dry_run && observe_) {
    result.decision->observed = true;
    if (result.decision->target_replicas != result.decision->current_replicas) {
      log::Info(
          "autoscaler {}: observe mode: would scale {} {} from {} to {} replicas (evaluated {})",
          id_, config_.scale_target_ref->kind, config_.scale_target_ref->name,
          result.decision->current_replicas, result.decision->target_replicas,
          result.decision->evaluated_replicas);
    }
  } else if (!dry_run) {
    ScaleStage scale(config_, cluster_, hooks_);
    if (auto s = scale.Run(target, *result.evaluation, *result.decision, run_type, stop); !s) {
      return std::unexpected(s.error());
    }
    if (result.decision->applied) {
      evaluator_->Scaled(clock_.Now(), result.decision->current_replicas,
                         result.decision->target_replicas);
      log::Info("autoscaler {}: scaled {} {} from {} to {} replicas (evaluated {})", id_,
                config_.scale_target_ref->kind, config_.scale_target_ref->name,
                result.decision->current_replicas, result.decision->target_replicas,
                result.decision->evaluated_replicas);
    }
  }
  return {};
}

void Autoscaler::ApplyFallback(RunResult& result, StageError& error) {
  const int failures = fallback_.consecutive_failures();
  auto target = cluster_.GetTarget(*config_.scale_target_ref, config_.namespace_);
  if (!target) {
    log::Warning(
        "autoscaler {}: {} consecutive failed runs, but the fallback cannot read the "
        "target's replicas: {}",
        id_, failures, target.error().message);
    return;
  }
  const int current = target->current_replicas;
  auto to = fallback_.Target(current);
  if (!to) return;  // already at (or, without allowScaleDown, above) fallback.replicas
  ScaleDecision d;
  d.current_replicas = current;
  d.evaluated_replicas = result.evaluation ? result.evaluation->target_replicas : *to;
  d.target_replicas = *to;
  if (observe_) {
    d.observed = true;
    result.decision = d;
    log::Warning(
        "autoscaler {}: observe mode: {} consecutive failed runs: fallback would scale "
        "{} {} from {} to {} replicas",
        id_, failures, config_.scale_target_ref->kind, config_.scale_target_ref->name, current,
        *to);
    return;
  }
  if (auto s = cluster_.Scale(*config_.scale_target_ref, config_.namespace_, *to); !s) {
    log::Error("autoscaler {}: fallback scale to {} replicas failed: {}", id_, *to,
               s.error().message);
    return;
  }
  d.applied = true;
  result.decision = d;
  error.fallback_replicas = *to;
  log::Warning(
      "autoscaler {}: {} consecutive failed runs: fallback scaled {} {} from {} to {} "
      "replicas",
      id_, failures, config_.scale_target_ref->kind, config_.scale_target_ref->name, current, *to);
}

void Autoscaler::Record(const RunResult& result, const StageError* error) {
  if (store_ == nullptr) return;
  store::RunRecord record;
  record.autoscaler = id_;
  record.time = result.started;
  for (const auto& m : result.metrics) {
    record.metrics.push_back(store::MetricPoint::FromText(m.resource, "value", m.value));
  }
  // Dry-run evaluations are not stored as evaluations: stabilization reads those.
  if (result.evaluation && result.run_type != RunType::kApiDryRun) {
    record.evaluation =
        store::Evaluation{result.evaluation->target_replicas, result.evaluation->predictions};
  }
  store::Decision decision;
  decision.run_type = std::string(RunTypeName(result.run_type));
  if (result.decision && result.decision->observed) {
    // Observe mode: "observe" (scheduled) or "api_observe"; applied stays false.
    decision.run_type = result.run_type == RunType::kScaler ? "observe" : "api_observe";
  }
  if (result.decision) {
    decision.current_replicas = result.decision->current_replicas;
    decision.raw_target = result.decision->evaluated_replicas;
    decision.stabilized_target = result.decision->target_replicas;
    decision.applied = result.decision->applied;
  } else if (result.evaluation) {
    decision.raw_target = result.evaluation->target_replicas;
  }
  if (error != nullptr) {
    // A short summary: the log line has the detail; a traceback does not belong in every row.
    constexpr size_t kMaxStoredError = 300;
    decision.error = error->ToString();
    if (decision.error.size() > kMaxStoredError) {
      decision.error.resize(kMaxStoredError);
      decision.error += "...";
    }
  }
  record.decision = decision;
  if (auto s = store_->Record(record); !s) {
    log::Warning("autoscaler {}: could not record the run in the store ({}): {}", id_,
                 store_->Location(), s.error().message);
  }
}

}  // namespace cpa::engine
