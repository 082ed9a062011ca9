// The simulated cluster: one Deployment and its pods, the load that hits them, and the
// metrics-server that reports their CPU; an event-driven, deterministic, seeded simulation.
//
// Time is seconds since the experiment start (double); AdvanceTo(t) processes every event up to
// t in order. The model (experiments/README.md names each parameter's source):
//  - pods: created by SetReplicas, Ready after a lognormal start-up delay; deleted pods leave the
//    endpoints at once and their requests in flight fail (not-ready pods go first, then newest);
//  - a pod serves its requests by processor sharing: either fluid at its CPU limit (each of n
//    requests gets limit/n cores), or under CFS bandwidth control (while the period's quota of
//    limit * period lasts, the n requests share min(n, burst) cores; then throttled until the
//    period ends); a request needs a uniform random amount of CPU;
//  - users (closed loop): in load runs of fixed length, each user issues a request, waits for
//    the answer, thinks uniformly, repeats; at the end of a run requests in flight are dropped;
//  - metrics-server: scrapes every period at a seeded random phase; a pod's CPU is its usage rate
//    over the rate window before the scrape; the latest scrape is what the API serves.
// Not thread-safe: one Simulation is driven by one thread.
#pragma once

#include <cstdint>
#include <queue>
#include <string>
#include <vector>

#include "common/clock.h"
#include "experiments/model.h"
#include "experiments/random.h"
#include "experiments/trace.h"

namespace cpa::experiments {

struct SimulationOptions {
  LoadModel load;
  ClusterModel cluster;
  TimePoint start;                 // wall-clock time of t = 0 (the schedule is by UTC hour)
  double duration_s = 86400;       // the trace covers [0, duration_s)
  double sample_period_s = 15;     // item 6
  int reference_utilization = 50;  // for ReplicaSample::needed (under-provisioning)
  double reference_tolerance = 0.1;
  uint64_t seed = 1;
};

// A pod as the API shows it.
struct PodView {
  std::string name;
  double created_s = 0;
  double ready_s = 0;  // when it became (or becomes) Ready
  bool ready = false;  // Running and Ready
};

// One pod's CPU usage in the latest scrape.
struct PodMetricView {
  std::string name;
  double cpu_cores = 0;
  double timestamp_s = 0;  // the scrape time
};

class Simulation {
 public:
  explicit Simulation(SimulationOptions options);

  // Processes every event with time <= t (t is clamped to the duration).
  void AdvanceTo(double t);
  double now() const { return now_; }
  TimePoint WallTime(double t) const;
  const SimulationOptions& options() const { return options_; }

  // --- the Deployment ---------------------------------------------------------------------------
  int replicas() const { return replicas_; }
  void SetReplicas(int replicas);     // at now(); creates or deletes pods
  std::vector<PodView> Pods() const;  // live pods, oldest first
  int ReadyPods() const { return static_cast<int>(endpoints_.size()); }
  // The latest scrape (empty before the first one).
  const std::vector<PodMetricView>& PodMetrics() const { return metrics_; }
  int CurrentUsers() const { return current_users_; }

  // Ends the simulation at the duration and returns what it recorded.
  Trace Finish();
  const Trace& trace() const { return trace_; }

 private:
  enum class EventType : uint8_t {
    kRunStart,
    kUserWake,
    kCompletion,
    kPodReady,
    kScrapeSnapshot,
    kScrape,
    kSample,
  };
  struct Event {
    double t;
    uint64_t seq;
    EventType type;
    int32_t id;
    uint32_t version;
    bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };
  struct Job {
    double finish_v;  // virtual time at which it completes
    double start_s;
    double timeout_at_s;  // 0: none
    int32_t user;
    uint32_t generation;
    bool operator>(const Job& o) const { return finish_v > o.finish_v; }
  };
  struct Pod {
    std::string name;
    double created_s = 0;
    double ready_s = 0;
    bool ready = false;
    bool alive = true;
    double v = 0;  // virtual time: CPU-seconds given to each request so far
    double last_s = 0;
    double cpu_total = 0;  // core-seconds used
    double cpu_snapshot = 0;
    bool snapshot_valid = false;
    uint32_t version = 0;
    bool completion_due = false;  // the scheduled event is the next completion
    int64_t period = -1;          // CFS: current period index (since creation)
    double quota = 0;             // CFS: core-seconds left in it
    std::vector<Job> jobs;        // min-heap on finish_v
  };
  struct User {
    uint32_t generation = 0;
    int32_t pod = -1;  // sticky connection
    bool active = false;
  };

  void Push(double t, EventType type, int32_t id = 0, uint32_t version = 0);
  void Handle(const Event& e);
  void StartRun(int index);
  void UserWake(int user, uint32_t generation);
  void Issue(int user);
  void UpdatePod(Pod& pod, double t);
  void Reschedule(int pod_index);
  void Complete(int pod_index);
  void Record(double start_s, double end_s, bool failed, int user, uint32_t generation);
  void DeletePod(int pod_index);
  void ChangeReplicaIntegral(double t);
  DayRecord& DayAt(double t);
  int Needed(int users) const;

  SimulationOptions options_;
  double now_ = 0;
  uint64_t seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  Rng startup_rng_, think_rng_, pick_rng_, work_rng_, fail_rng_, noise_rng_;
  double startup_sigma_ = 0;

  int replicas_ = 0;
  int pods_created_ = 0;
  std::vector<Pod> pods_;
  std::vector<int> endpoints_;  // ready, alive pods
  std::vector<User> users_;
  int current_users_ = 0;
  double run_start_s_ = 0;
  double run_end_s_ = 0;
  int run_index_ = -1;
  double last_replica_change_s_ = 0;
  double last_sample_s_ = 0;
  double cpu_at_last_sample_ = 0;
  double cpu_dead_ = 0;  // CPU used by deleted pods
  std::vector<PodMetricView> metrics_;
  Trace trace_;
};

}  // namespace cpa::experiments
