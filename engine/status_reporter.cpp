#include "engine/status_reporter.h"

#include <fmt/format.h>

#include "common/log.h"
#include "common/rfc3339.h"

namespace cpa::engine {

std::optional<CrStatus> StatusAfterRun(const RunResult& result, bool succeeded,
                                       const std::optional<CrStatus>& last) {
  if (!succeeded || !result.decision || result.run_type == RunType::kApiDryRun) return std::nullopt;
  const ScaleDecision& d = *result.decision;
  if (d.disabled) return std::nullopt;
  CrStatus next = last.value_or(CrStatus{});
  next.desired_replicas = d.target_replicas;
  next.current_replicas = d.applied ? d.target_replicas : d.current_replicas;
  if (d.applied) next.last_scale_time = result.started;
  if (last && *last == next) return std::nullopt;
  return next;
}

std::string StatusPatch(const CrStatus& status) {
  std::string body = fmt::format(R"({{"status":{{"currentReplicas":{},"desiredReplicas":{})",
                                 status.current_replicas, status.desired_replicas);
  if (status.last_scale_time) {
    body += fmt::format(R"(,"lastScaleTime":"{}")", FormatRfc3339(*status.last_scale_time));
  }
  return body + "}}";
}

CrStatusReporter::CrStatusReporter(kube::Client& client, std::string name_space, std::string name)
    : client_(client), namespace_(std::move(name_space)), name_(std::move(name)) {}

void CrStatusReporter::Report(const RunResult& result, bool succeeded) {
  std::lock_guard lock(mu_);
  auto next = StatusAfterRun(result, succeeded, written_);
  if (!next) return;
  auto patched = client_.Patch("custompodautoscaler.com/v1", "CustomPodAutoscaler", namespace_,
                               name_, kube::PatchType::kMerge, StatusPatch(*next), "status");
  if (!patched) {
    const std::string message = patched.error().ToString();
    if (message != last_error_) {
      log::Warning("cannot write the status of CustomPodAutoscaler {}/{}: {}", namespace_, name_,
                   message);
      last_error_ = message;
    }
    return;
  }
  last_error_.clear();
  written_ = *next;
}

}  // namespace cpa::engine
