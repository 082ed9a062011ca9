// The simulated cluster's parts against hand-computed cases: processor-sharing latency at a known
// load, the metrics-server lag, start-up delays, deletion of a busy pod, determinism.
#include "experiments/simulation.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace cpa::experiments {
namespace {

// One pod, no schedule phases, fixed work and think time, no random failures.
SimulationOptions Quiet(int users, double work_s, double think_s) {
  SimulationOptions o;
  o.start = FromUnixMillis(0);
  o.duration_s = 300;
  o.load.users = users;
  o.load.phases.clear();
  o.load.spawn_rate = 1e9;
  o.load.think_min_s = o.load.think_max_s = think_s;
  o.cluster.request_cpu_min_s = o.cluster.request_cpu_max_s = work_s;
  o.cluster.fast_failure_fraction = 0;
  o.cluster.cpu_model = CpuModel::kProcessorSharing;
  return o;
}

TEST(SimulationTest, OneUserAloneTakesWorkOverLimit) {
  // 0.13 core-s at a 0.5-core limit: 0.26 s; then 4 s of thought. Requests issued at k * 4.26 s
  // complete at k * 4.26 + 0.26 < 300 for k = 0..70: 71 requests in the 5-minute run.
  Simulation sim(Quiet(1, 0.13, 4.0));
  Trace t = sim.Finish();
  ASSERT_EQ(t.load_runs.size(), 1u);
  EXPECT_EQ(t.load_runs[0].requests, 71);
  EXPECT_EQ(t.load_runs[0].failed, 0);
  EXPECT_NEAR(t.load_runs[0].latency_sum_s / 71, 0.26, 1e-9);
  EXPECT_NEAR(t.load_runs[0].latency_max_s, 0.26, 1e-9);
  EXPECT_NEAR(t.load_runs[0].latency_min_s, 0.26, 1e-9);
}

TEST(SimulationTest, TwoRequestsShareThePodsCpu) {
  // A arrives at 0, B at 0.1 (spawn rate 10/s), 0.1 core-s each, limit 0.5 core. Alone A gets
  // 0.05 core-s by 0.1 s; shared (0.25 core each) A needs 0.2 s more: done at 0.3 (latency 0.3).
  // B then has 0.05 core-s, alone needs 0.1 s more: done at 0.4 (latency 0.3).
  SimulationOptions o = Quiet(2, 0.1, 1000.0);
  o.load.spawn_rate = 10;
  Simulation sim(o);
  Trace t = sim.Finish();
  ASSERT_EQ(t.load_runs.size(), 1u);
  EXPECT_EQ(t.load_runs[0].requests, 2);
  EXPECT_NEAR(t.load_runs[0].latency_min_s, 0.3, 1e-9);
  EXPECT_NEAR(t.load_runs[0].latency_max_s, 0.3, 1e-9);
}

TEST(SimulationTest, CfsQuotaThrottlesALoneRequest) {
  // CFS: 50 ms of quota per 100 ms period (limit 0.5), one core while unthrottled. A request of
  // 0.13 core-s arriving at a period start runs 0-50 ms, 100-150 ms and 200-230 ms: 230 ms.
  SimulationOptions o = Quiet(1, 0.13, 1000.0);
  o.cluster.cpu_model = CpuModel::kCfs;
  Simulation sim(o);
  Trace t = sim.Finish();
  ASSERT_EQ(t.load_runs[0].requests, 1);
  EXPECT_NEAR(t.load_runs[0].latency_max_s, 0.23, 1e-6);
}

TEST(SimulationTest, CfsQuotaIsSharedByConcurrentRequests) {
  // Two requests of 0.04 core-s at 0 (one core shared: 0.5 each): the quota of 0.05 core-s lasts
  // 50 ms and gives each 0.025; throttled to 100 ms; 30 ms more finish both at 130 ms.
  SimulationOptions o = Quiet(2, 0.04, 1000.0);
  o.cluster.cpu_model = CpuModel::kCfs;
  Simulation sim(o);
  Trace t = sim.Finish();
  ASSERT_EQ(t.load_runs[0].requests, 2);
  EXPECT_NEAR(t.load_runs[0].latency_min_s, 0.13, 1e-6);
  EXPECT_NEAR(t.load_runs[0].latency_max_s, 0.13, 1e-6);
}

TEST(SimulationTest, MetricsServerReportsTheRateOverItsWindowAtTheLastScrape) {
  // No users until a spike at 600 s saturates the single pod (0.5 core). The autoscaler-visible
  // value changes only at the first scrape whose 15 s window lies after 600 s.
  SimulationOptions o = Quiet(0, 0.13, 0.001);
  o.duration_s = 1200;
  o.load.spike = Spike{.every_s = 100000, .offset_s = 600, .users = 50, .spawn_rate = 1e9};
  Simulation sim(o);
  sim.AdvanceTo(59.999);
  double first_scrape = -1;
  if (!sim.PodMetrics().empty()) first_scrape = sim.PodMetrics()[0].timestamp_s;
  sim.AdvanceTo(120);
  ASSERT_EQ(sim.PodMetrics().size(), 1u);
  const double phase = std::fmod(sim.PodMetrics()[0].timestamp_s, 60.0);
  if (first_scrape >= 0) {
    EXPECT_NEAR(std::fmod(first_scrape, 60.0), phase, 1e-9);
  }
  EXPECT_DOUBLE_EQ(sim.PodMetrics()[0].cpu_cores, 0.0);
  // The first scrape at or after 615 s (window [scrape - 15, scrape] inside the spike).
  double saturated_scrape = phase;
  while (saturated_scrape < 615) saturated_scrape += 60;
  sim.AdvanceTo(saturated_scrape - 1e-6);
  EXPECT_LT(sim.PodMetrics()[0].cpu_cores, 0.5);
  EXPECT_LT(sim.PodMetrics()[0].timestamp_s, saturated_scrape);
  sim.AdvanceTo(saturated_scrape);
  EXPECT_DOUBLE_EQ(sim.PodMetrics()[0].timestamp_s, saturated_scrape);
  EXPECT_NEAR(sim.PodMetrics()[0].cpu_cores, 0.5, 1e-4);  // less 1 ms of thought in 15 s
}

TEST(SimulationTest, PodsBecomeReadyAfterALognormalStartupDelay) {
  SimulationOptions o = Quiet(0, 0.13, 4.0);
  o.duration_s = 3600;
  Simulation sim(o);
  sim.AdvanceTo(1);
  sim.SetReplicas(2001);
  std::vector<PodView> pods = sim.Pods();
  ASSERT_EQ(pods.size(), 2001u);
  std::vector<double> delays;
  for (const auto& p : pods) {
    if (p.created_s < 0) continue;  // the initial pod
    EXPECT_FALSE(p.ready);
    delays.push_back(p.ready_s - p.created_s);
  }
  ASSERT_EQ(delays.size(), 2000u);
  std::sort(delays.begin(), delays.end());
  EXPECT_NEAR(delays[999], 3.0, 0.3);   // median 3 s (item 16)
  EXPECT_NEAR(delays[1899], 8.0, 1.0);  // 95th percentile 8 s
  // Ready exactly at its time, not before.
  const PodView& p = pods[1];
  sim.AdvanceTo(p.ready_s - 1e-6);
  EXPECT_EQ(sim.ReadyPods(),
            1 + static_cast<int>(std::count_if(pods.begin(), pods.end(), [&](const PodView& q) {
              return q.created_s >= 0 && q.ready_s <= p.ready_s - 1e-6;
            })));
  sim.AdvanceTo(p.ready_s);
  bool ready = false;
  for (const auto& q : sim.Pods()) {
    if (q.name == p.name) ready = q.ready;
  }
  EXPECT_TRUE(ready);
}

TEST(SimulationTest, DeletingABusyPodFailsItsRequestsInFlight) {
  // Two pods, work 10 core-s (20 s alone), 4 users: every request is in flight at 5 s. Scaling
  // to 1 deletes the newest ready pod: its requests fail with 5 s latency.
  SimulationOptions o = Quiet(4, 10.0, 1000.0);
  o.cluster.initial_replicas = 2;
  Simulation sim(o);
  sim.AdvanceTo(5);
  sim.SetReplicas(1);
  EXPECT_EQ(sim.ReadyPods(), 1);
  Trace t = sim.Finish();
  EXPECT_GT(t.load_runs[0].failed, 0);
  EXPECT_EQ(t.load_runs[0].failed + (t.load_runs[0].requests - t.load_runs[0].failed),
            t.load_runs[0].requests);
  EXPECT_NEAR(t.load_runs[0].latency_min_s, 5.0, 1e-6);
  EXPECT_EQ(t.days[0].scale_events, 1);
  // 2 replicas for 5 s, then 1 for 295 s.
  EXPECT_NEAR(t.days[0].replica_seconds, 2 * 5 + 295, 1e-6);
}

TEST(SimulationTest, FollowsTheScheduleByUtcHour) {
  LoadModel load;
  auto at = [](int hour) { return FromUnixMillis(int64_t{hour} * 3600 * 1000); };
  EXPECT_EQ(load.UsersAt(at(8), 0).first, 15);
  EXPECT_EQ(load.UsersAt(at(9), 0).first, 25);
  EXPECT_EQ(load.UsersAt(at(11), 0).first, 25);
  EXPECT_EQ(load.UsersAt(at(12), 0).first, 15);
  EXPECT_EQ(load.UsersAt(at(15), 0).first, 40);
  EXPECT_EQ(load.UsersAt(at(16), 0).second, 20);
  EXPECT_EQ(load.UsersAt(at(17), 0).first, 15);
  // 1970-01-01 was a Thursday (index 3); weekend factor on Saturday 1970-01-03.
  load.weekday_factors = {1, 1, 1, 1, 1, 0.5, 0.5};
  EXPECT_EQ(load.UsersAt(at(24 + 15), 0).first, 40);
  EXPECT_EQ(load.UsersAt(at(48 + 15), 0).first, 20);
}

TEST(SimulationTest, SameSeedSameTraceOtherSeedOtherTrace) {
  auto run = [](uint64_t seed) {
    SimulationOptions o;
    o.start = FromUnixMillis(0);
    o.duration_s = 3600;
    o.seed = seed;
    o.cluster.connection = ConnectionModel::kSticky;
    Simulation sim(o);
    sim.AdvanceTo(600);
    sim.SetReplicas(4);
    Trace t = sim.Finish();
    std::vector<double> out;
    for (const auto& r : t.load_runs) {
      out.push_back(static_cast<double>(r.requests));
      out.push_back(r.latency_sum_s);
      out.push_back(r.latency_max_s);
    }
    return out;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

}  // namespace
}  // namespace cpa::experiments
