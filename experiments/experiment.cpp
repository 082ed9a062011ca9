#include "experiments/experiment.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "experiments/builtin_contenders.h"
#include "experiments/runner.h"

namespace cpa::experiments {

Result<std::vector<std::unique_ptr<Contender>>> ScenarioContenders(
    const Scenario& scenario, const ExperimentOptions& options) {
  std::vector<ContenderRef> refs = scenario.contenders;
  if (refs.empty()) {
    for (const auto& name : DefaultContenderNames()) refs.push_back({name, name, ""});
  }
  for (const auto& path : options.extra_configs) {
    refs.push_back({std::filesystem::path(path).stem().string(), "", path});
  }
  std::vector<std::unique_ptr<Contender>> out;
  for (const auto& ref : refs) {
    if (!options.only.empty() &&
        std::find(options.only.begin(), options.only.end(), ref.name) == options.only.end()) {
      continue;
    }
    for (const auto& c : out) {
      if (c->name() == ref.name) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "two contenders are named \"{}\"", ref.name);
      }
    }
    if (!ref.builtin.empty()) {
      auto c = MakeBuiltinContender(ref.builtin, ref.name, scenario);
      if (!c) return std::unexpected(c.error());
      out.push_back(std::move(*c));
      continue;
    }
    std::ifstream in(ref.config_path);
    if (!in) {
      return MakeErrorF(ErrorCode::kNotFound, "contender {}: config file {} cannot be read",
                        ref.name, ref.config_path);
    }
    std::stringstream text;
    text << in.rdbuf();
    auto contender = std::make_unique<ConfigContender>(ref.name, text.str(), ref.config_path,
                                                       "user config " + ref.config_path);
    if (auto c = contender->Config(); !c) return std::unexpected(c.error());
    out.push_back(std::move(contender));
  }
  if (out.empty()) return MakeError(ErrorCode::kInvalidArgument, "no contender to run");
  return out;
}

Result<ExperimentResult> RunExperiment(const Scenario& scenario, const ExperimentOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  auto contenders = ScenarioContenders(scenario, options);
  if (!contenders) return std::unexpected(contenders.error());
  struct Task {
    const Contender* contender;
    ConnectionModel connection;
    uint64_t seed;
  };
  std::vector<Task> tasks;
  for (const auto& c : *contenders) {
    for (ConnectionModel connection : scenario.connections) {
      for (int i = 0; i < scenario.seeds; ++i) {
        tasks.push_back({c.get(), connection, scenario.first_seed + static_cast<uint64_t>(i)});
      }
    }
  }
  std::vector<std::optional<Result<RunOutput>>> results(tasks.size());
  std::vector<double> fractions(tasks.size(), 0.0);
  std::mutex mu;
  int done = 0;
  std::atomic<size_t> next{0};
  auto report = [&](size_t index, double fraction, const std::string& finished) {
    if (!options.progress) return;
    std::lock_guard lock(mu);
    fractions[index] = fraction;
    if (!finished.empty()) ++done;
    Progress p;
    p.runs_done = done;
    p.runs_total = static_cast<int>(tasks.size());
    double sum = 0;
    for (double f : fractions) sum += f;
    p.fraction = sum / static_cast<double>(tasks.size());
    p.finished = finished;
    options.progress(p);
  };
  auto worker = [&] {
    for (size_t i = next++; i < tasks.size(); i = next++) {
      const Task& t = tasks[i];
      auto run =
          RunOne(scenario, *t.contender, t.seed, t.connection, [&](double f) { report(i, f, ""); });
      std::string line = fmt::format("{} {} seed {}", t.contender->name(),
                                     ConnectionModelName(t.connection), t.seed);
      line += run ? fmt::format(" ({:.1f} s)", run->wall_seconds) : " failed";
      results[i] = std::move(run);
      report(i, 1.0, line);
    }
  };
  int jobs = options.jobs > 0 ? options.jobs
                              : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  jobs = std::min<int>(jobs, static_cast<int>(tasks.size()));
  {
    std::vector<std::jthread> threads;
    for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
    worker();
  }
  ExperimentResult result;
  result.scenario = scenario;
  for (const auto& c : *contenders) result.contenders.push_back({c->name(), c->Describe()});
  for (auto& r : results) {
    if (!*r) return std::unexpected(r->error());
    result.runs.push_back(std::move(**r));
  }
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

}  // namespace cpa::experiments
