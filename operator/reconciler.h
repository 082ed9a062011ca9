// One level-triggered reconcile of one CustomPodAutoscaler (namespace/name): re-read the CR and
// its children, compute the desired children (desired.h), create or update only what differs,
// hold a paused target at its replica count, and write the provisioning part of the status
// (conditions, observedGeneration) when it changed. Deleting children is left to the API
// server's garbage collector (every child has a controller ownerReference to the CR).
//
// Outcomes: an invalid spec is terminal (reported in status and an Event, not retried); waiting
// for an adopted object or a paused target asks for a later look (requeue_after); API failures
// are returned as errors for the caller to retry with backoff; each is reported in the status
// (Provisioned=False, ReconcileError) and as a Warning Event, once until the error changes or a
// reconcile succeeds.
// Thread-safe: reconciles of different keys may run concurrently on one Reconciler.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "kube/client.h"
#include "operator/cpa_spec.h"
#include "operator/desired.h"

namespace cpa::op {

struct ReconcilerOptions {
  std::string identity = "cpa-operator";  // Events' reportingInstance
  bool record_events = true;
  // Next look when waiting for an adopted object, or to hold a paused target.
  std::chrono::seconds wait_requeue{30};
};

struct ReconcileResult {
  enum class Outcome {
    kDone,      // converged (or the CR is gone)
    kRequeue,   // look again after requeue_after
    kTerminal,  // invalid spec: reported, not retried until the CR changes
  };
  Outcome outcome = Outcome::kDone;
  std::chrono::seconds requeue_after{0};
  std::vector<std::string> actions;  // "created Deployment/web", ... (tests, logs)
};

// Counters (monotonic; read by the metrics endpoint).
struct ReconcilerCounters {
  std::atomic<int64_t> reconciles{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> creates{0};
  std::atomic<int64_t> updates{0};
  std::atomic<int64_t> deletes{0};
  std::atomic<int64_t> status_writes{0};
  std::atomic<int64_t> events{0};
  std::atomic<int64_t> target_scales{0};
};

class Reconciler {
 public:
  Reconciler(kube::Client& client, Clock& clock, ReconcilerOptions options = {});

  Result<ReconcileResult> Reconcile(const std::string& ns, const std::string& name);

  const ReconcilerCounters& counters() const { return counters_; }

 private:
  struct Context;
  enum class ChildState { kReady, kWaiting, kBlocked };
  Result<ChildState> EnsureChild(Context& ctx, ChildKind kind, bool provision);
  Status EnsureDeploymentPaused(Context& ctx, bool adopted);
  Status HoldTarget(Context& ctx);
  Status DeleteLegacyPods(Context& ctx);
  Status WriteStatus(Context& ctx, const JsonValue& cr);
  void Event(const Context& ctx, std::string_view type, std::string_view reason,
             std::string_view action, std::string_view note);
  // True when `message` is not the error last reported for `key` (and remembers it).
  bool NewReconcileError(const std::string& key, const std::string& message);
  void ForgetReconcileError(const std::string& key);

  kube::Client& client_;
  Clock& clock_;
  ReconcilerOptions options_;
  ReconcilerCounters counters_;
  std::mutex mu_;
  std::set<std::string> legacy_checked_;  // keys whose original-operator Pods were looked for
  std::map<std::string, std::string> last_error_;  // key -> the ReconcileError last recorded
};

}  // namespace cpa::op
