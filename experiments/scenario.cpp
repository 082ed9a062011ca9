#include "experiments/scenario.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/json.h"
#include "common/rfc3339.h"
#include "engine/config/json_reader.h"
#include "kube/lease.h"

namespace cpa::experiments {
namespace {

using config::ConfigIssues;
using config::JsonReader;

// The original started near 23:25 UTC (item 8); the date is arbitrary (a Monday).
TimePoint DefaultStart() {
  using namespace std::chrono;
  return sys_days{year{2020} / June / 1} + hours{23} + minutes{25};
}

void ReadPair(JsonReader& r, std::string_view key, double& lo, double& hi) {
  const JsonValue* v = r.Get(key);
  if (v == nullptr) return;
  if (!v->IsArray() || v->Size() != 2 || !(*v)[0].IsNumber() || !(*v)[1].IsNumber() ||
      (*v)[0].GetDouble() > (*v)[1].GetDouble() || (*v)[0].GetDouble() < 0) {
    r.issues().Error(r.PathOf(key), "must be [min, max] with 0 <= min <= max");
    return;
  }
  lo = (*v)[0].GetDouble();
  hi = (*v)[1].GetDouble();
}

void Positive(JsonReader& r, std::string_view key, double value, bool allow_zero = false) {
  if (value < 0 || (!allow_zero && value == 0)) {
    r.issues().Error(r.PathOf(key),
                     fmt::format("must be {}, got {}", allow_zero ? ">= 0" : "> 0", value));
  }
}

void ReadLoad(const JsonValue& v, ConfigIssues& issues, LoadModel& load) {
  JsonReader r(v, "load", issues);
  if (!r.Valid()) return;
  r.Double("runSeconds", load.run_seconds);
  Positive(r, "runSeconds", load.run_seconds);
  r.Double("runPeriodSeconds", load.run_period_seconds);
  Positive(r, "runPeriodSeconds", load.run_period_seconds);
  ReadPair(r, "thinkSeconds", load.think_min_s, load.think_max_s);
  r.Int("users", load.users);
  if (load.users < 0) issues.Error(r.PathOf("users"), "must be >= 0");
  r.Double("spawnRate", load.spawn_rate);
  Positive(r, "spawnRate", load.spawn_rate);
  if (const JsonValue* phases = r.Get("phases")) {
    load.phases.clear();
    if (!phases->IsArray()) {
      issues.Error(r.PathOf("phases"), "must be a list");
    } else {
      for (rapidjson::SizeType i = 0; i < phases->Size(); ++i) {
        JsonReader p((*phases)[i], fmt::format("load.phases[{}]", i), issues);
        if (!p.Valid()) continue;
        LoadPhase phase;
        p.Required("fromHour");
        p.Required("toHour");
        p.Required("users");
        p.Int("fromHour", phase.from_hour);
        p.Int("toHour", phase.to_hour);
        p.Int("users", phase.users);
        p.Double("spawnRate", phase.spawn_rate);
        if (phase.from_hour < 0 || phase.to_hour > 24 || phase.from_hour >= phase.to_hour) {
          issues.Error(p.path(), "needs 0 <= fromHour < toHour <= 24");
        }
        Positive(p, "spawnRate", phase.spawn_rate);
        p.Finish();
        load.phases.push_back(phase);
      }
    }
  }
  if (const JsonValue* f = r.Get("weekdayFactors")) {
    if (!f->IsArray() || f->Size() != 7) {
      issues.Error(r.PathOf("weekdayFactors"), "must be a list of 7 numbers (Monday first)");
    } else {
      for (const auto& x : f->GetArray()) {
        if (!x.IsNumber() || x.GetDouble() < 0) {
          issues.Error(r.PathOf("weekdayFactors"), "must hold numbers >= 0");
          break;
        }
        load.weekday_factors.push_back(x.GetDouble());
      }
    }
  }
  r.Double("usersNoise", load.users_noise);
  Positive(r, "usersNoise", load.users_noise, true);
  if (const JsonValue* s = r.Get("spike")) {
    JsonReader sr(*s, "load.spike", issues);
    if (sr.Valid()) {
      Spike spike;
      sr.Double("everySeconds", spike.every_s);
      sr.Double("offsetSeconds", spike.offset_s);
      sr.Int("users", spike.users);
      sr.Double("spawnRate", spike.spawn_rate);
      Positive(sr, "everySeconds", spike.every_s);
      Positive(sr, "spawnRate", spike.spawn_rate);
      sr.Finish();
      load.spike = spike;
    }
  }
  r.Finish();
}

void ReadCluster(const JsonValue& v, ConfigIssues& issues, ClusterModel& c) {
  JsonReader r(v, "cluster", issues);
  if (!r.Valid()) return;
  r.Double("cpuRequestCores", c.cpu_request_cores);
  Positive(r, "cpuRequestCores", c.cpu_request_cores);
  r.Double("cpuLimitCores", c.cpu_limit_cores);
  Positive(r, "cpuLimitCores", c.cpu_limit_cores);
  std::string cpu_model(CpuModelName(c.cpu_model));
  r.String("cpuModel", cpu_model);
  if (cpu_model == "cfs") {
    c.cpu_model = CpuModel::kCfs;
  } else if (cpu_model == "ps") {
    c.cpu_model = CpuModel::kProcessorSharing;
  } else {
    issues.Error(r.PathOf("cpuModel"),
                 fmt::format("unknown model \"{}\"; known: cfs, ps", cpu_model));
  }
  r.Double("cfsPeriodSeconds", c.cfs_period_s);
  Positive(r, "cfsPeriodSeconds", c.cfs_period_s);
  r.Double("cpuBurstCores", c.cpu_burst_cores);
  Positive(r, "cpuBurstCores", c.cpu_burst_cores);
  ReadPair(r, "requestCpuSeconds", c.request_cpu_min_s, c.request_cpu_max_s);
  if (c.request_cpu_max_s <= 0) issues.Error(r.PathOf("requestCpuSeconds"), "must be > 0");
  r.Int("initialReplicas", c.initial_replicas);
  if (c.initial_replicas < 1) issues.Error(r.PathOf("initialReplicas"), "must be >= 1");
  r.Double("startupMedianSeconds", c.startup_median_s);
  Positive(r, "startupMedianSeconds", c.startup_median_s);
  r.Double("startupP95Seconds", c.startup_p95_s);
  if (c.startup_p95_s < c.startup_median_s) {
    issues.Error(r.PathOf("startupP95Seconds"), "must be >= startupMedianSeconds");
  }
  r.Double("scrapePeriodSeconds", c.scrape_period_s);
  Positive(r, "scrapePeriodSeconds", c.scrape_period_s);
  r.Double("rateWindowSeconds", c.rate_window_s);
  Positive(r, "rateWindowSeconds", c.rate_window_s);
  if (c.rate_window_s > c.scrape_period_s) {
    issues.Error(r.PathOf("rateWindowSeconds"), "must be <= scrapePeriodSeconds");
  }
  r.Double("reportedWindowSeconds", c.reported_window_s);
  Positive(r, "reportedWindowSeconds", c.reported_window_s);
  r.Double("timeoutSeconds", c.timeout_s);
  Positive(r, "timeoutSeconds", c.timeout_s, true);
  r.Double("fastFailureFraction", c.fast_failure_fraction);
  if (c.fast_failure_fraction < 0 || c.fast_failure_fraction > 1) {
    issues.Error(r.PathOf("fastFailureFraction"), "must be in [0, 1]");
  }
  r.Finish();
}

void ReadAutoscaler(const JsonValue& v, ConfigIssues& issues, AutoscalerSettings& a) {
  JsonReader r(v, "autoscaler", issues);
  if (!r.Valid()) return;
  r.Int("minReplicas", a.min_replicas);
  r.Int("maxReplicas", a.max_replicas);
  if (a.min_replicas < 1 || a.max_replicas < a.min_replicas) {
    issues.Error(r.PathOf("maxReplicas"), "needs 1 <= minReplicas <= maxReplicas");
  }
  r.Int("intervalSeconds", a.interval_s);
  if (a.interval_s < 1) issues.Error(r.PathOf("intervalSeconds"), "must be >= 1");
  r.Int("downscaleStabilizationSeconds", a.downscale_stabilization_s);
  r.Double("tolerance", a.tolerance);
  r.Int("cpuInitializationPeriodSeconds", a.cpu_initialization_period_s);
  r.Int("initialReadinessDelaySeconds", a.initial_readiness_delay_s);
  r.Int("targetUtilization", a.target_utilization);
  if (a.target_utilization < 1) issues.Error(r.PathOf("targetUtilization"), "must be >= 1");
  r.Double("alpha", a.alpha);
  r.Double("beta", a.beta);
  r.Double("gamma", a.gamma);
  for (auto [key, value] : {std::pair{"alpha", a.alpha}, {"beta", a.beta}, {"gamma", a.gamma}}) {
    if (value < 0 || value > 1) issues.Error(r.PathOf(key), "must be in [0, 1]");
  }
  r.Int("seasonLength", a.season_length);
  if (a.season_length < 2) issues.Error(r.PathOf("seasonLength"), "must be >= 2");
  r.Int("storedSeasons", a.stored_seasons);
  if (a.stored_seasons < 1) issues.Error(r.PathOf("storedSeasons"), "must be >= 1");
  r.Finish();
}

}  // namespace

Scenario DefaultScenario() {
  Scenario s;
  s.start = DefaultStart();
  s.description = "The original 2020 experiment: 3 days of 15/25/40 users.";
  return s;
}

Result<Scenario> ParseScenario(std::string_view yaml, const std::string& source,
                               const std::string& base_dir) {
  auto doc = ParseYaml(yaml);
  if (!doc) return std::unexpected(doc.error().WithContext(source));
  Scenario s = DefaultScenario();
  ConfigIssues issues;
  JsonReader r(*doc, "", issues);
  if (r.Valid()) {
    r.String("name", s.name);
    r.String("description", s.description);
    std::string start;
    r.String("start", start);
    if (!start.empty()) {
      if (auto t = ParseRfc3339(start)) {
        s.start = *t;
      } else {
        issues.Error("start", fmt::format("\"{}\" is not an RFC 3339 time", start));
      }
    }
    double hours = s.duration_s / 3600.0;
    r.Double("durationHours", hours);
    if (hours <= 0) issues.Error("durationHours", "must be > 0");
    s.duration_s = hours * 3600.0;
    r.Int("seeds", s.seeds);
    if (s.seeds < 1) issues.Error("seeds", "must be >= 1");
    int64_t first_seed = static_cast<int64_t>(s.first_seed);
    r.Int("firstSeed", first_seed);
    s.first_seed = static_cast<uint64_t>(first_seed);
    r.Double("fitDays", s.fit_days);
    if (s.fit_days <= 0) issues.Error("fitDays", "must be > 0");
    std::vector<std::string> connections;
    r.StringList("connections", connections);
    if (!connections.empty()) {
      s.connections.clear();
      for (const auto& c : connections) {
        if (c == "per-request") {
          s.connections.push_back(ConnectionModel::kPerRequest);
        } else if (c == "sticky") {
          s.connections.push_back(ConnectionModel::kSticky);
        } else {
          issues.Error("connections",
                       fmt::format("unknown model \"{}\"; known: per-request, sticky", c));
        }
      }
    }
    if (const JsonValue* v = r.Get("load")) ReadLoad(*v, issues, s.load);
    if (const JsonValue* v = r.Get("cluster")) ReadCluster(*v, issues, s.cluster);
    if (const JsonValue* v = r.Get("autoscaler")) ReadAutoscaler(*v, issues, s.autoscaler);
    if (const JsonValue* v = r.Get("contenders")) {
      if (!v->IsArray()) {
        issues.Error("contenders", "must be a list");
      } else {
        for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
          const JsonValue& item = (*v)[i];
          ContenderRef ref;
          if (item.IsString()) {
            ref.name = ref.builtin = item.GetString();
          } else {
            JsonReader c(item, fmt::format("contenders[{}]", i), issues);
            if (!c.Valid()) continue;
            c.String("name", ref.name);
            c.String("builtin", ref.builtin);
            c.String("config", ref.config_path);
            c.Finish();
            if (ref.builtin.empty() == ref.config_path.empty()) {
              issues.Error(c.path(), "needs exactly one of builtin or config");
            }
            if (ref.name.empty()) ref.name = ref.builtin.empty() ? ref.config_path : ref.builtin;
            if (!ref.config_path.empty() && !base_dir.empty() &&
                std::filesystem::path(ref.config_path).is_relative()) {
              ref.config_path = (std::filesystem::path(base_dir) / ref.config_path).string();
            }
          }
          s.contenders.push_back(ref);
        }
      }
    }
    r.Finish();
  }
  for (const auto& w : issues.warnings) issues.errors.push_back(w);  // unknown keys: errors
  if (!issues.errors.empty()) {
    std::string message;
    for (const auto& e : issues.errors) {
      message += (message.empty() ? "" : "; ") + e.ToString();
    }
    return MakeErrorF(ErrorCode::kInvalidArgument, "{}: {}", source, message);
  }
  return s;
}

Result<Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeErrorF(ErrorCode::kNotFound, "scenario file {} cannot be read", path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseScenario(text.str(), path, std::filesystem::path(path).parent_path().string());
}

}  // namespace cpa::experiments
