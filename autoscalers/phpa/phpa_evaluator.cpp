#include "autoscalers/phpa/phpa_evaluator.h"

#include <cmath>

#include <fmt/format.h>

#include "common/log.h"
#include "common/quantity.h"
#include "engine/config/json_reader.h"
#include "engine/config/method_types.h"

namespace cpa::phpa {
namespace {

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
  hpa::SetCondition(d.conditions,
                    {"AbleToScale", "True", "SucceededGetScale",
                     "the HPA controller was able to get the target's current scale"});
  if (auto range = hpa::CheckCurrentReplicas(current, options.hpa)) {
    d.desired_replicas = range->disabled ? current : range->desired_replicas;
    d.disabled = range->disabled;
    d.reason = range->disabled ? "scaling is disabled since the replica count of the target is zero"
                               : range->reason;
    if (range->scaling_active) hpa::SetCondition(d.conditions, *range->scaling_active);
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
  hpa::SetCondition(d.conditions, d.proposal->scaling_active);
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
  hpa::SetCondition(d.conditions, normalized->able_to_scale);
  hpa::SetCondition(d.conditions, normalized->scaling_limited);
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
  auto out = hpa::ToEvaluatorOutput(
      d->hpa, std::make_shared<JsonDocument>(PhpaDecisionToJson(*d, options_)), input, *history_,
      "phpa");
  if (d->audit) {
    log::V(1, "phpa: {}", AuditSummary(*d->audit));
    // Each model's raw forecast goes to the store's predictions series (`cpa history show
    // --kind predictions --model NAME`, the REST API's evaluations); abstaining models have none.
    for (const auto& m : d->audit->models) {
      if (m.prediction && std::isfinite(*m.prediction)) {
        out.evaluation.predictions[m.name] = *m.prediction;
      }
    }
  }
  return out;
}

void PhpaEvaluator::Scaled(TimePoint at, int from, int to) {
  hpa::RecordScaleEvent(*history_, at, from, to, "phpa");
}

Result<std::unique_ptr<engine::Evaluator>> PhpaEvaluator::Create(
    const config::MethodConfig& config, const engine::EvaluatorFactoryContext& context) {
  auto options = LoadPhpaEvaluatorOptions(config.options_json, "evaluate.phpa", context.config);
  if (!options) return std::unexpected(options.error());
  PredictorOptions p;
  p.phpa = options->phpa;
  p.interval_ms = context.config.interval_ms;
  p.autoscaler = context.autoscaler_id;
  // A `cpa evaluate` snapshot (seed) must not write to a store; the models then start empty.
  p.store = context.seed != nullptr ? nullptr : context.store;
  auto predictor = Predictor::Create(std::move(p));
  if (!predictor) return std::unexpected(predictor.error());
  return std::unique_ptr<engine::Evaluator>(std::make_unique<PhpaEvaluator>(
      std::move(*options), std::move(*predictor), hpa::OpenHpaHistory(context, "phpa")));
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
