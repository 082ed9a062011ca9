#include "experiments/simulation.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace cpa::experiments {
namespace {

constexpr double kDay = 86400.0;
// Pods that exist before the experiment were created this long before it (their CPU
// initialization period is over).
constexpr double kInitialPodAge = 3600.0;

std::string PodName(int index) {
  // Kubernetes style: <deployment>-<replicaset hash>-<5 random characters>, deterministic.
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  uint64_t x = static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 29;
  std::string suffix;
  for (int i = 0; i < 5; ++i) {
    suffix.push_back(kAlphabet[x % (sizeof(kAlphabet) - 1)]);
    x /= (sizeof(kAlphabet) - 1);
  }
  return "web-5d4b7c9f8-" + suffix;
}

// CFS quota below this many core-seconds counts as used up (keeps time moving past rounding).
constexpr double kQuotaEpsilon = 1e-9;

// The CFS period containing t (periods start at the pod's creation); t lies strictly before the
// period's end.
int64_t PeriodIndex(double origin, double period, double t) {
  auto index = static_cast<int64_t>(std::floor((t - origin) / period));
  while (origin + static_cast<double>(index + 1) * period <= t) ++index;
  return index;
}

}  // namespace

Simulation::Simulation(SimulationOptions options)
    : options_(std::move(options)),
      startup_rng_(options_.seed, 1),
      think_rng_(options_.seed, 2),
      pick_rng_(options_.seed, 3),
      work_rng_(options_.seed, 4),
      fail_rng_(options_.seed, 5),
      noise_rng_(options_.seed, 6) {
  startup_sigma_ = options_.cluster.StartupSigma();
  const int days = std::max(1, static_cast<int>(std::ceil(options_.duration_s / kDay)));
  trace_.days.resize(static_cast<size_t>(days));
  trace_.minutes.resize(static_cast<size_t>(std::ceil(options_.duration_s / 60.0)) + 1);
  for (int i = 0; i < options_.cluster.initial_replicas; ++i) {
    Pod pod;
    pod.name = PodName(pods_created_++);
    pod.created_s = -kInitialPodAge;
    pod.ready_s = -kInitialPodAge + 1;
    pod.ready = true;
    pod.last_s = 0;
    pods_.push_back(std::move(pod));
    endpoints_.push_back(static_cast<int>(pods_.size()) - 1);
  }
  replicas_ = options_.cluster.initial_replicas;
  Push(0, EventType::kRunStart, 0);
  Rng phase_rng(options_.seed, 7);
  const double period = options_.cluster.scrape_period_s;
  double first_scrape = phase_rng.Uniform(0, period);
  if (first_scrape < options_.cluster.rate_window_s) first_scrape += period;
  Push(first_scrape - options_.cluster.rate_window_s, EventType::kScrapeSnapshot);
  Push(first_scrape, EventType::kScrape);
  Push(0, EventType::kSample);
}

double ClusterModel::StartupSigma() const {
  if (startup_p95_s <= startup_median_s || startup_median_s <= 0) return 0;
  return std::log(startup_p95_s / startup_median_s) / 1.6448536269514722;
}

TimePoint Simulation::WallTime(double t) const {
  return options_.start + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(t));
}

void Simulation::Push(double t, EventType type, int32_t id, uint32_t version) {
  events_.push(Event{t, seq_++, type, id, version});
}

void Simulation::AdvanceTo(double t) {
  t = std::min(t, options_.duration_s);
  while (!events_.empty() && events_.top().t <= t) {
    Event e = events_.top();
    events_.pop();
    now_ = std::max(now_, e.t);
    Handle(e);
  }
  now_ = std::max(now_, t);
}

void Simulation::Handle(const Event& e) {
  switch (e.type) {
    case EventType::kRunStart:
      StartRun(e.id);
      break;
    case EventType::kUserWake:
      UserWake(e.id, e.version);
      break;
    case EventType::kCompletion:
      if (pods_[static_cast<size_t>(e.id)].alive &&
          pods_[static_cast<size_t>(e.id)].version == e.version) {
        Complete(e.id);
      }
      break;
    case EventType::kPodReady: {
      Pod& pod = pods_[static_cast<size_t>(e.id)];
      if (pod.alive && !pod.ready) {
        pod.ready = true;
        pod.last_s = now_;
        endpoints_.push_back(e.id);
      }
      break;
    }
    case EventType::kScrapeSnapshot:
      for (auto& pod : pods_) {
        if (!pod.alive) continue;
        UpdatePod(pod, now_);
        pod.cpu_snapshot = pod.cpu_total;
        pod.snapshot_valid = pod.ready;
      }
      break;
    case EventType::kScrape: {
      metrics_.clear();
      const double window = options_.cluster.rate_window_s;
      for (auto& pod : pods_) {
        if (!pod.alive || !pod.ready || !pod.snapshot_valid) continue;
        UpdatePod(pod, now_);
        metrics_.push_back({pod.name, (pod.cpu_total - pod.cpu_snapshot) / window, now_});
        pod.snapshot_valid = false;
      }
      const double next = now_ + options_.cluster.scrape_period_s;
      Push(next - window, EventType::kScrapeSnapshot);
      Push(next, EventType::kScrape);
      break;
    }
    case EventType::kSample: {
      ChangeReplicaIntegral(now_);
      const double period = options_.sample_period_s;
      const int users = now_ < run_end_s_ ? current_users_ : 0;
      double cpu = cpu_dead_;
      for (auto& pod : pods_) {
        if (!pod.alive) continue;
        UpdatePod(pod, now_);
        cpu += pod.cpu_total;
      }
      ReplicaSample s;
      s.t_s = now_;
      s.replicas = replicas_;
      s.ready = ReadyPods();
      s.users = users;
      s.needed = Needed(users);
      s.cpu_cores = now_ > 0 ? (cpu - cpu_at_last_sample_) / (now_ - last_sample_s_) : 0;
      cpu_at_last_sample_ = cpu;
      last_sample_s_ = now_;
      trace_.samples.push_back(s);
      if (s.ready < s.needed) {
        DayAt(now_).under_provisioned_s += std::min(period, options_.duration_s - now_);
      }
      Push(now_ + period, EventType::kSample);
      break;
    }
  }
}

std::pair<int, double> LoadModel::UsersAt(TimePoint wall, double elapsed) const {
  if (spike && elapsed + 1e-9 >= spike->offset_s && spike->every_s > 0) {
    const double k = std::round((elapsed - spike->offset_s) / spike->every_s);
    if (std::abs(elapsed - (spike->offset_s + k * spike->every_s)) < 1e-6) {
      return {spike->users, spike->spawn_rate};
    }
  }
  using namespace std::chrono;
  const auto day_point = floor<days>(wall);
  const int hour = static_cast<int>(duration_cast<hours>(wall - day_point).count());
  int users_now = users;
  double rate = spawn_rate;
  for (const auto& p : phases) {
    if (hour >= p.from_hour && hour < p.to_hour) {
      users_now = p.users;
      rate = p.spawn_rate;
    }
  }
  if (!weekday_factors.empty()) {
    // 1970-01-01 was a Thursday; index 0 = Monday.
    const int64_t day_number = day_point.time_since_epoch().count();
    const size_t weekday = static_cast<size_t>(((day_number % 7) + 7 + 3) % 7);
    users_now = static_cast<int>(
        std::lround(users_now * weekday_factors[weekday % weekday_factors.size()]));
  }
  return {users_now, rate};
}

std::string_view CpuModelName(CpuModel model) { return model == CpuModel::kCfs ? "cfs" : "ps"; }

std::string_view ConnectionModelName(ConnectionModel model) {
  return model == ConnectionModel::kSticky ? "sticky" : "per-request";
}

void Simulation::StartRun(int index) {
  const auto& load = options_.load;
  run_index_ = index;
  run_start_s_ = now_;
  run_end_s_ = now_ + load.run_seconds;
  auto [users, rate] = load.UsersAt(WallTime(now_), now_);
  const int scheduled = users;
  if (load.users_noise > 0) {
    users = static_cast<int>(
        std::lround(std::max(0.0, users * (1.0 + load.users_noise * noise_rng_.Normal()))));
  }
  current_users_ = users;
  LoadRunRecord record;
  record.start_s = now_;
  record.users = users;
  record.scheduled_users = scheduled;
  trace_.load_runs.push_back(record);
  if (static_cast<int>(users_.size()) < users) users_.resize(static_cast<size_t>(users));
  for (size_t i = 0; i < users_.size(); ++i) {
    User& u = users_[i];
    ++u.generation;
    u.pod = -1;
    u.active = static_cast<int>(i) < users;
    if (u.active) {
      Push(now_ + static_cast<double>(i) / std::max(rate, 1e-9), EventType::kUserWake,
           static_cast<int32_t>(i), u.generation);
    }
  }
  const double next = (index + 1) * load.run_period_seconds;
  if (next < options_.duration_s) Push(next, EventType::kRunStart, index + 1);
}

void Simulation::UserWake(int user, uint32_t generation) {
  const User& u = users_[static_cast<size_t>(user)];
  if (u.generation != generation || !u.active || now_ >= run_end_s_) return;
  Issue(user);
}

void Simulation::Issue(int user) {
  const auto& c = options_.cluster;
  User& u = users_[static_cast<size_t>(user)];
  if (c.fast_failure_fraction > 0 && fail_rng_.Uniform() < c.fast_failure_fraction) {
    const double end = now_ + fail_rng_.Uniform(c.fast_failure_min_s, c.fast_failure_max_s);
    Record(now_, end, true, user, u.generation);
    return;
  }
  int pod_index = -1;
  if (c.connection == ConnectionModel::kSticky && u.pod >= 0 &&
      pods_[static_cast<size_t>(u.pod)].alive && pods_[static_cast<size_t>(u.pod)].ready) {
    pod_index = u.pod;
  } else if (!endpoints_.empty()) {
    pod_index = endpoints_[pick_rng_.Below(endpoints_.size())];
    u.pod = pod_index;
  }
  if (pod_index < 0) {
    Record(now_, now_ + c.refused_s, true, user, u.generation);
    return;
  }
  Pod& pod = pods_[static_cast<size_t>(pod_index)];
  UpdatePod(pod, now_);
  const double work = work_rng_.Uniform(c.request_cpu_min_s, c.request_cpu_max_s);
  pod.jobs.push_back(Job{pod.v + work, now_, 0, user, u.generation});
  std::push_heap(pod.jobs.begin(), pod.jobs.end(), std::greater<Job>());
  Reschedule(pod_index);
}

void Simulation::UpdatePod(Pod& pod, double t) {
  if (t <= pod.last_s) return;
  const auto& c = options_.cluster;
  if (c.cpu_model == CpuModel::kProcessorSharing) {
    if (!pod.jobs.empty()) {
      pod.v += (t - pod.last_s) * c.cpu_limit_cores / static_cast<double>(pod.jobs.size());
      pod.cpu_total += (t - pod.last_s) * c.cpu_limit_cores;
    }
    pod.last_s = t;
    return;
  }
  // CFS bandwidth control: a quota of limit * period core-seconds per period; while quota is
  // left the pod's requests share `burst` cores, then the pod is throttled until the period ends.
  const double period = c.cfs_period_s;
  const double quota = c.cpu_limit_cores * period;
  if (pod.jobs.empty()) {
    pod.last_s = t;
    return;
  }
  const double n = static_cast<double>(pod.jobs.size());
  const double rate = std::min(n, c.cpu_burst_cores);  // cores the pod uses while running
  while (pod.last_s < t) {
    const int64_t index = PeriodIndex(pod.created_s, period, pod.last_s);
    if (index != pod.period) {
      pod.period = index;
      pod.quota = quota;
    }
    const double period_end = pod.created_s + static_cast<double>(index + 1) * period;
    const double segment_end = std::min(t, period_end);
    if (pod.quota <= kQuotaEpsilon) {
      pod.last_s = period_end <= t ? period_end : t;
      if (period_end <= t) continue;
      break;
    }
    const double run = std::min(segment_end - pod.last_s, pod.quota / rate);
    pod.v += run * rate / n;
    pod.cpu_total += run * rate;
    pod.quota -= run * rate;
    pod.last_s += run;
    if (pod.quota <= kQuotaEpsilon) pod.last_s = std::min(t, period_end);
    if (pod.last_s >= period_end - 1e-12 && period_end <= t) pod.last_s = period_end;
  }
}

void Simulation::Reschedule(int pod_index) {
  Pod& pod = pods_[static_cast<size_t>(pod_index)];
  ++pod.version;
  pod.completion_due = false;
  if (pod.jobs.empty()) return;
  const auto& c = options_.cluster;
  const double n = static_cast<double>(pod.jobs.size());
  const double remaining = std::max(0.0, pod.jobs.front().finish_v - pod.v);
  if (c.cpu_model == CpuModel::kProcessorSharing) {
    pod.completion_due = true;
    Push(now_ + remaining * n / c.cpu_limit_cores, EventType::kCompletion, pod_index, pod.version);
    return;
  }
  const double period = c.cfs_period_s;
  const int64_t index = PeriodIndex(pod.created_s, period, now_);
  const double period_end = pod.created_s + static_cast<double>(index + 1) * period;
  const double quota = index != pod.period ? c.cpu_limit_cores * period : pod.quota;
  if (quota <= kQuotaEpsilon) {
    Push(period_end, EventType::kCompletion, pod_index, pod.version);
    return;
  }
  const double rate = std::min(n, c.cpu_burst_cores);
  const double to_completion = remaining * n / rate;
  const double to_throttle = quota / rate;
  const double to_period_end = period_end - now_;
  if (to_completion <= to_throttle && to_completion <= to_period_end) {
    pod.completion_due = true;
    Push(now_ + to_completion, EventType::kCompletion, pod_index, pod.version);
  } else {
    Push(now_ + std::min(to_throttle, to_period_end), EventType::kCompletion, pod_index,
         pod.version);
  }
}

void Simulation::Complete(int pod_index) {
  Pod& pod = pods_[static_cast<size_t>(pod_index)];
  UpdatePod(pod, now_);
  bool force = pod.completion_due;
  while (!pod.jobs.empty() && (force || pod.jobs.front().finish_v <= pod.v + 1e-12)) {
    std::pop_heap(pod.jobs.begin(), pod.jobs.end(), std::greater<Job>());
    Job job = pod.jobs.back();
    pod.jobs.pop_back();
    force = false;
    const double timeout = options_.cluster.timeout_s;
    const bool timed_out = timeout > 0 && now_ - job.start_s > timeout;
    Record(job.start_s, timed_out ? job.start_s + timeout : now_, timed_out, job.user,
           job.generation);
  }
  Reschedule(pod_index);
}

void Simulation::Record(double start_s, double end_s, bool failed, int user, uint32_t generation) {
  User& u = users_[static_cast<size_t>(user)];
  if (u.generation != generation || end_s >= run_end_s_) {
    ++trace_.requests_dropped;
    return;
  }
  const double latency = end_s - start_s;
  LoadRunRecord& run = trace_.load_runs.back();
  if (run.requests == 0 || latency < run.latency_min_s) run.latency_min_s = latency;
  run.latency_max_s = std::max(run.latency_max_s, latency);
  ++run.requests;
  run.failed += failed ? 1 : 0;
  run.latency_sum_s += latency;
  MinuteRecord& minute =
      trace_.minutes[std::min(trace_.minutes.size() - 1, static_cast<size_t>(start_s / 60.0))];
  ++minute.requests;
  minute.failed += failed ? 1 : 0;
  minute.latency_sum_s += latency;
  minute.latency_max_s = std::max(minute.latency_max_s, latency);
  DayAt(start_s).histogram.Add(latency);
  const auto& load = options_.load;
  Push(end_s + think_rng_.Uniform(load.think_min_s, load.think_max_s), EventType::kUserWake, user,
       generation);
}

DayRecord& Simulation::DayAt(double t) {
  size_t day = static_cast<size_t>(std::max(0.0, t) / kDay);
  return trace_.days[std::min(day, trace_.days.size() - 1)];
}

int Simulation::Needed(int users) const {
  if (users <= 0) return 0;
  const auto& c = options_.cluster;
  const auto& l = options_.load;
  const double cpu = (c.request_cpu_min_s + c.request_cpu_max_s) / 2;
  const double think = (l.think_min_s + l.think_max_s) / 2;
  // Closed loop: each user asks for `cpu` every think time plus its unloaded response time.
  const double offered = users * cpu / (think + cpu / c.cpu_limit_cores);
  // A pod carries its share at up to the target utilization plus the tolerance (the HPA itself
  // does not scale up below that).
  const double per_pod = options_.reference_utilization / 100.0 * c.cpu_request_cores *
                         (1.0 + options_.reference_tolerance);
  return static_cast<int>(std::ceil(offered / per_pod - 1e-9));
}

void Simulation::ChangeReplicaIntegral(double t) {
  double from = last_replica_change_s_;
  while (from < t) {
    const double day_end = (std::floor(from / kDay) + 1) * kDay;
    const double to = std::min(t, day_end);
    DayAt(from).replica_seconds += replicas_ * (to - from);
    from = to;
  }
  last_replica_change_s_ = std::max(last_replica_change_s_, t);
}

void Simulation::SetReplicas(int replicas) {
  replicas = std::max(0, replicas);
  ChangeReplicaIntegral(now_);
  if (replicas == replicas_) return;
  ++DayAt(now_).scale_events;
  replicas_ = replicas;
  std::vector<int> alive;
  for (size_t i = 0; i < pods_.size(); ++i) {
    if (pods_[i].alive) alive.push_back(static_cast<int>(i));
  }
  const auto& c = options_.cluster;
  for (int n = static_cast<int>(alive.size()); n < replicas; ++n) {
    Pod pod;
    pod.name = PodName(pods_created_++);
    pod.created_s = now_;
    pod.ready_s = now_ + startup_rng_.LogNormal(c.startup_median_s, startup_sigma_);
    pod.last_s = now_;
    pods_.push_back(std::move(pod));
    Push(pods_.back().ready_s, EventType::kPodReady, static_cast<int32_t>(pods_.size()) - 1);
  }
  if (static_cast<int>(alive.size()) > replicas) {
    // The ReplicaSet deletes not-ready pods first, then the most recently ready.
    std::sort(alive.begin(), alive.end(), [&](int a, int b) {
      const Pod& pa = pods_[static_cast<size_t>(a)];
      const Pod& pb = pods_[static_cast<size_t>(b)];
      if (pa.ready != pb.ready) return !pa.ready;
      if (pa.ready_s != pb.ready_s) return pa.ready_s > pb.ready_s;
      return a > b;
    });
    for (size_t i = 0; i < alive.size() - static_cast<size_t>(replicas); ++i) DeletePod(alive[i]);
  }
}

void Simulation::DeletePod(int pod_index) {
  Pod& pod = pods_[static_cast<size_t>(pod_index)];
  UpdatePod(pod, now_);
  pod.alive = false;
  ++pod.version;
  cpu_dead_ += pod.cpu_total;
  std::erase(endpoints_, pod_index);
  std::vector<Job> jobs = std::move(pod.jobs);
  pod.jobs.clear();
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return a.start_s != b.start_s ? a.start_s < b.start_s : a.user < b.user;
  });
  for (const Job& job : jobs) Record(job.start_s, now_, true, job.user, job.generation);
}

std::vector<PodView> Simulation::Pods() const {
  std::vector<PodView> out;
  for (const auto& pod : pods_) {
    if (pod.alive) out.push_back({pod.name, pod.created_s, pod.ready_s, pod.ready});
  }
  return out;
}

Trace Simulation::Finish() {
  AdvanceTo(options_.duration_s);
  ChangeReplicaIntegral(options_.duration_s);
  return std::move(trace_);
}

double LatencyHistogram::Quantile(double q) const {
  uint64_t total = 0;
  for (uint32_t b : bins) total += b;
  if (total == 0) return 0;
  const uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  uint64_t seen = 0;
  for (size_t i = 0; i < bins.size(); ++i) {
    seen += bins[i];
    if (seen >= std::max<uint64_t>(rank, 1)) return static_cast<double>(i + 1) / 1000.0;
  }
  return static_cast<double>(bins.size()) / 1000.0;
}

}  // namespace cpa::experiments
