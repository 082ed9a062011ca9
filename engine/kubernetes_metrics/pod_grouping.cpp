#include "engine/kubernetes_metrics/pod_grouping.h"

#include <optional>

#include "common/quantity.h"
#include "common/rfc3339.h"

namespace cpa::engine::kubernetes_metrics {
namespace {

std::string_view StringAt(const JsonValue& object, std::string_view key) {
  const JsonValue* v = FindMember(object, key);
  return v != nullptr && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength())
                                       : std::string_view();
}

std::string PodName(const JsonValue& pod) {
  const JsonValue* metadata = FindMember(pod, "metadata");
  return metadata != nullptr ? std::string(StringAt(*metadata, "name")) : std::string();
}

bool BeingDeleted(const JsonValue& pod) {
  const JsonValue* metadata = FindMember(pod, "metadata");
  if (metadata == nullptr) return false;
  const JsonValue* ts = FindMember(*metadata, "deletionTimestamp");
  return ts != nullptr && !ts->IsNull();
}

std::string_view Phase(const JsonValue& pod) {
  const JsonValue* status = FindMember(pod, "status");
  return status != nullptr ? StringAt(*status, "phase") : std::string_view();
}

struct ReadyCondition {
  std::string status;  // "True", "False", "Unknown"
  std::optional<TimePoint> last_transition;
};

std::optional<ReadyCondition> FindReadyCondition(const JsonValue& pod) {
  const JsonValue* status = FindMember(pod, "status");
  if (status == nullptr) return std::nullopt;
  const JsonValue* conditions = FindMember(*status, "conditions");
  if (conditions == nullptr || !conditions->IsArray()) return std::nullopt;
  for (const auto& c : conditions->GetArray()) {
    if (StringAt(c, "type") != "Ready") continue;
    ReadyCondition out;
    out.status = std::string(StringAt(c, "status"));
    if (auto t = ParseRfc3339(StringAt(c, "lastTransitionTime"))) out.last_transition = *t;
    return out;
  }
  return std::nullopt;
}

std::optional<TimePoint> StartTime(const JsonValue& pod) {
  const JsonValue* status = FindMember(pod, "status");
  if (status == nullptr) return std::nullopt;
  auto t = ParseRfc3339(StringAt(*status, "startTime"));
  if (!t) return std::nullopt;
  return *t;
}

// The HPA's CPU readiness rule for a pod that has a sample.
bool IgnoreCpuSample(const JsonValue& pod, const PodMetric& metric, const ReadinessPeriods& periods,
                     TimePoint now) {
  auto condition = FindReadyCondition(pod);
  auto start = StartTime(pod);
  if (!condition || !start) return true;
  // A missing lastTransitionTime reads as Go's zero time (year 1): before everything.
  const auto& transition = condition->last_transition;
  if (*start + periods.cpu_initialization_period > now) {
    // Still initializing: ignore unready pods and samples not a full window after the change.
    bool early =
        transition.has_value() &&
        metric.timestamp < *transition + std::chrono::duration_cast<Duration>(metric.window);
    return condition->status == "False" || early;
  }
  // Afterwards: ignore only pods that are unready and never became ready after starting.
  return condition->status == "False" &&
         (!transition.has_value() || *start + periods.initial_readiness_delay > *transition);
}

}  // namespace

PodGroups GroupPods(const PodList& pods, const PodMetricsInfo& metrics, std::string_view resource,
                    const ReadinessPeriods& periods, TimePoint now) {
  PodGroups groups;
  for (const auto& doc : pods) {
    const JsonValue& pod = *doc;
    if (BeingDeleted(pod) || Phase(pod) == "Failed") continue;
    std::string name = PodName(pod);
    if (Phase(pod) == "Pending") {
      groups.ignored_pods.insert(std::move(name));
      continue;
    }
    auto it = metrics.find(name);
    if (it == metrics.end()) {
      groups.missing_pods.insert(std::move(name));
      continue;
    }
    if (resource == "cpu" && IgnoreCpuSample(pod, it->second, periods, now)) {
      groups.ignored_pods.insert(std::move(name));
      continue;
    }
    ++groups.ready_pod_count;
  }
  return groups;
}

int64_t CountReadyPods(const PodList& pods) {
  int64_t ready = 0;
  for (const auto& doc : pods) {
    if (Phase(*doc) != "Running") continue;
    auto condition = FindReadyCondition(*doc);
    if (condition && condition->status == "True") ++ready;
  }
  return ready;
}

Result<std::map<std::string, int64_t>> PodRequests(const PodList& pods, std::string_view resource,
                                                   std::string_view container) {
  std::map<std::string, int64_t> requests;
  for (const auto& doc : pods) {
    const JsonValue& pod = *doc;
    const std::string name = PodName(pod);
    const JsonValue* spec = FindMember(pod, "spec");
    const JsonValue* containers = spec != nullptr ? FindMember(*spec, "containers") : nullptr;
    int64_t sum = 0;
    if (containers != nullptr && containers->IsArray()) {
      for (const auto& c : containers->GetArray()) {
        std::string_view container_name = StringAt(c, "name");
        if (!container.empty() && container_name != container) continue;
        const JsonValue* resources = FindMember(c, "resources");
        const JsonValue* reqs = resources != nullptr ? FindMember(*resources, "requests") : nullptr;
        const JsonValue* q = reqs != nullptr ? FindMember(*reqs, resource) : nullptr;
        if (q == nullptr) {
          return MakeErrorF(ErrorCode::kFailedPrecondition,
                            "missing request for {} in container {} of pod {}", resource,
                            container_name, name);
        }
        std::string text = q->IsString() ? std::string(q->GetString(), q->GetStringLength())
                                         : (q->IsNumber() ? cpa::ToJson(*q) : std::string());
        auto parsed = Quantity::Parse(text);
        if (!parsed) {
          return MakeErrorF(ErrorCode::kInvalidArgument,
                            "invalid request for {} in container {} of pod {}: {}", resource,
                            container_name, name, parsed.error().message);
        }
        sum += parsed->MilliValue();
      }
    }
    requests[name] = sum;
  }
  return requests;
}

}  // namespace cpa::engine::kubernetes_metrics
