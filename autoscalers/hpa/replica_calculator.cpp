#include "autoscalers/hpa/replica_calculator.h"

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "common/quantity.h"

namespace cpa::hpa {
namespace {

using config::MetricSourceType;
using config::MetricTargetType;
using engine::GatheredMetric;
using engine::kubernetes_metrics::KubernetesMetric;
using Int128 = __int128;

constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinInt64 = std::numeric_limits<int64_t>::min();

int64_t Saturate64(Int128 v) {
  if (v > kMaxInt64) return kMaxInt64;
  if (v < kMinInt64) return kMinInt64;
  return static_cast<int64_t>(v);
}

// int32(math.Ceil(x)) with the overflow guard: counts above MaxInt32 saturate.
int CeilReplicas(double x) {
  if (std::isnan(x)) return 0;
  double c = std::ceil(x);
  if (c >= static_cast<double>(kMaxInt32)) return static_cast<int>(kMaxInt32);
  if (c <= 0) return 0;
  return static_cast<int>(c);
}

std::string_view StringAt(const JsonValue& object, std::string_view key) {
  const JsonValue* v = FindMember(object, key);
  return v != nullptr && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength())
                                       : std::string_view();
}

// A view into the pod's JSON (valid while the target lives).
std::string_view PodName(const JsonValue& pod) {
  const JsonValue* metadata = FindMember(pod, "metadata");
  return metadata != nullptr ? StringAt(*metadata, "name") : std::string_view();
}

// Deleted or failed: upstream's "ignored" pods, whose samples are dropped.
bool DeletedOrFailed(const JsonValue& pod) {
  const JsonValue* metadata = FindMember(pod, "metadata");
  if (metadata != nullptr) {
    const JsonValue* ts = FindMember(*metadata, "deletionTimestamp");
    if (ts != nullptr && !ts->IsNull()) return true;
  }
  const JsonValue* status = FindMember(pod, "status");
  return status != nullptr && StringAt(*status, "phase") == "Failed";
}

Result<int64_t> QuantityMilli(const JsonValue& q) {
  std::string text = q.IsString() ? std::string(q.GetString(), q.GetStringLength())
                                  : (q.IsNumber() ? cpa::ToJson(q) : std::string());
  auto parsed = Quantity::Parse(text);
  if (!parsed) return std::unexpected(parsed.error());
  return parsed->MilliValue();
}

// upstream calculateRequests: pod-level requests when set (and no container is named), else the
// sum over containers and restartable (sidecar) init containers, or the named container.
using PodValues = std::unordered_map<std::string_view, int64_t>;

Result<PodValues> CalculateRequests(const engine::TargetState& target, const std::string& container,
                                    const std::string& resource) {
  PodValues requests;
  requests.reserve(target.pods.size());
  for (const auto& doc : target.pods) {
    const JsonValue& pod = *doc;
    const std::string_view name = PodName(pod);
    const JsonValue* spec = FindMember(pod, "spec");
    if (container.empty() && spec != nullptr) {
      const JsonValue* resources = FindMember(*spec, "resources");
      const JsonValue* reqs = resources != nullptr ? FindMember(*resources, "requests") : nullptr;
      if (reqs != nullptr && reqs->IsObject() && reqs->MemberCount() > 0) {
        const JsonValue* q = FindMember(*reqs, resource);
        if (q == nullptr) {
          return MakeErrorF(ErrorCode::kFailedPrecondition,
                            "missing pod-level request for {} in Pod {}", resource, name);
        }
        auto milli = QuantityMilli(*q);
        if (!milli) return std::unexpected(milli.error());
        requests[name] = *milli;
        continue;
      }
    }
    std::vector<const JsonValue*> containers;
    if (spec != nullptr) {
      if (const JsonValue* list = FindMember(*spec, "containers"); list && list->IsArray()) {
        for (const auto& c : list->GetArray()) containers.push_back(&c);
      }
      if (const JsonValue* list = FindMember(*spec, "initContainers"); list && list->IsArray()) {
        for (const auto& c : list->GetArray()) {
          if (StringAt(c, "restartPolicy") == "Always") containers.push_back(&c);
        }
      }
    }
    int64_t request = 0;
    bool found = false;
    for (const JsonValue* c : containers) {
      const std::string_view cname = StringAt(*c, "name");
      if (container.empty() || container == cname) {
        const JsonValue* resources = FindMember(*c, "resources");
        const JsonValue* reqs = resources != nullptr ? FindMember(*resources, "requests") : nullptr;
        const JsonValue* q = reqs != nullptr ? FindMember(*reqs, resource) : nullptr;
        if (q == nullptr) {
          return MakeErrorF(ErrorCode::kFailedPrecondition,
                            "missing request for {} in container {} of Pod {}", resource, cname,
                            name);
        }
        auto milli = QuantityMilli(*q);
        if (!milli) {
          return MakeErrorF(ErrorCode::kInvalidArgument,
                            "invalid request for {} in container {} of Pod {}: {}", resource, cname,
                            name, milli.error().message);
        }
        request = Saturate64(Int128(request) + *milli);
      }
      if (container == cname) {
        found = true;
        break;
      }
    }
    if (!container.empty() && !found) {
      return MakeErrorF(ErrorCode::kFailedPrecondition, "container {} not found in Pod {}",
                        container, name);
    }
    requests[name] = request;
  }
  return requests;
}

struct UtilizationRatio {
  double ratio = 0;
  int64_t utilization = 0;  // int32 range
  int64_t raw_average = 0;
};

Result<UtilizationRatio> ResourceUtilizationRatio(const PodValues& metrics,
                                                  const PodValues& requests,
                                                  int64_t target_utilization) {
  Int128 metrics_total = 0;
  Int128 requests_total = 0;
  int64_t entries = 0;
  for (const auto& [pod, value] : metrics) {
    auto it = requests.find(pod);
    if (it == requests.end()) continue;  // extraneous metrics
    metrics_total += value;
    requests_total += it->second;
    ++entries;
  }
  if (requests_total == 0) {
    return MakeError(ErrorCode::kFailedPrecondition, "no metrics returned matched known pods");
  }
  Int128 utilization = metrics_total * 100 / requests_total;
  UtilizationRatio r;
  r.utilization = utilization > kMaxInt32 ? kMaxInt32
                  : utilization < std::numeric_limits<int32_t>::min()
                      ? std::numeric_limits<int32_t>::min()
                      : static_cast<int64_t>(utilization);
  r.raw_average = Saturate64(metrics_total / entries);
  r.ratio = static_cast<double>(r.utilization) / static_cast<double>(target_utilization);
  return r;
}

std::pair<double, int64_t> MetricUsageRatio(const PodValues& metrics, int64_t target) {
  Int128 total = 0;
  for (const auto& [pod, value] : metrics) total += value;
  int64_t usage = Saturate64(total / static_cast<Int128>(metrics.size()));
  return {static_cast<double>(usage) / static_cast<double>(target), usage};
}

// The samples that count: those of the target's listed pods minus unready (pending,
// CPU-unready), deleted and failed pods. (The engine lists pods without those being deleted, so
// a sample of an unlisted pod is a deleted pod's.)
PodValues CountedSamples(const engine::kubernetes_metrics::PodMetricsInfo& info,
                         const std::set<std::string>& unready, const engine::TargetState& target) {
  PodValues metrics;
  metrics.reserve(target.pods.size());
  auto sample = info.begin();
  for (const auto& doc : target.pods) {
    if (DeletedOrFailed(*doc)) continue;
    const std::string_view name = PodName(*doc);
    const std::string key(name);  // short pod names stay in the small-string buffer
    if (!unready.empty() && unready.contains(key)) continue;
    // Pods come sorted like the samples mostly are: try the next sample before a lookup.
    if (sample == info.end() || sample->first != name) sample = info.find(key);
    if (sample != info.end()) {
      metrics.emplace(name, sample->second.value);
      ++sample;
    }
  }
  return metrics;
}

struct PodGrouping {
  const engine::kubernetes_metrics::PodMetricsInfo* info = nullptr;
  int64_t ready = 0;
  const std::set<std::string>* unready = nullptr;
  const std::set<std::string>* missing = nullptr;
};

// GetResourceReplicas (utilization) and calcPlainMetricReplicas (raw values) share the shape;
// `requests` set selects utilization.
Status PodBasedReplicas(const ProposalInput& in, const PodGrouping& g, int64_t target,
                        const PodValues* requests, MetricProposal& out) {
  PodValues metrics = CountedSamples(*g.info, *g.unready, *in.target);
  out.ready_pods = g.ready;
  out.unready_pods = static_cast<int64_t>(g.unready->size());
  out.missing_pods = static_cast<int64_t>(g.missing->size());
  if (metrics.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "did not receive metrics for targeted pods (pods might be unready)");
  }
  auto ratio_of = [&](const PodValues& m) -> Result<std::pair<double, UtilizationRatio>> {
    if (requests != nullptr) {
      auto r = ResourceUtilizationRatio(m, *requests, target);
      if (!r) return std::unexpected(r.error());
      return std::pair{r->ratio, *r};
    }
    auto [ratio, usage] = MetricUsageRatio(m, target);
    UtilizationRatio u;
    u.ratio = ratio;
    u.raw_average = usage;
    return std::pair{ratio, u};
  };
  auto first = ratio_of(metrics);
  if (!first) return std::unexpected(first.error());
  const double usage_ratio = first->first;
  if (requests != nullptr) {
    out.current_utilization = first->second.utilization;
    out.current_average_value = first->second.raw_average;
  } else {
    out.current_average_value = first->second.raw_average;
  }
  out.usage_ratio = usage_ratio;
  const int current = in.spec_replicas;
  const bool scale_up_with_unready = !g.unready->empty() && usage_ratio > 1.0;
  if (!scale_up_with_unready && g.missing->empty()) {
    if (in.tolerances.IsWithin(usage_ratio)) {
      out.replicas = current;
      out.verdict = "within tolerance";
      return OkStatus();
    }
    out.replicas = CeilReplicas(usage_ratio * static_cast<double>(g.ready));
    out.verdict = usage_ratio > 1.0 ? "scale up" : "scale down";
    return OkStatus();
  }
  if (!g.missing->empty()) {
    if (usage_ratio < 1.0) {
      // Scale-down: missing pods at max(100%, target) of their request (utilization), or at the
      // target (raw values).
      for (const auto& pod : *g.missing) {
        if (requests != nullptr) {
          auto it = requests->find(pod);
          int64_t request = it != requests->end() ? it->second : 0;
          metrics[pod] = Saturate64(Int128(request) * std::max<int64_t>(100, target) / 100);
        } else {
          metrics[pod] = target;
        }
      }
    } else if (usage_ratio > 1.0) {
      for (const auto& pod : *g.missing) metrics[pod] = 0;
    }
  }
  if (scale_up_with_unready) {
    for (const auto& pod : *g.unready) metrics[pod] = 0;
  }
  auto second = ratio_of(metrics);
  if (!second) return std::unexpected(second.error());
  const double new_ratio = second->first;
  if (in.tolerances.IsWithin(new_ratio)) {
    out.replicas = current;
    out.verdict = "within tolerance after assuming values for missing/unready pods";
    return OkStatus();
  }
  if ((usage_ratio < 1.0 && new_ratio > 1.0) || (usage_ratio > 1.0 && new_ratio < 1.0)) {
    out.replicas = current;
    out.verdict = "direction flipped after assuming values for missing/unready pods: keep current";
    return OkStatus();
  }
  const int new_replicas = CeilReplicas(new_ratio * static_cast<double>(metrics.size()));
  if ((new_ratio < 1.0 && new_replicas > current) || (new_ratio > 1.0 && new_replicas < current)) {
    out.replicas = current;
    out.verdict = "pod count would flip the direction: keep current";
    return OkStatus();
  }
  out.replicas = new_replicas;
  out.verdict = new_ratio > 1.0 ? "scale up (missing/unready pods assumed)"
                                : "scale down (missing/unready pods assumed)";
  return OkStatus();
}

// getUsageRatioReplicaCount
Status UsageRatioReplicas(const ProposalInput& in, double ratio, MetricProposal& out) {
  out.usage_ratio = ratio;
  if (in.spec_replicas != 0) {
    if (in.tolerances.IsWithin(ratio)) {
      out.replicas = in.spec_replicas;
      out.verdict = "within tolerance";
      return OkStatus();
    }
    if (in.target->pods.empty()) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "unable to calculate ready pods: no pods returned by selector while "
                       "calculating replica count");
    }
    const int64_t ready = engine::kubernetes_metrics::CountReadyPods(in.target->pods);
    out.ready_pods = ready;
    out.replicas = CeilReplicas(ratio * static_cast<double>(ready));
    out.verdict = ratio > 1.0 ? "scale up" : "scale down";
    return OkStatus();
  }
  out.replicas = CeilReplicas(ratio);
  out.verdict = "from zero: ceil(ratio)";
  return OkStatus();
}

// GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas
void PerPodReplicas(const ProposalInput& in, int64_t usage, int64_t target, MetricProposal& out) {
  const int status = in.status_replicas;
  double ratio =
      static_cast<double>(usage) / (static_cast<double>(target) * static_cast<double>(status));
  out.usage_ratio = ratio;
  out.replicas = status;
  out.verdict = "within tolerance";
  if (!in.tolerances.IsWithin(ratio)) {
    out.replicas = CeilReplicas(static_cast<double>(usage) / static_cast<double>(target));
    out.verdict = *out.replicas > status ? "scale up" : "scale down";
  }
  if (usage == kMaxInt64 || status == 0) {
    out.current_average_value = usage;
  } else {
    out.current_average_value =
        Saturate64(static_cast<Int128>(std::ceil(static_cast<double>(usage) / status)));
  }
}

std::string FailedReason(MetricSourceType type) {
  switch (type) {
    case MetricSourceType::kResource:
      return "FailedGetResourceMetric";
    case MetricSourceType::kContainerResource:
      return "FailedGetContainerResourceMetric";
    case MetricSourceType::kPods:
      return "FailedGetPodsMetric";
    case MetricSourceType::kObject:
      return "FailedGetObjectMetric";
    case MetricSourceType::kExternal:
      return "FailedGetExternalMetric";
  }
  return "FailedGetResourceMetric";
}

int64_t Milli(const std::optional<Quantity>& q) { return q ? q->MilliValue() : 0; }

// Fills name/description/targets and computes one proposal.
Status ComputeOne(const ProposalInput& in, const GatheredMetric& g, MetricProposal& out) {
  const config::MetricSpec& spec = g.spec;
  out.type = std::string(config::MetricSourceTypeName(spec.type));
  const KubernetesMetric* m = g.metric ? &*g.metric : nullptr;
  switch (spec.type) {
    case MetricSourceType::kResource:
    case MetricSourceType::kContainerResource: {
      const bool container = spec.type == MetricSourceType::kContainerResource;
      const std::string name = container ? spec.container_resource->name : spec.resource->name;
      const std::string cname = container ? spec.container_resource->container : "";
      const config::MetricTarget& t =
          container ? spec.container_resource->target : spec.resource->target;
      out.name = name;
      const bool utilization = t.type == MetricTargetType::kUtilization;
      out.description = utilization
                            ? fmt::format("{} {}resource utilization (percentage of request)", name,
                                          container ? "container " : "")
                            : fmt::format("{} resource", name);
      if (utilization) {
        out.target_utilization = t.average_utilization.value_or(0);
      } else {
        out.target_average_value = Milli(t.average_value);
      }
      if (g.error) return std::unexpected(*g.error);
      if (m == nullptr || !m->resource) {
        return MakeError(ErrorCode::kInternal, "no resource metric was gathered");
      }
      const auto& r = *m->resource;
      PodGrouping grouping{&r.pod_metrics_info, r.ready_pod_count, &r.ignored_pods,
                           &r.missing_pods};
      if (in.target->pods.empty()) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "no pods returned by selector while calculating replica count");
      }
      if (utilization) {
        auto requests = CalculateRequests(*in.target, cname, name);
        if (!requests) return std::unexpected(requests.error());
        return PodBasedReplicas(in, grouping, *out.target_utilization, &*requests, out);
      }
      return PodBasedReplicas(in, grouping, *out.target_average_value, nullptr, out);
    }
    case MetricSourceType::kPods: {
      out.name = spec.pods->metric.name;
      out.description = fmt::format("pods metric {}", out.name);
      out.target_average_value = Milli(spec.pods->target.average_value);
      if (g.error) return std::unexpected(*g.error);
      if (m == nullptr || !m->pods) {
        return MakeError(ErrorCode::kInternal, "no pods metric was gathered");
      }
      if (in.target->pods.empty()) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "no pods returned by selector while calculating replica count");
      }
      const auto& p = *m->pods;
      PodGrouping grouping{&p.pod_metrics_info, p.ready_pod_count, &p.ignored_pods,
                           &p.missing_pods};
      return PodBasedReplicas(in, grouping, *out.target_average_value, nullptr, out);
    }
    case MetricSourceType::kObject:
    case MetricSourceType::kExternal: {
      const bool object = spec.type == MetricSourceType::kObject;
      const config::MetricTarget& t = object ? spec.object->target : spec.external->target;
      out.name = object ? spec.object->metric.name : spec.external->metric.name;
      if (object) {
        out.description = fmt::format("{} metric {}", spec.object->described_object.kind, out.name);
      } else {
        const auto& sel = spec.external->metric.selector;
        out.description = fmt::format("external metric {}({})", out.name,
                                      sel ? sel->ToSelectorString() : std::string());
      }
      const bool value_target = t.type == MetricTargetType::kValue;
      if (value_target) {
        out.target_value = Milli(t.value);
      } else {
        out.target_average_value = Milli(t.average_value);
      }
      if (g.error) return std::unexpected(*g.error);
      if (m == nullptr || !(object ? m->object : m->external)) {
        return MakeError(ErrorCode::kInternal, "no value was gathered");
      }
      const auto& v = object ? m->object : m->external;
      if (value_target) {
        int64_t usage = v->current.value.value_or(0);
        out.current_value = usage;
        return UsageRatioReplicas(
            in, static_cast<double>(usage) / static_cast<double>(*out.target_value), out);
      }
      int64_t usage = v->current.average_value.value_or(0);
      PerPodReplicas(in, usage, *out.target_average_value, out);
      return OkStatus();
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown metric source type");
}

}  // namespace

Tolerances TolerancesOf(const HpaOptions& options) {
  Tolerances t{options.tolerance, options.tolerance};
  if (options.behavior) {
    const auto& b = *options.behavior;
    if (b.scale_down && b.scale_down->tolerance) t.scale_down = *b.scale_down->tolerance;
    if (b.scale_up && b.scale_up->tolerance) t.scale_up = *b.scale_up->tolerance;
  }
  return t;
}

Proposal ComputeProposal(const ProposalInput& in) {
  Proposal p;
  const auto& metrics = *in.metrics;
  p.metrics.resize(metrics.size());
  std::optional<Condition> first_condition;
  std::string first_error;
  int replicas = 0;
  for (size_t i = 0; i < metrics.size(); ++i) {
    MetricProposal& out = p.metrics[i];
    auto status = ComputeOne(in, metrics[i], out);
    if (!status) {
      out.replicas.reset();
      out.error = status.error().message;
      out.verdict = "invalid";
      out.condition = Condition{"ScalingActive", "False", FailedReason(metrics[i].spec.type),
                                "the HPA was unable to compute the replica count: " + out.error};
      if (p.invalid == 0) {
        first_condition = out.condition;
        first_error = out.error;
      }
      ++p.invalid;
      continue;
    }
    if (replicas == 0 || *out.replicas > replicas) {
      replicas = *out.replicas;
      p.metric = out.description;
      p.winner = i;
    }
  }
  if (p.invalid > 0) {
    p.error = fmt::format("invalid metrics ({} invalid out of {}), first error is: {}", p.invalid,
                          metrics.size(), first_error);
  }
  if (p.invalid >= static_cast<int>(metrics.size()) ||
      (p.invalid > 0 && replicas < in.spec_replicas)) {
    p.replicas = -1;
    p.winner.reset();
    p.metric.clear();
    p.scaling_active = first_condition.value_or(
        Condition{"ScalingActive", "False", "FailedGetResourceMetric", "no metrics"});
    return p;
  }
  p.replicas = replicas;
  p.scaling_active =
      Condition{"ScalingActive", "True", "ValidMetricFound",
                "the HPA was able to successfully calculate a replica count from " + p.metric};
  return p;
}

JsonValue MetricProposalToJson(const MetricProposal& m, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  out.AddMember("type", JsonString(m.type, a), a);
  out.AddMember("name", JsonString(m.name, a), a);
  if (m.replicas) {
    out.AddMember("proposal", *m.replicas, a);
  } else {
    out.AddMember("proposal", JsonValue(), a);
  }
  JsonValue current(rapidjson::kObjectType);
  if (m.current_utilization) current.AddMember("averageUtilization", *m.current_utilization, a);
  if (m.current_average_value) {
    current.AddMember("averageValue",
                      JsonString(Quantity::FromMilli(*m.current_average_value).ToString(), a), a);
  }
  if (m.current_value) {
    current.AddMember("value", JsonString(Quantity::FromMilli(*m.current_value).ToString(), a), a);
  }
  out.AddMember("current", current, a);
  JsonValue target(rapidjson::kObjectType);
  if (m.target_utilization) target.AddMember("averageUtilization", *m.target_utilization, a);
  if (m.target_average_value) {
    target.AddMember("averageValue",
                     JsonString(Quantity::FromMilli(*m.target_average_value).ToString(), a), a);
  }
  if (m.target_value) {
    target.AddMember("value", JsonString(Quantity::FromMilli(*m.target_value).ToString(), a), a);
  }
  out.AddMember("target", target, a);
  if (m.usage_ratio && std::isfinite(*m.usage_ratio)) {
    out.AddMember("usageRatio", *m.usage_ratio, a);
  }
  out.AddMember("verdict", JsonString(m.verdict, a), a);
  if (m.ready_pods || m.unready_pods || m.missing_pods) {
    JsonValue pods(rapidjson::kObjectType);
    pods.AddMember("ready", m.ready_pods, a);
    pods.AddMember("unready", m.unready_pods, a);
    pods.AddMember("missing", m.missing_pods, a);
    out.AddMember("pods", pods, a);
  }
  if (!m.error.empty()) out.AddMember("error", JsonString(m.error, a), a);
  return out;
}

}  // namespace cpa::hpa
