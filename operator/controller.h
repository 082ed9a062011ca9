// The CustomPodAutoscaler controller: informers (kube::Reflector: LIST then WATCH, re-LIST on
// 410 Gone) on the CRs and on the children carrying the owned-by label feed namespace/name keys
// into a WorkQueue (a CR change that leaves its spec, pause annotation and identity alone, such
// as the operator's own status write, queues nothing); worker threads run Reconciler::Reconcile on
// them, back off per key on errors and re-queue what asked for a later look (a failure that repeats
// is logged once, at its first occurrence and when it changes, and the recovery once); every
// `resync` all known CRs are queued again. With leader election only the holder of a
// coordination.k8s.io Lease reconciles (informers run on every replica, so a new leader starts
// warm); a leader that cannot renew within the lease duration stops and Run() returns an error (the
// process exits and is restarted); one that stops cleanly releases the lease so a standby takes
// over without waiting for it to expire.
//
// Run() blocks until `stop`; the accessors are thread-safe and may be called while it runs.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "kube/client.h"
#include "operator/reconciler.h"
#include "operator/work_queue.h"

namespace cpa::op {

struct ControllerOptions {
  std::string watch_namespace;  // "" = every namespace (cluster-wide mode)
  int workers = 2;
  std::chrono::seconds resync{300};
  bool leader_election = true;
  std::string lease_namespace = "default";
  std::string lease_name = "cpa-operator";
  std::string identity = "cpa-operator";
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds retry_period{2};
  BackoffOptions backoff;
  ReconcilerOptions reconciler;
  std::chrono::milliseconds informer_backoff{1000};
};

// A point-in-time view for the health and metrics endpoints.
struct ControllerStats {
  bool leader = false;
  bool synced = false;
  size_t custom_pod_autoscalers = 0;  // known to the informer
  size_t queue_depth = 0;
  size_t queue_waiting = 0;
  int64_t queue_retries = 0;
  int64_t lease_attempts = 0;
  int64_t informer_lists = 0;
  int64_t informer_errors = 0;
  int64_t reconciles = 0;
  int64_t reconcile_errors = 0;
  int64_t creates = 0, updates = 0, deletes = 0, status_writes = 0, events = 0, target_scales = 0;
};

class Controller {
 public:
  Controller(kube::Client& client, ControllerOptions options, Clock& clock);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Runs until `stop` is requested (OK) or leadership is lost / an informer fails terminally
  // (an error).
  Status Run(std::stop_token stop);

  bool IsLeader() const { return leader_.load(); }
  bool Synced() const;
  ControllerStats Stats() const;
  WorkQueue& queue() { return queue_; }
  const Reconciler& reconciler() const { return reconciler_; }

 private:
  struct Informer;
  void StartInformers(std::stop_token stop);
  void Worker(std::stop_token stop);
  void ResyncLoop(std::stop_token stop);
  void EnqueueOwner(const JsonValue& object);
  void EnqueueAll();
  Result<bool> TryLead();
  void ReleaseLease();
  // Log de-duplication for retried failures: true when `message` is not what was last logged
  // for `key` (a CR key, an informer, the lease), so a persistent fault is one warning, not one
  // per retry; ClearLogged() forgets the key and says whether a failure had been logged.
  bool FirstLog(const std::string& key, const std::string& message);
  bool ClearLogged(const std::string& key);

  kube::Client& client_;
  ControllerOptions options_;
  Clock& clock_;
  WorkQueue queue_;
  Reconciler reconciler_;
  std::atomic<bool> leader_{false};
  std::atomic<int64_t> lease_attempts_{0};
  std::atomic<int64_t> informer_errors_{0};
  mutable std::mutex mu_;
  std::map<std::string, std::string> known_;  // CR key -> Fingerprint() of what was seen
  std::vector<std::unique_ptr<Informer>> informers_;
  std::string terminal_error_;
  std::mutex log_mu_;
  std::map<std::string, std::string> logged_;  // key -> last failure logged
};

}  // namespace cpa::op
