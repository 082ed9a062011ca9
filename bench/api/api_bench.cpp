// API throughput and latency on loopback: GET /healthz and POST /api/v1/evaluation?dry_run=true.
//
// The server runs in this process with its default limits (8 workers); clients are httplib
// clients in benchmark threads. Each benchmark reports requests/s (items_per_second) and the
// p50/p99 latency of one request in microseconds. Dry-run evaluations use in-process methods
// (a metric returning a constant and an evaluator returning {"targetReplicas": 3}, standing in
// for a built-in evaluator) or, in the *Shell variant, two /bin/echo processes per request.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>

#include "api/api_server.h"
#include "common/log.h"
#include "engine/autoscaler.h"
#include "tests/engine/memory_cluster.h"

namespace cpa::api {
namespace {

class ConstantMethod final : public engine::Method {
 public:
  explicit ConstantMethod(std::string output) : output_(std::move(output)) {}
  Result<std::string> Call(std::string_view, std::stop_token) override { return output_; }

 private:
  std::string output_;
};

config::Config BenchConfig(bool shell) {
  config::Config c;
  c.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", shell ? "shell" : "web"};
  c.run_mode = config::RunMode::kPerResource;
  c.metric.type = "shell";
  c.metric.shell = config::ShellMethodConfig{"/bin/echo", {"5"}, false};
  c.evaluate.type = "shell";
  c.evaluate.shell = config::ShellMethodConfig{"/bin/echo", {R"({"targetReplicas": 3})"}, false};
  return c;
}

// One server for the whole process, serving an in-process and a shell autoscaler.
struct Fixture {
  ManualClock clock;
  engine::MemoryCluster cluster{2};
  engine::MemoryCluster shell_cluster{2};
  std::unique_ptr<engine::Autoscaler> in_process;
  std::unique_ptr<engine::Autoscaler> shell;
  MetricsRegistry metrics{clock};
  std::unique_ptr<ApiServer> server;

  Fixture() {
    log::SetVerbosity(0);
    engine::AutoscalerOptions options;
    options.metric = std::make_unique<ConstantMethod>("5");
    options.evaluate = std::make_unique<ConstantMethod>(R"({"targetReplicas": 3})");
    in_process =
        *engine::Autoscaler::Create(BenchConfig(false), cluster, clock, std::move(options));
    shell = *engine::Autoscaler::Create(BenchConfig(true), shell_cluster, clock);
    config::ApiConfig api;
    api.host = "127.0.0.1";
    api.port = 0;
    server = std::make_unique<ApiServer>(
        api, std::vector<engine::Autoscaler*>{in_process.get(), shell.get()}, metrics);
    if (!server->Start()) std::abort();
  }
  static Fixture& Get() {
    static Fixture f;
    return f;
  }
};

enum class Request { kHealthz, kDryRun, kDryRunShell };

void Run(benchmark::State& state, Request request, bool keep_alive) {
  Fixture& f = Fixture::Get();
  httplib::Client cli("127.0.0.1", f.server->port());
  cli.set_keep_alive(keep_alive);
  cli.set_tcp_nodelay(true);  // as curl and Go clients do
  cli.set_read_timeout(30, 0);
  std::vector<double> latencies_us;
  latencies_us.reserve(1 << 16);
  int64_t failures = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    httplib::Result res =
        request == Request::kHealthz
            ? cli.Get("/healthz")
            : cli.Post(request == Request::kDryRun
                           ? "/api/v1/autoscalers/default/web/evaluation?dry_run=true"
                           : "/api/v1/autoscalers/default/shell/evaluation?dry_run=true");
    auto end = std::chrono::steady_clock::now();
    if (!res || res->status != 200) ++failures;
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) {
    if (latencies_us.empty()) return 0.0;
    return latencies_us[std::min(
        latencies_us.size() - 1,
        static_cast<size_t>(p * static_cast<double>(latencies_us.size())))];
  };
  state.SetItemsProcessed(state.iterations());
  state.counters["p50_us"] = benchmark::Counter(pct(0.50), benchmark::Counter::kAvgThreads);
  state.counters["p99_us"] = benchmark::Counter(pct(0.99), benchmark::Counter::kAvgThreads);
  state.counters["failures"] = static_cast<double>(failures);
}

void BM_HealthzKeepAlive(benchmark::State& state) { Run(state, Request::kHealthz, true); }
void BM_HealthzNewConnection(benchmark::State& state) { Run(state, Request::kHealthz, false); }
void BM_DryRunEvaluationInProcess(benchmark::State& state) { Run(state, Request::kDryRun, true); }
void BM_DryRunEvaluationShell(benchmark::State& state) { Run(state, Request::kDryRunShell, true); }

BENCHMARK(BM_HealthzKeepAlive)->UseRealTime()->MinTime(1.0)->Threads(1)->Threads(4);
BENCHMARK(BM_HealthzNewConnection)->UseRealTime()->MinTime(1.0)->Threads(1)->Threads(4);
BENCHMARK(BM_DryRunEvaluationInProcess)->UseRealTime()->MinTime(1.0)->Threads(1)->Threads(4);
BENCHMARK(BM_DryRunEvaluationShell)->UseRealTime()->MinTime(1.0)->Threads(1);

}  // namespace
}  // namespace cpa::api

BENCHMARK_MAIN();
