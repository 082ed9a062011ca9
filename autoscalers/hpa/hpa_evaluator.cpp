#include "autoscalers/hpa/hpa_evaluator.h"

#include "common/log.h"
#include "common/quantity.h"
#include "engine/config/method_types.h"

namespace cpa::hpa {
namespace {

std::string CurrentText(const MetricProposal& m) {
  if (m.current_utilization) return std::to_string(*m.current_utilization);
  if (m.current_average_value) return Quantity::FromMilli(*m.current_average_value).ToString();
  if (m.current_value) return Quantity::FromMilli(*m.current_value).ToString();
  return "";
}

}  // namespace

engine::GatherPlan PlanOf(const HpaOptions& options) {
  engine::GatherPlan plan;
  plan.specs = options.metrics;
  plan.periods.cpu_initialization_period =
      std::chrono::seconds(options.cpu_initialization_period_s.value_or(300));
  plan.periods.initial_readiness_delay =
      std::chrono::seconds(options.initial_readiness_delay_s.value_or(30));
  return plan;
}

void LogNoDecision(std::string_view evaluator, const Proposal& proposal,
                   const std::vector<engine::GatheredMetric>& metrics, const std::string& reason) {
  bool unlogged = false;
  for (size_t i = 0; i < proposal.metrics.size(); ++i) {
    const bool read = i >= metrics.size() || !metrics[i].error;
    if (!proposal.metrics[i].replicas && read) unlogged = true;
  }
  if (unlogged) {
    log::Warning("{}: {}", evaluator, reason);
  } else {
    log::V(1, "{}: {}", evaluator, reason);
  }
}

Result<HpaDecision> EvaluateHpa(const HpaOptions& options, const engine::TargetState& target,
                                const std::vector<engine::GatheredMetric>& metrics, TimePoint now,
                                HpaHistory& history, bool record) {
  HpaDecision d;
  const int current = target.current_replicas;
  d.current_replicas = current;
  d.desired_replicas = current;
  auto first = EnsureInitialRecommendation(history, current, now, record);
  if (!first) return std::unexpected(first.error());
  SetCondition(d.conditions, {"AbleToScale", "True", "SucceededGetScale",
                              "the HPA controller was able to get the target's current scale"});
  if (auto range = CheckCurrentReplicas(current, options)) {
    d.desired_replicas = range->disabled ? current : range->desired_replicas;
    d.disabled = range->disabled;
    d.reason = range->disabled ? "scaling is disabled since the replica count of the target is zero"
                               : range->reason;
    if (range->scaling_active) SetCondition(d.conditions, *range->scaling_active);
    d.recommendation = d.desired_replicas;
    return d;
  }
  ProposalInput in;
  in.spec_replicas = current;
  in.status_replicas = target.status_replicas;
  in.target = &target;
  in.metrics = &metrics;
  in.tolerances = TolerancesOf(options);
  in.now = now;
  d.proposal = ComputeProposal(in);
  SetCondition(d.conditions, d.proposal->scaling_active);
  if (d.proposal->replicas < 0) {
    d.reason = "FailedComputeMetricsReplicas: " + d.proposal->error;
    d.recommendation = current;
    return d;
  }
  int desired = std::max(0, d.proposal->replicas);
  if (desired > current) {
    d.reason = d.proposal->metric + " above target";
  } else if (desired < current) {
    d.reason = "All metrics below target";
  } else {
    d.reason = "recommended size matches current size";
  }
  d.recommendation = desired;
  d.recommended = true;
  NormalizeInput n{current, desired, now};
  auto normalized = Normalize(n, options, history, record, *first && !record);
  if (!normalized) return std::unexpected(normalized.error());
  d.normalization = *normalized;
  d.desired_replicas = normalized->desired_replicas;
  SetCondition(d.conditions, normalized->able_to_scale);
  SetCondition(d.conditions, normalized->scaling_limited);
  return d;
}

JsonDocument DecisionToJson(const HpaDecision& d, const HpaOptions& options) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("desiredReplicas", d.desired_replicas, a);
  doc.AddMember("currentReplicas", d.current_replicas, a);
  if (d.recommended) doc.AddMember("recommendation", d.recommendation, a);
  JsonValue metrics(rapidjson::kArrayType);
  if (d.proposal) {
    for (const auto& m : d.proposal->metrics) metrics.PushBack(MetricProposalToJson(m, a), a);
    if (d.proposal->winner) {
      doc.AddMember("winner", JsonString(d.proposal->metrics[*d.proposal->winner].name, a), a);
    }
  }
  doc.AddMember("metrics", metrics, a);
  JsonValue conditions(rapidjson::kArrayType);
  for (const auto& c : d.conditions) conditions.PushBack(ConditionToJson(c, a), a);
  doc.AddMember("conditions", conditions, a);
  doc.AddMember("reason", JsonString(d.reason, a), a);
  const Tolerances t = TolerancesOf(options);
  JsonValue tolerance(rapidjson::kObjectType);
  tolerance.AddMember("scaleDown", t.scale_down, a);
  tolerance.AddMember("scaleUp", t.scale_up, a);
  doc.AddMember("tolerance", tolerance, a);
  if (d.normalization) {
    const auto& n = *d.normalization;
    JsonValue norm(rapidjson::kObjectType);
    norm.AddMember("mode", JsonString(options.behavior ? "behavior" : "legacy", a), a);
    norm.AddMember("stabilizedRecommendation", n.stabilized, a);
    if (n.scale_up_window_min) norm.AddMember("scaleUpWindowMin", *n.scale_up_window_min, a);
    if (n.scale_down_window_max) {
      norm.AddMember("scaleDownWindowMax", *n.scale_down_window_max, a);
    }
    if (n.rate_limit) norm.AddMember("rateLimit", *n.rate_limit, a);
    norm.AddMember("limitedBy", JsonString(n.scaling_limited.reason, a), a);
    doc.AddMember("normalization", norm, a);
  }
  if (d.disabled) doc.AddMember("disabled", true, a);
  return doc;
}

void SetCondition(std::vector<Condition>& conditions, Condition c) {
  for (auto& existing : conditions) {
    if (existing.type == c.type) {
      existing = std::move(c);
      return;
    }
  }
  conditions.push_back(std::move(c));
}

HpaEvaluator::HpaEvaluator(HpaOptions options, std::unique_ptr<HpaHistory> history)
    : options_(std::move(options)), history_(std::move(history)), plan_(PlanOf(options_)) {}

Result<engine::EvaluatorOutput> HpaEvaluator::Evaluate(const engine::EvaluatorInput& input) {
  auto d = EvaluateHpa(options_, input.target, input.metrics, input.now, *history_, input.record);
  if (!d) return std::unexpected(d.error());
  return ToEvaluatorOutput(*d, std::make_shared<JsonDocument>(DecisionToJson(*d, options_)), input,
                           *history_, "hpa");
}

engine::EvaluatorOutput ToEvaluatorOutput(const HpaDecision& d, std::shared_ptr<JsonDocument> audit,
                                          const engine::EvaluatorInput& input, HpaHistory& history,
                                          std::string_view name) {
  engine::EvaluatorOutput out;
  out.evaluation.target_replicas = d.recommendation;
  out.decision.current_replicas = d.current_replicas;
  out.decision.evaluated_replicas = d.recommendation;
  out.decision.target_replicas = d.desired_replicas;
  out.decision.disabled = d.disabled;
  if (d.proposal) {
    for (const auto& m : d.proposal->metrics) {
      if (m.replicas) out.metrics.push_back({m.name, CurrentText(m)});
    }
    if (d.proposal->replicas < 0) LogNoDecision(name, *d.proposal, input.metrics, d.reason);
  }
  if (input.record) {
    if (auto s = history.AddAudit(input.now, ToJson(*audit)); !s) {
      log::Warning("{}: could not record the decision's audit: {}", name, s.error().message);
    }
  }
  out.audit = std::move(audit);
  return out;
}

void RecordScaleEvent(HpaHistory& history, TimePoint at, int from, int to, std::string_view name) {
  if (from == to) return;
  if (auto s = history.AddScaleEvent(at, to - from); !s) {
    log::Warning("{}: could not record the scale event ({} -> {}): {}", name, from, to,
                 s.error().message);
  }
}

void HpaEvaluator::Scaled(TimePoint at, int from, int to) {
  RecordScaleEvent(*history_, at, from, to, "hpa");
}

Result<std::unique_ptr<engine::Evaluator>> HpaEvaluator::Create(
    const config::MethodConfig& config, const engine::EvaluatorFactoryContext& context) {
  auto options = LoadHpaOptions(config.options_json, "evaluate.hpa", context.config);
  if (!options) return std::unexpected(options.error());
  return std::unique_ptr<engine::Evaluator>(
      std::make_unique<HpaEvaluator>(std::move(*options), OpenHpaHistory(context)));
}

Status RegisterHpaMethodType() {
  config::MethodTypeInfo info;
  info.name = "hpa";
  info.summary = "the Kubernetes HPA algorithm (v1.33+), with behavior, in-process";
  info.metric = false;
  info.evaluate = true;
  info.hook = false;
  info.validate_block = [](const JsonValue* block, const std::string& path,
                           config::ConfigIssues& issues) { ParseHpaOptions(block, path, issues); };
  info.create_evaluator = &HpaEvaluator::Create;
  return config::RegisterMethodType(std::move(info));
}

}  // namespace cpa::hpa
