// The operator against kube/fake on loopback: N CustomPodAutoscalers from cold to all
// provisioned by the full controller (informers, work queue, 4 workers), then a resync of the
// N unchanged CRs (every key reconciled once more), which must write nothing.
//
// The fake's controller simulation (Deployment -> ReplicaSet -> Pods, Deployment status) rescans
// every workload on each write, so it is quadratic in the number of objects; it is on for
// Arg(100) and off for Arg(500) (BENCH_FAKE_CONTROLLERS=1 turns it on for every size), which
// measures the operator rather than the fake.
//
// Counters: api_calls_per_cr and writes_per_cr (HTTP requests the fake served, the informers'
// LIST/WATCH included), and for the resync writes (total; expected 0) and reads_per_cr.
#include <fstream>
#include <sstream>
#include <thread>

#include <benchmark/benchmark.h>

#include "common/clock.h"
#include "kube/client.h"
#include "kube/fake/fake_api_server.h"
#include "operator/controller.h"

namespace cpa::op {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string CpaJson(int i) {
  return fmt::format(
      R"({{"apiVersion":"custompodautoscaler.com/v1","kind":"CustomPodAutoscaler",
      "metadata":{{"name":"cpa-{}","namespace":"bench"}},
      "spec":{{"template":{{"spec":{{"containers":[{{"name":"autoscaler","image":"example/cpa:1"}}]}}}},
      "scaleTargetRef":{{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}},
      "config":[{{"name":"interval","value":"15000"}},{{"name":"maxReplicas","value":"10"}}]}}}})",
      i);
}

void BM_ColdProvisionThenResync(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    kube::fake::FakeApiServerOptions options;
    options.threads = 16;
    options.store.watch_history = 200000;
    options.store.simulate_controllers =
        n <= 100 || std::getenv("BENCH_FAKE_CONTROLLERS") != nullptr;
    kube::fake::FakeApiServer server(options);
    if (!server.Start()) state.SkipWithError("fake server did not start");
    const char* src = std::getenv("CPA_SOURCE_DIR");
    std::string dir = src != nullptr ? src : ".";
    if (!server.CreateObject(ReadFile(dir + "/deploy/crd.yaml"))) {
      state.SkipWithError("cannot install deploy/crd.yaml (run from the source tree)");
      return;
    }
    for (int i = 0; i < n; ++i) (void)server.CreateObject(CpaJson(i));
    kube::ConnectionConfig config;
    config.server = server.url();
    auto client = kube::Client::Create(config);
    ControllerOptions co;
    co.leader_election = false;
    co.workers = 4;
    co.reconciler.record_events = true;
    Controller controller(**client, co, SystemClock::Instance());
    const int64_t requests_before = server.RequestCount();
    const int64_t writes_before = server.WriteCount();
    state.ResumeTiming();

    std::jthread run([&](std::stop_token stop) { (void)controller.Run(stop); });
    // Provisioned: every child created and every status written once.
    while (controller.reconciler().counters().creates.load() < 4 * n ||
           controller.reconciler().counters().status_writes.load() < n ||
           controller.queue().Len() != 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    state.PauseTiming();
    // Let the reconciles triggered by the operator's own writes drain.
    int64_t last = -1;
    while (true) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      int64_t now = controller.reconciler().counters().reconciles.load();
      if (now == last && controller.queue().Len() == 0) break;
      last = now;
    }
    const int64_t cold_requests = server.RequestCount() - requests_before;
    const int64_t cold_writes = server.WriteCount() - writes_before;
    run.request_stop();
    run.join();

    // Resync of the unchanged CRs: one reconcile per key, 4 threads.
    Reconciler reconciler(**client, SystemClock::Instance());
    const int64_t resync_requests_before = server.RequestCount();
    const int64_t resync_writes_before = server.WriteCount();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::jthread> workers;
    std::atomic<int> next{0};
    for (int w = 0; w < 4; ++w) {
      workers.emplace_back([&] {
        for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
          (void)reconciler.Reconcile("bench", fmt::format("cpa-{}", i));
        }
      });
    }
    workers.clear();
    auto resync_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const int64_t resync_requests = server.RequestCount() - resync_requests_before;
    const int64_t resync_writes = server.WriteCount() - resync_writes_before;
    state.counters["api_calls_per_cr"] = static_cast<double>(cold_requests) / n;
    state.counters["writes_per_cr"] = static_cast<double>(cold_writes) / n;
    state.counters["resync_ms"] = resync_ms;
    // The first reconcile by a new Reconciler also looks once for the original operator's Pods
    // (a LIST per CR); later resyncs skip it.
    state.counters["resync_reads_per_cr"] = static_cast<double>(resync_requests) / n;
    state.counters["resync_writes"] = static_cast<double>(resync_writes);
    // A later resync (the Pod look-up done): one thread.
    const int64_t warm_requests_before = server.RequestCount();
    auto t1 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) (void)reconciler.Reconcile("bench", fmt::format("cpa-{}", i));
    state.counters["resync2_ms_1thread"] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    state.counters["resync2_reads_per_cr"] =
        static_cast<double>(server.RequestCount() - warm_requests_before) / n;
    state.counters["resync2_writes"] =
        static_cast<double>(server.WriteCount() - resync_writes_before);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_ColdProvisionThenResync)
    ->Arg(100)
    ->Arg(500)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace cpa::op

BENCHMARK_MAIN();
