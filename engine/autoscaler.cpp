#include "engine/autoscaler.h"

#include "common/log.h"
#include "engine/methods/method_registry.h"
#include "engine/stages/evaluate_stage.h"
#include "engine/stages/gather_stage.h"
#include "engine/stages/scale_stage.h"
#include "engine/stages/stabilize_stage.h"

namespace cpa::engine {

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
  if (options.metric) {
    a->metric_ = std::move(options.metric);
  } else {
    CPA_RETURN_IF_ERROR(make(c.metric, "metric", a->metric_));
  }
  if (options.evaluate) {
    a->evaluate_ = std::move(options.evaluate);
  } else {
    CPA_RETURN_IF_ERROR(make(c.evaluate, "evaluate", a->evaluate_));
  }
  CPA_RETURN_IF_ERROR(make(c.pre_metric, "preMetric", a->hooks_.pre_metric));
  CPA_RETURN_IF_ERROR(make(c.post_metric, "postMetric", a->hooks_.post_metric));
  CPA_RETURN_IF_ERROR(make(c.pre_evaluate, "preEvaluate", a->hooks_.pre_evaluate));
  CPA_RETURN_IF_ERROR(make(c.post_evaluate, "postEvaluate", a->hooks_.post_evaluate));
  CPA_RETURN_IF_ERROR(make(c.pre_scale, "preScale", a->hooks_.pre_scale));
  CPA_RETURN_IF_ERROR(make(c.post_scale, "postScale", a->hooks_.post_scale));
  a->history_ = options.history ? std::move(options.history)
                                : std::make_unique<InMemoryDecisionHistory>(std::chrono::seconds(
                                      std::max<int64_t>(c.downscale_stabilization_s, 1)));
  return a;
}

std::expected<TargetState, StageError> Autoscaler::ResolveTarget() {
  auto target = cluster_.GetTarget(*config_.scale_target_ref, config_.namespace_);
  if (!target) return std::unexpected(StageError{"target", target.error()});
  return std::move(*target);
}

std::expected<std::vector<Metric>, StageError> Autoscaler::GatherMetrics(RunType run_type,
                                                                         std::stop_token stop) {
  std::lock_guard lock(run_mu_);
  auto target = ResolveTarget();
  if (!target) return std::unexpected(target.error());
  GatherStage gather(config_.run_mode, metric_parallelism_, *metric_, hooks_);
  return gather.Run(*target, run_type, stop);
}

std::expected<RunResult, StageError> Autoscaler::Run(RunType run_type, std::stop_token stop) {
  std::lock_guard lock(run_mu_);
  RunResult result;
  result.run_type = run_type;
  result.started = clock_.Now();
  auto fail = [&](StageError e) -> std::expected<RunResult, StageError> {
    log::Error("autoscaler {}: run ({}) failed in stage {}: {}", id_, RunTypeName(run_type),
               e.stage, e.error.message);
    return std::unexpected(std::move(e));
  };
  auto target = ResolveTarget();
  if (!target) return fail(target.error());
  GatherStage gather(config_.run_mode, metric_parallelism_, *metric_, hooks_);
  auto metrics = gather.Run(*target, run_type, stop);
  if (!metrics) return fail(metrics.error());
  result.metrics = std::move(*metrics);
  EvaluateStage evaluate(*evaluate_, hooks_);
  auto evaluation = evaluate.Run(*target, result.metrics, run_type, stop);
  if (!evaluation) return fail(evaluation.error());
  result.evaluation = *evaluation;
  bool dry_run = run_type == RunType::kApiDryRun;
  StabilizeStage stabilize(config_, *history_);
  ScaleDecision decision =
      stabilize.Run(target->current_replicas, *evaluation, clock_.Now(), !dry_run);
  if (decision.disabled) {
    log::Info(
        "autoscaler {}: target has 0 replicas and minReplicas is {}: autoscaling disabled "
        "for this run",
        id_, config_.min_replicas);
  } else if (!dry_run) {
    ScaleStage scale(config_, cluster_, hooks_);
    if (auto s = scale.Run(*target, *evaluation, decision, run_type, stop); !s) {
      return fail(s.error());
    }
    if (decision.applied) {
      log::Info("autoscaler {}: scaled {} {} from {} to {} replicas (evaluated {})", id_,
                config_.scale_target_ref->kind, config_.scale_target_ref->name,
                decision.current_replicas, decision.target_replicas, decision.evaluated_replicas);
    }
  }
  log::V(1, "autoscaler {}: run ({}) done: {} metrics, evaluated {}, current {}, target {}", id_,
         RunTypeName(run_type), result.metrics.size(), decision.evaluated_replicas,
         decision.current_replicas, decision.target_replicas);
  result.decision = decision;
  return result;
}

}  // namespace cpa::engine
