#include "autoscalers/phpa/phpa_evaluator.h"

#include <cmath>

#include <fmt/format.h>

#include "common/log.h"
#include "common/quantity.h"
#include "engine/config/json_reader.h"
#include "engine/config/method_types.h"

namespace cpa::phpa {
namespace {

void SetCondition(std::vector<hpa::Condition>& conditions, hpa::Condition c) {
  for (auto& existing : conditions) {
    if (existing.type == c.type) {
      existing = std::move(c);
      return;
    }
  }
  conditions.push_back(std::move(c));
}

std::string CurrentText(const hpa::MetricProposal& m) {
  if (m.current_utilization) return std::to_string(*m.current_utilization);
  if (m.current_average_value) return Quantity::FromMilli(*m.current_average_value).ToString();
  if (m.current_value) return Quantity::FromMilli(*m.current_value).ToString();
  return "";
}

// The load in replicas: the largest usage ratio x the pods it was measured over (ready pods for
// pod metrics, the observed replicas for per-pod Object/External targets or when the ratio was
// within tolerance) over the valid metrics — the HPA's need before rounding and tolerance; the
// proposal when no metric gives one.
double LoadReplicas(const hpa::Proposal& proposal, const engine::TargetState& target) {
  const int replicas =
      target.status_replicas > 0 ? target.status_replicas : target.current_replicas;
  std::optional<double> load;
  for (const auto& m : proposal.metrics) {
    if (!m.replicas || !m.usage_ratio || !std::isfinite(*m.usage_ratio)) continue;
    const double pods = m.ready_pods > 0 ? static_cast<double>(m.ready_pods)
                                         : static_cast<double>(std::max(1, replicas));
    const double v = *m.usage_ratio * pods;
    if (!load || v > *load) load = v;
  }
  return load.value_or(static_cast<double>(proposal.replicas));
}

}  // namespace

PhpaEvaluatorOptions ParsePhpaBlock(const JsonValue* block, const std::string& path,
                                    config::ConfigIssues& issues) {
  PhpaEvaluatorOptions options;
  if (block == nullptr) return options;
  config::JsonReader r(*block, path, issues);
  if (!r.Valid()) return options;
  hpa::ReadHpaFields(r, options.hpa);
  ReadPhpaFields(r, options.phpa);
  r.Finish();
  return options;
}

Result<PhpaEvaluatorOptions> LoadPhpaEvaluatorOptions(const std::string& options_json,
                                                      const std::string& path,
                                                      const config::Config& config) {
  config::ConfigIssues issues;
  PhpaEvaluatorOptions options;
  if (!options_json.empty()) {
    auto doc = ParseJson(options_json);
    if (!doc) return std::unexpected(doc.error().WithContext(path));
    options = ParsePhpaBlock(&*doc, path, issues);
  }
  if (!issues.errors.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, issues.errors.front().ToString());
  }
  options.hpa = hpa::WithConfigDefaults(std::move(options.hpa), config);
  return options;
}

Result<PhpaDecision> EvaluatePhpa(const PhpaEvaluatorOptions& options, Predictor& predictor,
                                  const engine::TargetState& target,
                                  const std::vector<engine::GatheredMetric>& metrics, TimePoint now,
                                  hpa::HpaHistory& history, bool record) {
  PhpaDecision out;
  hpa::HpaDecision& d = out.hpa;
  const int current = target.current_replicas;
  d.current_replicas = current;
  d.desired_replicas = current;
  auto first = hpa::EnsureInitialRecommendation(history, current, now, record);
  if (!first) return std::unexpected(first.error());
  SetCondition(d.conditions, {"AbleToScale", "True", "SucceededGetScale",
                              "the HPA controller was able to get the target's current scale"});
  if (auto range = hpa::CheckCurrentReplicas(current, options.hpa)) {
    d.desired_replicas = range->disabled ? current : range->desired_replicas;
    d.disabled = range->disabled;
    d.reason = range->disabled ? "scaling is disabled since the replica count of the target is zero"
                               : range->reason;
    if (range->scaling_active) SetCondition(d.conditions, *range->scaling_active);
    d.recommendation = d.desired_replicas;
    return out;
  }
  hpa::ProposalInput in;
  in.spec_replicas = current;
  in.status_replicas = target.status_replicas;
  in.target = &target;
  in.metrics = &metrics;
  in.tolerances = hpa::TolerancesOf(options.hpa);
  in.now = now;
  d.proposal = hpa::ComputeProposal(in);
  SetCondition(d.conditions, d.proposal->scaling_active);
  if (d.proposal->replicas < 0) {
    d.reason = "FailedComputeMetricsReplicas: " + d.proposal->error;
    d.recommendation = current;
    return out;
  }
  const int hpa_replicas = std::max(0, d.proposal->replicas);
  // Some metric is invalid but the others allow a decision: the HPA's rule is that such a run
  // may scale up but never down (a metric that cannot be read is not a low one). The models'
  // combination must keep that rule, and the load measured without that metric is not learned.
  const bool partial = d.proposal->invalid > 0;
  std::optional<double> learned;
  if (!partial) {
    learned = options.phpa.learn == LearnSource::kLoad ? LoadReplicas(*d.proposal, target)
                                                       : static_cast<double>(hpa_replicas);
  }
  out.audit = predictor.Run(now, hpa_replicas, learned, !record);
  int desired = out.audit->decision;
  if (partial && desired < current) {
    desired = current;
    d.reason = "no scale-down while a metric is invalid: " + d.proposal->error;
  } else if (desired > current) {
    d.reason = desired > hpa_replicas ? "a prediction above the HPA's proposal"
                                      : d.proposal->metric + " above target";
  } else if (desired < current) {
    d.reason = "All metrics and predictions below target";
  } else {
    d.reason = "recommended size matches current size";
  }
  d.recommendation = desired;
  d.recommended = true;
  hpa::NormalizeInput n{current, desired, now};
  auto normalized = hpa::Normalize(n, options.hpa, history, record, *first && !record);
  if (!normalized) return std::unexpected(normalized.error());
  d.normalization = *normalized;
  d.desired_replicas = normalized->desired_replicas;
  SetCondition(d.conditions, normalized->able_to_scale);
  SetCondition(d.conditions, normalized->scaling_limited);
  return out;
}

JsonDocument PhpaDecisionToJson(const PhpaDecision& decision, const PhpaEvaluatorOptions& options) {
  JsonDocument doc = hpa::DecisionToJson(decision.hpa, options.hpa);
  auto& a = doc.GetAllocator();
  if (decision.audit) {
    JsonDocument audit = AuditToJson(*decision.audit);
    JsonValue copy;
    copy.CopyFrom(audit, a);
    doc.AddMember("phpa", copy, a);
  }
  return doc;
}

PhpaEvaluator::PhpaEvaluator(PhpaEvaluatorOptions options, std::unique_ptr<Predictor> predictor,
                             std::unique_ptr<hpa::HpaHistory> history)
    : options_(std::move(options)),
      predictor_(std::move(predictor)),
      history_(std::move(history)),
      plan_(hpa::PlanOf(options_.hpa)) {}

Result<engine::EvaluatorOutput> PhpaEvaluator::Evaluate(const engine::EvaluatorInput& input) {
  auto d = EvaluatePhpa(options_, *predictor_, input.target, input.metrics, input.now, *history_,
                        input.record);
  if (!d) return std::unexpected(d.error());
  engine::EvaluatorOutput out;
  out.evaluation.target_replicas = d->hpa.recommendation;
  out.decision.current_replicas = d->hpa.current_replicas;
  out.decision.evaluated_replicas = d->hpa.recommendation;
  out.decision.target_replicas = d->hpa.desired_replicas;
  out.decision.disabled = d->hpa.disabled;
  if (d->hpa.proposal) {
    for (const auto& m : d->hpa.proposal->metrics) {
      if (m.replicas) out.metrics.push_back({m.name, CurrentText(m)});
    }
    if (d->hpa.proposal->replicas < 0) {
      hpa::LogNoDecision("phpa", *d->hpa.proposal, input.metrics, d->hpa.reason);
    }
  }
  if (d->audit) log::V(1, "phpa: {}", AuditSummary(*d->audit));
  auto audit = std::make_shared<JsonDocument>(PhpaDecisionToJson(*d, options_));
  if (input.record) {
    if (auto s = history_->AddAudit(input.now, ToJson(*audit)); !s) {
      log::Warning("phpa: could not record the decision's audit: {}", s.error().message);
    }
  }
  out.audit = std::move(audit);
  return out;
}

void PhpaEvaluator::Scaled(TimePoint at, int from, int to) {
  if (from == to) return;
  if (auto s = history_->AddScaleEvent(at, to - from); !s) {
    log::Warning("phpa: could not record the scale event ({} -> {}): {}", from, to,
                 s.error().message);
  }
}

Result<std::unique_ptr<engine::Evaluator>> PhpaEvaluator::Create(
    const config::MethodConfig& config, const engine::EvaluatorFactoryContext& context) {
  auto options = LoadPhpaEvaluatorOptions(config.options_json, "evaluate.phpa", context.config);
  if (!options) return std::unexpected(options.error());
  std::unique_ptr<hpa::HpaHistory> history;
  if (context.seed != nullptr) {
    history = std::make_unique<hpa::InMemoryHpaHistory>(*context.seed);
  } else if (context.store != nullptr) {
    history = std::make_unique<hpa::StoreHpaHistory>(*context.store, context.autoscaler_id, "phpa");
  } else {
    history = std::make_unique<hpa::InMemoryHpaHistory>();
  }
  PredictorOptions p;
  p.phpa = options->phpa;
  p.interval_ms = context.config.interval_ms;
  p.autoscaler = context.autoscaler_id;
  // A `cpa evaluate` snapshot (seed) must not write to a store; the models then start empty.
  p.store = context.seed != nullptr ? nullptr : context.store;
  auto predictor = Predictor::Create(std::move(p));
  if (!predictor) return std::unexpected(predictor.error());
  return std::unique_ptr<engine::Evaluator>(std::make_unique<PhpaEvaluator>(
      std::move(*options), std::move(*predictor), std::move(history)));
}

Status RegisterPhpaMethodType() {
  config::MethodTypeInfo info;
  info.name = "phpa";
  info.summary =
      "the predictive HPA: the HPA algorithm plus Holt-Winters / linear prediction models, "
      "in-process";
  info.metric = false;
  info.evaluate = true;
  info.hook = false;
  info.validate_block = [](const JsonValue* block, const std::string& path,
                           config::ConfigIssues& issues) { ParsePhpaBlock(block, path, issues); };
  info.create_evaluator = &PhpaEvaluator::Create;
  return config::RegisterMethodType(std::move(info));
}

}  // namespace cpa::phpa
