// Store benchmarks: insert throughput, the stabilization window query on a 4-week history of
// 100 autoscalers, and bytes on disk per point.
//
// The 4-week file (100 autoscalers x 161,280 runs at 15 s, each run one metric point and one
// evaluation: ~16.1M points + ~16.1M evaluations) is built once into
// $CPA_BENCH_DIR/cpa-store-4w.db (default: the system temp dir) and reused by later runs; its
// build time is printed. Delete the file to rebuild it.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "store/resample.h"
#include "store/sqlite_store.h"

namespace cpa::store {
namespace {

constexpr int kAutoscalers = 100;
constexpr int64_t kStepMs = 15'000;
constexpr int64_t kRunsPerAutoscaler = 28LL * 24 * 3600 * 1000 / kStepMs;  // 161,280
constexpr int64_t kStartMs = 1'700'000'000'000;

std::string BenchDir() {
  const char* dir = std::getenv("CPA_BENCH_DIR");
  return dir != nullptr ? dir : std::filesystem::temp_directory_path().string();
}

std::string AutoscalerName(int i) { return fmt::format("ns-{}/app-{}", i / 10, i); }

TimePoint At(int64_t ms) { return FromMillis(ms); }

std::unique_ptr<Store> MustOpen(const StoreOptions& options) {
  auto store = OpenSqliteStore(options);
  if (!store) {
    fmt::print(stderr, "open failed: {}\n", store.error().ToString());
    std::abort();
  }
  return std::move(*store);
}

// ------------------------------------------------------------------------------ insert throughput

// One run per iteration with `points` metric points (pods), an evaluation and a decision, each
// run its own transaction, retention on (30 days) as in production.
void BM_InsertRun(benchmark::State& state, bool in_memory, bool retention) {
  const int points = static_cast<int>(state.range(0));
  std::string path = BenchDir() + fmt::format("/cpa-store-insert-{}.db", ::getpid());
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  StoreOptions options;
  if (!in_memory) options.path = path;
  if (!retention) options.max_age = std::chrono::milliseconds(0);
  auto store = MustOpen(options);
  RunRecord run;
  run.autoscaler = "default/web";
  for (int p = 0; p < points; ++p) {
    run.metrics.push_back(MetricPoint::FromText(fmt::format("web-{}", p), "value", "0"));
  }
  run.evaluation = Evaluation{3, {}};
  run.decision = Decision{3, 3, 3, false, "scaler", ""};
  int64_t t = kStartMs;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> value(0, 1000);
  for (auto _ : state) {
    state.PauseTiming();
    t += kStepMs;
    run.time = At(t);
    for (auto& m : run.metrics) {
      m.text = std::to_string(value(rng));
      m.value = static_cast<double>(std::stoi(m.text));
    }
    state.ResumeTiming();
    auto status = store->Record(run);
    if (!status) state.SkipWithError(status.error().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * points);
  state.counters["points/s"] = benchmark::Counter(static_cast<double>(state.iterations() * points),
                                                  benchmark::Counter::kIsRate);
  store.reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}
BENCHMARK_CAPTURE(BM_InsertRun, file, false, true)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_InsertRun, file_no_retention, false, false)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK_CAPTURE(BM_InsertRun, memory, true, true)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_InsertRun, memory_no_retention, true, false)->Arg(1)->Arg(100)->UseRealTime();

// ------------------------------------------------------------------------------ 4-week dataset

struct Dataset {
  std::unique_ptr<Store> store;
  double build_seconds = 0;  // 0 when reused
  int64_t bytes_on_disk = 0;
};

Dataset& FourWeeks() {
  static Dataset* dataset = [] {
    auto* d = new Dataset;
    std::string path = BenchDir() + "/cpa-store-4w.db";
    std::string done_marker = path + ".complete";
    if (!std::filesystem::exists(done_marker)) {
      std::filesystem::remove(path);
      std::filesystem::remove(path + "-wal");
      fmt::print(stderr, "building {} ({} autoscalers x {} runs, point + evaluation each)...\n",
                 path, kAutoscalers, kRunsPerAutoscaler);
      auto start = std::chrono::steady_clock::now();
      {
        auto store = MustOpen(StoreOptions{.path = path, .max_age = {}});
        constexpr int64_t kStepsPerBatch = 100;
        std::vector<RunRecord> batch;
        std::mt19937 rng(7);
        std::uniform_int_distribution<int> replicas(1, 20);
        for (int64_t step = 0; step < kRunsPerAutoscaler; step += kStepsPerBatch) {
          batch.clear();
          for (int64_t s = step; s < std::min(step + kStepsPerBatch, kRunsPerAutoscaler); ++s) {
            for (int a = 0; a < kAutoscalers; ++a) {
              RunRecord run;
              run.autoscaler = AutoscalerName(a);
              run.time = At(kStartMs + s * kStepMs);
              int r = replicas(rng);
              run.metrics.push_back(
                  MetricPoint::FromText("deployment", "value", std::to_string(r * 50)));
              run.evaluation = Evaluation{r, {}};
              batch.push_back(std::move(run));
            }
          }
          auto status = store->Record(batch);
          if (!status) {
            fmt::print(stderr, "build failed: {}\n", status.error().ToString());
            std::abort();
          }
        }
      }
      d->build_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print(stderr, "built in {:.1f} s\n", d->build_seconds);
      std::FILE* marker = std::fopen(done_marker.c_str(), "w");
      if (marker != nullptr) std::fclose(marker);
    }
    d->store = MustOpen(StoreOptions{.path = path, .max_age = {}});
    auto stats = d->store->Stats();
    d->bytes_on_disk = stats ? stats->bytes_on_disk : 0;
    return d;
  }();
  return *dataset;
}

void ReportDataset(benchmark::State& state) {
  Dataset& d = FourWeeks();
  state.counters["build_s"] = d.build_seconds;
  state.counters["file_MB"] = static_cast<double>(d.bytes_on_disk) / 1e6;
  state.counters["bytes/run"] = static_cast<double>(d.bytes_on_disk) /
                                (static_cast<double>(kAutoscalers) * kRunsPerAutoscaler);
}

// Random (seeded) autoscaler and 1-hour window inside the 4 weeks.
struct Probe {
  std::string autoscaler;
  TimePoint now;
};
std::vector<Probe> Probes() {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> autoscaler(0, kAutoscalers - 1);
  std::uniform_int_distribution<int64_t> step(240, kRunsPerAutoscaler - 1);
  std::vector<Probe> probes;
  for (int i = 0; i < 1024; ++i) {
    probes.push_back({AutoscalerName(autoscaler(rng)), At(kStartMs + step(rng) * kStepMs)});
  }
  return probes;
}

// The downscale stabilization query: max evaluated target over the last hour.
void BM_WindowMaxEvaluation1h(benchmark::State& state) {
  Dataset& d = FourWeeks();
  auto probes = Probes();
  size_t i = 0;
  for (auto _ : state) {
    const Probe& p = probes[i++ % probes.size()];
    auto max = MaxEvaluatedTarget(*d.store, p.autoscaler, p.now, std::chrono::hours(1));
    if (!max || !*max) state.SkipWithError("no result");
    benchmark::DoNotOptimize(max);
  }
  ReportDataset(state);
}
BENCHMARK(BM_WindowMaxEvaluation1h)->Unit(benchmark::kMicrosecond);

// Max of a metric series over the last hour.
void BM_WindowMaxMetric1h(benchmark::State& state) {
  Dataset& d = FourWeeks();
  auto probes = Probes();
  size_t i = 0;
  for (auto _ : state) {
    const Probe& p = probes[i++ % probes.size()];
    auto max = d.store->Aggregate(SeriesRef::Metric(p.autoscaler, "deployment", "value"),
                                  Window::Last(p.now, std::chrono::hours(1)), Extreme::kMax);
    if (!max || !*max) state.SkipWithError("no result");
    benchmark::DoNotOptimize(max);
  }
}
BENCHMARK(BM_WindowMaxMetric1h)->Unit(benchmark::kMicrosecond);

// The 240 values of the last hour.
void BM_WindowValues1h(benchmark::State& state) {
  Dataset& d = FourWeeks();
  auto probes = Probes();
  size_t i = 0;
  for (auto _ : state) {
    const Probe& p = probes[i++ % probes.size()];
    auto values = d.store->Values(SeriesRef::Metric(p.autoscaler, "deployment", "value"),
                                  Query{Window::Last(p.now, std::chrono::hours(1)), 0});
    if (!values || values->size() != 240) state.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(values);
  }
}
BENCHMARK(BM_WindowValues1h)->Unit(benchmark::kMicrosecond);

// Two weeks of one series resampled to 5-minute means (what a seasonal model reads).
void BM_Resample2Weeks5m(benchmark::State& state) {
  Dataset& d = FourWeeks();
  auto probes = Probes();
  size_t i = 0;
  for (auto _ : state) {
    const Probe& p = probes[i++ % probes.size()];
    TimePoint end = At(kStartMs + kRunsPerAutoscaler * kStepMs);
    auto buckets = Resample(*d.store, SeriesRef::Metric(p.autoscaler, "deployment", "value"),
                            Window{end - std::chrono::hours(24 * 14), end}, std::chrono::minutes(5),
                            Aggregation::kMean);
    if (!buckets) state.SkipWithError(buckets.error().ToString().c_str());
    benchmark::DoNotOptimize(buckets);
  }
}
BENCHMARK(BM_Resample2Weeks5m)->Unit(benchmark::kMillisecond);

// ------------------------------------------------------------------------------ bytes per point

// 100 series x 10,000 numeric points written 100 runs per batch, metric points only.
void BM_BytesPerPoint(benchmark::State& state) {
  const bool integral = state.range(0) == 1;
  for (auto _ : state) {
    std::string path = BenchDir() + fmt::format("/cpa-store-size-{}.db", ::getpid());
    std::filesystem::remove(path);
    int64_t points = 0;
    int64_t bytes = 0;
    {
      auto store = MustOpen(StoreOptions{.path = path, .max_age = {}});
      std::mt19937 rng(3);
      std::uniform_real_distribution<double> real(0, 100);
      std::vector<RunRecord> batch;
      for (int64_t s = 0; s < 10'000; ++s) {
        for (int a = 0; a < 100; ++a) {
          RunRecord run;
          run.autoscaler = AutoscalerName(a);
          run.time = At(kStartMs + s * kStepMs);
          std::string text = integral ? std::to_string(static_cast<int>(real(rng)))
                                      : fmt::format("{:.3f}", real(rng));
          run.metrics.push_back(MetricPoint::FromText("deployment", "value", text));
          batch.push_back(std::move(run));
          ++points;
        }
        if (batch.size() >= 10'000) {
          (void)store->Record(batch);
          batch.clear();
        }
      }
      (void)store->Record(batch);
    }
    // After close (checkpointed): the database file alone.
    bytes = static_cast<int64_t>(std::filesystem::file_size(path));
    std::filesystem::remove(path);
    state.counters["bytes/point"] = static_cast<double>(bytes) / static_cast<double>(points);
  }
}
BENCHMARK(BM_BytesPerPoint)->Arg(1)->Arg(0)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cpa::store

BENCHMARK_MAIN();
