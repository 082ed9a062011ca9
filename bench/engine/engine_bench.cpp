// Engine benchmarks (issue 4):
//  - BM_RunOverhead/pods: one full run with in-process no-op methods against an in-memory cluster
//    (the engine's own cost: JSON building, stages, stabilization), 1 and 100 pods.
//  - BM_ShellRoundTrip vs BM_SpawnTrue: a trivial shell method call vs the raw cost of spawning
//    /bin/true through the same method.
//  - BM_ManyAutoscalers: 100 autoscalers at 1 s interval in one process, driven by a manual clock;
//    reports CPU time per run and the process's resident memory.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <fstream>
#include <thread>

#include "engine/autoscaler.h"
#include "engine/methods/shell_method.h"
#include "engine/scheduler.h"

extern char** environ;

namespace cpa::engine {
namespace {

class NoopMethod final : public Method {
 public:
  explicit NoopMethod(std::string out) : out_(std::move(out)) {}
  Result<std::string> Call(std::string_view, std::stop_token) override { return out_; }

 private:
  std::string out_;
};

class BenchCluster final : public Cluster {
 public:
  explicit BenchCluster(int pods) {
    auto obj = std::make_shared<JsonDocument>();
    obj->Parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web",)"
               R"("namespace":"default","labels":{"app":"web"}},"spec":{"replicas":3,)"
               R"("template":{"metadata":{"labels":{"app":"web"}}}}})");
    object_ = obj;
    for (int i = 0; i < pods; ++i) {
      auto pod = std::make_shared<JsonDocument>();
      pod->Parse(fmt::format(R"({{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"web-{}",)"
                             R"("namespace":"default","labels":{{"app":"web"}}}},"status":)"
                             R"({{"phase":"Running","podIP":"10.0.0.{}"}}}})",
                             i, i % 250)
                     .c_str());
      pods_.push_back(pod);
    }
  }
  Result<TargetState> GetTarget(const config::ScaleTargetRef&, const std::string&) override {
    TargetState t;
    t.object = object_;
    t.current_replicas = 3;
    t.selector = "app=web";
    t.pods = pods_;
    return t;
  }
  Status Scale(const config::ScaleTargetRef&, const std::string&, int) override {
    return OkStatus();
  }

 private:
  std::shared_ptr<const JsonDocument> object_;
  std::vector<std::shared_ptr<const JsonDocument>> pods_;
};

config::Config BenchConfig(const std::string& name) {
  config::Config c;
  c.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", name};
  c.downscale_stabilization_s = 300;
  c.interval_ms = 1000;
  c.start_time_ms = 1000;
  return c;
}

AutoscalerOptions NoopOptions() {
  AutoscalerOptions o;
  o.metric = std::make_unique<NoopMethod>("{\"cpu\": 120}");
  o.evaluate = std::make_unique<NoopMethod>("{\"targetReplicas\": 3}");
  o.metric_parallelism = 1;
  return o;
}

void BM_RunOverhead(benchmark::State& state) {
  BenchCluster cluster(static_cast<int>(state.range(0)));
  ManualClock clock(FromUnixMillis(1'000'000));
  auto a = Autoscaler::Create(BenchConfig("web"), cluster, clock, NoopOptions());
  for (auto _ : state) {
    auto r = (*a)->Run(RunType::kScaler);
    benchmark::DoNotOptimize(r);
    clock.Advance(std::chrono::seconds(15));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RunOverhead)->Arg(1)->Arg(100)->Unit(benchmark::kMicrosecond);

void BM_ShellRoundTrip(benchmark::State& state) {
  ShellMethod m(config::ShellMethodConfig{"/bin/cat", {}, false}, 5000, "metric");
  std::string input = R"({"resource":{"metadata":{"name":"web-0"}},"runType":"scaler"})";
  for (auto _ : state) {
    auto out = m.Call(input, {});
    if (!out) state.SkipWithError(out.error().message.c_str());
  }
}
BENCHMARK(BM_ShellRoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_SpawnTrue(benchmark::State& state) {
  ShellMethod m(config::ShellMethodConfig{"/bin/true", {}, false}, 5000, "metric");
  for (auto _ : state) {
    auto out = m.Call("", {});
    if (!out) state.SkipWithError(out.error().message.c_str());
  }
}
BENCHMARK(BM_SpawnTrue)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The floor: posix_spawn of /bin/true and waitpid, without pipes or a process group.
void BM_RawSpawnTrue(benchmark::State& state) {
  char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
  for (auto _ : state) {
    pid_t pid = 0;
    if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0) {
      state.SkipWithError("spawn failed");
      break;
    }
    int status = 0;
    waitpid(pid, &status, 0);
  }
}
BENCHMARK(BM_RawSpawnTrue)->Unit(benchmark::kMicrosecond)->UseRealTime();

long ResidentKiB() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// 100 autoscalers, 1 s interval, 5 pods each: one iteration = 10 simulated seconds = 1,000 runs.
void BM_ManyAutoscalers(benchmark::State& state) {
  const int n = 100;
  BenchCluster cluster(5);
  ManualClock clock(FromUnixMillis(1'000'000'000));
  std::vector<std::unique_ptr<Autoscaler>> autoscalers;
  for (int i = 0; i < n; ++i) {
    autoscalers.push_back(std::move(*Autoscaler::Create(BenchConfig("web-" + std::to_string(i)),
                                                        cluster, clock, NoopOptions())));
  }
  Scheduler scheduler(clock, 2);
  for (auto& a : autoscalers) scheduler.Add(*a);
  std::atomic<int64_t> done{0};
  scheduler.SetObserver([&](Autoscaler&, const auto&, Duration) { ++done; });
  std::stop_source stop;
  std::jthread runner([&] { scheduler.Run(stop.get_token()); });
  while (clock.Sleepers() == 0) std::this_thread::yield();
  double cpu_before = CpuSeconds();
  int64_t runs_before = done;
  for (auto _ : state) {
    for (int s = 0; s < 10; ++s) {
      int64_t target = done + n;
      clock.Advance(std::chrono::seconds(1));
      while (done < target) std::this_thread::yield();
      while (clock.Sleepers() == 0) std::this_thread::yield();
    }
  }
  double cpu = CpuSeconds() - cpu_before;
  int64_t runs = done - runs_before;
  stop.request_stop();
  runner.join();
  state.counters["runs"] = static_cast<double>(runs);
  state.counters["cpu_us_per_run"] = runs > 0 ? cpu * 1e6 / static_cast<double>(runs) : 0;
  state.counters["rss_MiB"] = static_cast<double>(ResidentKiB()) / 1024.0;
  state.counters["skipped"] = static_cast<double>(scheduler.stats().skipped);
}
BENCHMARK(BM_ManyAutoscalers)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

}  // namespace
}  // namespace cpa::engine

BENCHMARK_MAIN();
