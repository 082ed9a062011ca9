// Client <-> kube/fake on loopback: GET+PATCH of /scale and LIST of 1,000 pods.
//
// Reports calls/s (items_per_second) and heap bytes allocated per call, counted by a global
// operator new override: `client_bytes` is what the calling (client) thread allocated,
// `process_bytes` includes the fake server's threads.
#include <atomic>
#include <cstdlib>
#include <new>

#include <benchmark/benchmark.h>

#include "kube/client.h"
#include "kube/fake/fake_api_server.h"

namespace {

std::atomic<uint64_t> g_process_bytes{0};
thread_local uint64_t t_thread_bytes = 0;

}  // namespace

void* operator new(std::size_t size) {
  g_process_bytes.fetch_add(size, std::memory_order_relaxed);
  t_thread_bytes += size;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace cpa::kube {
namespace {

constexpr const char* kDeployment = R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"web","namespace":"bench"},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
  "template":{"metadata":{"labels":{"app":"web"}},
  "spec":{"containers":[{"name":"web","image":"registry.example/web:1"}]}}}})";

struct Fixture {
  explicit Fixture(bool controllers) {
    fake::FakeApiServerOptions options;
    options.store.simulate_controllers = controllers;
    server = std::make_unique<fake::FakeApiServer>(options);
    if (!server->Start()) std::abort();
    ConnectionConfig config;
    config.server = server->url();
    client = std::move(*Client::Create(config));
    if (!server->CreateObject(std::string_view(kDeployment))) std::abort();
  }
  std::unique_ptr<fake::FakeApiServer> server;
  std::unique_ptr<Client> client;
};

void Report(benchmark::State& state, uint64_t thread_bytes, uint64_t process_bytes) {
  const double n = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
  state.counters["client_bytes"] = static_cast<double>(thread_bytes) / n;
  state.counters["process_bytes"] = static_cast<double>(process_bytes) / n;
}

void BM_GetScale(benchmark::State& state) {
  Fixture f(false);
  const ObjectRef ref{"apps/v1", "Deployment", "web"};
  if (!f.client->GetScale(ref, "bench")) std::abort();  // warm discovery and the pool
  uint64_t t0 = t_thread_bytes, p0 = g_process_bytes.load();
  for (auto _ : state) {
    auto scale = f.client->GetScale(ref, "bench");
    if (!scale) state.SkipWithError(scale.error().message.c_str());
    benchmark::DoNotOptimize(scale);
  }
  Report(state, t_thread_bytes - t0, g_process_bytes.load() - p0);
}
BENCHMARK(BM_GetScale)->UseRealTime();

// GET + PATCH of /scale, as one autoscaler run that changes the target does.
void BM_GetPatchScale(benchmark::State& state) {
  const bool controllers = state.range(0) != 0;
  Fixture f(controllers);
  const ObjectRef ref{"apps/v1", "Deployment", "web"};
  if (!f.client->GetScale(ref, "bench")) std::abort();
  int32_t replicas = 2;
  uint64_t t0 = t_thread_bytes, p0 = g_process_bytes.load();
  for (auto _ : state) {
    auto scale = f.client->GetScale(ref, "bench");
    replicas = replicas == 2 ? 3 : 2;
    auto patched = f.client->PatchScaleReplicas(ref, "bench", replicas);
    if (!scale || !patched) state.SkipWithError("scale failed");
  }
  Report(state, t_thread_bytes - t0, g_process_bytes.load() - p0);
}
BENCHMARK(BM_GetPatchScale)->Arg(0)->Arg(1)->ArgName("pods")->UseRealTime();

void BM_ListPods(benchmark::State& state) {
  Fixture f(false);
  const int64_t pods = state.range(0);
  for (int64_t i = 0; i < pods; ++i) {
    auto added = f.server->AddPod("bench", fmt::format("web-84884c4d55-{:05d}", i),
                                  {{"app", "web"}, {"pod-template-hash", "84884c4d55"}});
    if (!added) std::abort();
  }
  if (!f.client->ListPods("bench", "app=web")) std::abort();
  uint64_t t0 = t_thread_bytes, p0 = g_process_bytes.load();
  size_t bytes = 0;
  for (auto _ : state) {
    auto list = f.client->ListPods("bench", "app=web");
    if (!list || (*list)["items"].Size() != static_cast<size_t>(pods)) {
      state.SkipWithError("list failed");
      break;
    }
    bytes = ToJson(*list).size();
  }
  Report(state, t_thread_bytes - t0, g_process_bytes.load() - p0);
  state.counters["response_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ListPods)->Arg(1000)->ArgName("pods")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cpa::kube

BENCHMARK_MAIN();
