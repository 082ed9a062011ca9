#include "experiments/report.h"

#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

extern char** environ;

namespace cpa::experiments {
namespace {

namespace fs = std::filesystem;

std::string RunSlug(const RunOutput& run) {
  std::string slug;
  for (char c : run.contender) {
    slug += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  }
  return fmt::format("{}_{}_seed{}", slug, ConnectionModelName(run.connection), run.seed);
}

std::string Fixed(double v, int digits = 1) { return fmt::format("{:.{}f}", v, digits); }

// Day metrics of every run, computed once.
struct Computed {
  const RunOutput* run;
  std::vector<DayMetrics> days;
};

std::vector<Computed> ComputeAll(const ExperimentResult& result) {
  std::vector<Computed> out;
  for (const auto& run : result.runs) out.push_back({&run, ComputeDayMetrics(run)});
  return out;
}

void Number(rapidjson::PrettyWriter<rapidjson::StringBuffer>& w, double v) {
  // Three decimals, so the same results give the same bytes.
  const std::string text = fmt::format("{:.3f}", v);
  w.RawValue(text.c_str(), text.size(), rapidjson::kNumberType);
}

void Key(rapidjson::PrettyWriter<rapidjson::StringBuffer>& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

void WriteSpread(rapidjson::PrettyWriter<rapidjson::StringBuffer>& w, const Spread& s) {
  w.StartObject();
  Key(w, "mean");
  Number(w, s.mean);
  Key(w, "min");
  Number(w, s.min);
  Key(w, "max");
  Number(w, s.max);
  Key(w, "stdev");
  Number(w, s.stdev);
  w.EndObject();
}

// The scalar fields of a day, by their summary.json names.
std::vector<std::pair<std::string, std::optional<double>>> Scalars(const DayMetrics& d) {
  return {{"requests", static_cast<double>(d.requests)},
          {"failed", static_cast<double>(d.failed)},
          {"latencyMeanMs", d.latency_mean_ms},
          {"latencyP95Ms", d.latency_p95_ms},
          {"latencyP99Ms", d.latency_p99_ms},
          {"latencyMaxMs", d.latency_max_ms},
          {"riseLatencyMeanMs", d.rise_latency_mean_ms},
          {"replicaHours", d.replica_hours},
          {"scaleEvents", static_cast<double>(d.scale_events)},
          {"underProvisionedSeconds", d.under_provisioned_s}};
}

std::string Clock(const Scenario& s, double t) {
  using namespace std::chrono;
  const TimePoint wall = s.start + duration_cast<Duration>(duration<double>(t));
  const auto day = floor<days>(wall);
  const auto hm = duration_cast<minutes>(wall - day).count();
  return fmt::format("{:02}:{:02}", hm / 60, hm % 60);
}

// (contender, connection, day) -> the day metrics of each seed, in report order.
using Groups = std::map<std::tuple<size_t, int, int>, std::vector<const DayMetrics*>>;

Groups GroupBySeed(const ExperimentResult& result, const std::vector<Computed>& all) {
  Groups groups;
  std::map<std::string, size_t> order;
  for (size_t i = 0; i < result.contenders.size(); ++i) order[result.contenders[i].name] = i;
  for (const auto& c : all) {
    for (const auto& d : c.days) {
      groups[{order[d.name], static_cast<int>(d.connection), d.day}].push_back(&d);
    }
  }
  return groups;
}

std::string Cell(const std::vector<const DayMetrics*>& seeds,
                 const std::function<std::optional<double>(const DayMetrics&)>& get, int digits) {
  std::vector<double> values;
  for (const auto* d : seeds) {
    if (auto v = get(*d)) values.push_back(*v);
  }
  if (values.empty()) return "–";
  Spread s = ComputeSpread(values);
  if (values.size() == 1) return Fixed(s.mean, digits);
  return fmt::format("{} ({}–{})", Fixed(s.mean, digits), Fixed(s.min, digits),
                     Fixed(s.max, digits));
}

Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return MakeErrorF(ErrorCode::kUnavailable, "cannot write {}", path.string());
  return OkStatus();
}

Status RunGnuplot(const std::string& gnuplot, const fs::path& script, const fs::path& dir) {
  std::string script_arg = script.filename().string();
  std::vector<char*> argv = {const_cast<char*>(gnuplot.c_str()), script_arg.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, gnuplot.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return MakeErrorF(ErrorCode::kUnavailable, "cannot run {}: {}", gnuplot, std::strerror(rc));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return MakeErrorF(ErrorCode::kUnavailable, "{} {} failed (status {})", gnuplot, script.string(),
                      status);
  }
  return OkStatus();
}

// One gnuplot script drawing one figure per connection model, one panel per day.
std::string PlotScript(const ExperimentResult& result, ConnectionModel connection,
                       std::string_view kind, const std::string& png) {
  const Scenario& s = result.scenario;
  const int days = std::max(1, static_cast<int>(std::ceil(s.duration_s / 86400.0 - 1e-9)));
  const double span_h = std::min(24.0, s.duration_s / 3600.0);
  std::string out = fmt::format(
      "set terminal pngcairo size 1200,{} font 'sans,9'\nset output '{}'\nset datafile "
      "separator ','\nset key outside right top\nset grid\nset multiplot layout {},1 title '{} "
      "— {} ({} connections, seed {})'\n",
      std::max(300, 260 * days), png, days, s.name,
      kind == "replicas" ? "replicas (lines) and users (dotted, right axis)"
                         : (kind == "avg" ? "average latency per load run (ms)"
                                          : "maximum latency per load run (ms)"),
      ConnectionModelName(connection), s.first_seed);
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  for (int d = 0; d < days; ++d) {
    const double from = d * 24.0;
    out += fmt::format("set xrange [{}:{}]\nset xlabel 'hours since start (day {})'\n", from,
                       from + span_h, d + 1);
    if (kind == "replicas") {
      out += "set ylabel 'replicas'\nset y2label 'users'\nset ytics nomirror\nset y2tics\n";
      out += "set yrange [0:*]\nset y2range [0:*]\n";
    } else {
      out += fmt::format(
          "set ylabel '{} latency (ms)'\nunset y2label\nunset y2tics\nset yrange [0:*]\n",
          kind == "avg" ? "average" : "maximum");
    }
    std::string plot = "plot ";
    size_t color = 0;
    bool first_series = true;
    for (const auto& c : result.contenders) {
      for (const auto& run : result.runs) {
        if (run.contender != c.name || run.connection != connection || run.seed != s.first_seed) {
          continue;
        }
        const std::string file =
            "../runs/" + RunSlug(run) + (kind == "replicas" ? "_replicas.csv" : "_loadruns.csv");
        if (!first_series) plot += ", ";
        first_series = false;
        const char* color_text = colors[color++ % 10];
        if (kind == "replicas") {
          plot += fmt::format("'{}' every ::1 using 2:3 with steps lw 1.5 lc rgb '{}' title '{}'",
                              file, color_text, c.name);
        } else {
          plot += fmt::format("'{}' every ::1 using 2:{} with lines lw 1.2 lc rgb '{}' title '{}'",
                              file, kind == "avg" ? 7 : 9, color_text, c.name);
        }
      }
    }
    if (kind == "replicas" && !first_series) {
      for (const auto& run : result.runs) {
        if (run.connection == connection && run.seed == s.first_seed) {
          plot += fmt::format(
              ", '../runs/{}_replicas.csv' every ::1 using 2:5 axes x1y2 with steps dt 3 lc rgb "
              "'black' title 'users'",
              RunSlug(run));
          break;
        }
      }
    }
    out += plot + "\n";
  }
  out += "unset multiplot\n";
  return out;
}

}  // namespace

std::string LoadRunsCsv(const RunOutput& run) {
  std::string out =
      "start_s,start_h,users,requests,failed,failed_pct,latency_mean_ms,latency_min_ms,latency_max_"
      "ms\n";
  for (const auto& r : run.trace.load_runs) {
    const double mean =
        r.requests > 0 ? 1000.0 * r.latency_sum_s / static_cast<double>(r.requests) : 0;
    out += fmt::format("{:.0f},{:.4f},{},{},{},{:.3f},{:.1f},{:.1f},{:.1f}\n", r.start_s,
                       r.start_s / 3600.0, r.users, r.requests, r.failed,
                       r.requests > 0
                           ? 100.0 * static_cast<double>(r.failed) / static_cast<double>(r.requests)
                           : 0.0,
                       mean, r.latency_min_s * 1000.0, r.latency_max_s * 1000.0);
  }
  return out;
}

std::string ReplicasCsv(const RunOutput& run) {
  std::string out = "t_s,t_h,replicas,ready,users,needed,cpu_cores\n";
  for (const auto& s : run.trace.samples) {
    out += fmt::format("{:.0f},{:.4f},{},{},{},{},{:.4f}\n", s.t_s, s.t_s / 3600.0, s.replicas,
                       s.ready, s.users, s.needed, s.cpu_cores);
  }
  return out;
}

std::string SummaryJson(const ExperimentResult& result) {
  const auto all = ComputeAll(result);
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  const Scenario& s = result.scenario;
  w.StartObject();
  Key(w, "scenario");
  w.String(s.name.c_str());
  Key(w, "start");
  w.String(FormatRfc3339(s.start).c_str());
  Key(w, "durationHours");
  Number(w, s.duration_s / 3600.0);
  Key(w, "seeds");
  w.StartArray();
  for (int i = 0; i < s.seeds; ++i) w.Uint64(s.first_seed + static_cast<uint64_t>(i));
  w.EndArray();
  Key(w, "contenders");
  w.StartArray();
  for (const auto& c : result.contenders) {
    w.StartObject();
    Key(w, "name");
    w.String(c.name.c_str());
    Key(w, "description");
    w.String(c.description.c_str());
    w.EndObject();
  }
  w.EndArray();
  Key(w, "results");
  w.StartArray();
  for (const auto& c : all) {
    for (const auto& d : c.days) {
      w.StartObject();
      Key(w, "name");
      w.String(d.name.c_str());
      Key(w, "connection");
      w.String(std::string(ConnectionModelName(d.connection)).c_str());
      Key(w, "day");
      w.Int(d.day);
      Key(w, "seed");
      w.Uint64(d.seed);
      for (const auto& [key, value] : Scalars(d)) {
        Key(w, key);
        if (!value) {
          w.Null();
        } else if (key == "requests" || key == "failed" || key == "scaleEvents") {
          w.Int64(static_cast<int64_t>(*value));
        } else {
          Number(w, *value);
        }
      }
      Key(w, "rises");
      w.StartArray();
      for (const auto& r : d.rises) {
        w.StartObject();
        Key(w, "time");
        w.String(FormatRfc3339(s.start + std::chrono::duration_cast<Duration>(
                                             std::chrono::duration<double>(r.time_s)))
                     .c_str());
        Key(w, "usersBefore");
        w.Int(r.users_before);
        Key(w, "usersAfter");
        w.Int(r.users_after);
        Key(w, "first5MinMeanMs");
        Number(w, r.first5_mean_ms);
        Key(w, "first30MinMeanMs");
        Number(w, r.first30_mean_ms);
        Key(w, "steadyMeanMs");
        if (r.steady_mean_ms) {
          Number(w, *r.steady_mean_ms);
        } else {
          w.Null();
        }
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
  }
  w.EndArray();
  Key(w, "spread");
  w.StartArray();
  for (const auto& [key, seeds] : GroupBySeed(result, all)) {
    const DayMetrics& first = *seeds.front();
    w.StartObject();
    Key(w, "name");
    w.String(first.name.c_str());
    Key(w, "connection");
    w.String(std::string(ConnectionModelName(first.connection)).c_str());
    Key(w, "day");
    w.Int(first.day);
    Key(w, "seeds");
    w.Int(static_cast<int>(seeds.size()));
    const auto names = Scalars(first);
    for (size_t i = 0; i < names.size(); ++i) {
      std::vector<double> values;
      for (const auto* d : seeds) {
        if (auto v = Scalars(*d)[i].second) values.push_back(*v);
      }
      Key(w, names[i].first);
      if (values.empty()) {
        w.Null();
      } else {
        WriteSpread(w, ComputeSpread(values));
      }
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string SummaryTable(const ExperimentResult& result) {
  const auto all = ComputeAll(result);
  std::string out =
      fmt::format("{:<14} {:<11} {:>3} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} {:>8}\n",
                  "contender", "connection", "day", "requests", "failed", "mean ms", "p99 ms",
                  "max ms", "rise ms", "replica-h", "scales", "under s");
  for (const auto& [key, seeds] : GroupBySeed(result, all)) {
    auto mean = [&](const std::function<std::optional<double>(const DayMetrics&)>& get) {
      std::vector<double> v;
      for (const auto* d : seeds) {
        if (auto x = get(*d)) v.push_back(*x);
      }
      return v.empty() ? std::optional<double>() : ComputeSpread(v).mean;
    };
    auto f = [](std::optional<double> v, int digits) {
      return v ? fmt::format("{:.{}f}", *v, digits) : std::string("-");
    };
    const DayMetrics& d = *seeds.front();
    out +=
        fmt::format("{:<14} {:<11} {:>3} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} {:>8}\n",
                    d.name, ConnectionModelName(d.connection), d.day,
                    f(mean([](auto& x) { return static_cast<double>(x.requests); }), 0),
                    f(mean([](auto& x) { return static_cast<double>(x.failed); }), 0),
                    f(mean([](auto& x) { return x.latency_mean_ms; }), 1),
                    f(mean([](auto& x) { return x.latency_p99_ms; }), 0),
                    f(mean([](auto& x) { return x.latency_max_ms; }), 0),
                    f(mean([](auto& x) { return x.rise_latency_mean_ms; }), 1),
                    f(mean([](auto& x) { return x.replica_hours; }), 1),
                    f(mean([](auto& x) { return static_cast<double>(x.scale_events); }), 0),
                    f(mean([](auto& x) { return x.under_provisioned_s; }), 0));
  }
  return out;
}

Result<std::vector<std::string>> WriteReport(const ExperimentResult& result,
                                             const std::string& out_dir,
                                             const ReportOptions& options) {
  std::error_code ec;
  const fs::path dir(out_dir);
  fs::create_directories(dir / "runs", ec);
  if (ec) return MakeErrorF(ErrorCode::kUnavailable, "cannot create {}: {}", out_dir, ec.message());
  std::vector<std::string> written = {(dir / "report.md").string()};
  auto write = [&](const fs::path& path, const std::string& text) -> Status {
    CPA_RETURN_IF_ERROR(WriteFile(path, text));
    written.push_back(path.string());
    return OkStatus();
  };
  CPA_RETURN_IF_ERROR(write(dir / "summary.json", SummaryJson(result)));
  const auto all = ComputeAll(result);
  std::string days_csv =
      "name,connection,seed,day,requests,failed,latency_mean_ms,latency_p95_ms,latency_p99_ms,"
      "latency_max_ms,rise_latency_mean_ms,replica_hours,scale_events,under_provisioned_s\n";
  std::string rises_csv =
      "name,connection,seed,day,time,users_before,users_after,first5_mean_ms,first30_mean_ms,"
      "steady_mean_ms\n";
  for (const auto& c : all) {
    for (const auto& d : c.days) {
      days_csv +=
          fmt::format("{},{},{},{},{},{},{:.1f},{:.1f},{:.1f},{:.1f},{},{:.3f},{},{:.0f}\n", d.name,
                      ConnectionModelName(d.connection), d.seed, d.day, d.requests, d.failed,
                      d.latency_mean_ms, d.latency_p95_ms, d.latency_p99_ms, d.latency_max_ms,
                      d.rise_latency_mean_ms ? Fixed(*d.rise_latency_mean_ms) : "", d.replica_hours,
                      d.scale_events, d.under_provisioned_s);
      for (const auto& r : d.rises) {
        rises_csv += fmt::format(
            "{},{},{},{},{},{},{},{:.1f},{:.1f},{}\n", d.name, ConnectionModelName(d.connection),
            d.seed, d.day, Clock(result.scenario, r.time_s), r.users_before, r.users_after,
            r.first5_mean_ms, r.first30_mean_ms, r.steady_mean_ms ? Fixed(*r.steady_mean_ms) : "");
      }
    }
    CPA_RETURN_IF_ERROR(
        write(dir / "runs" / (RunSlug(*c.run) + "_loadruns.csv"), LoadRunsCsv(*c.run)));
    CPA_RETURN_IF_ERROR(
        write(dir / "runs" / (RunSlug(*c.run) + "_replicas.csv"), ReplicasCsv(*c.run)));
  }
  CPA_RETURN_IF_ERROR(write(dir / "days.csv", days_csv));
  CPA_RETURN_IF_ERROR(write(dir / "rises.csv", rises_csv));

  // Plots.
  std::vector<std::string> plot_errors;
  std::vector<std::pair<ConnectionModel, std::vector<std::string>>> plots;
  if (options.plots) {
    fs::create_directories(dir / "plots", ec);
    for (ConnectionModel connection : result.scenario.connections) {
      std::vector<std::string> pngs;
      for (std::string_view kind : {"replicas", "avg", "max"}) {
        const std::string base = fmt::format("{}_{}",
                                             kind == "replicas" ? "replicas"
                                             : kind == "avg"    ? "avg_latency"
                                                                : "max_latency",
                                             ConnectionModelName(connection));
        const fs::path script = dir / "plots" / (base + ".gp");
        CPA_RETURN_IF_ERROR(write(script, PlotScript(result, connection, kind, base + ".png")));
        if (auto s = RunGnuplot(options.gnuplot, script, dir / "plots"); !s) {
          plot_errors.push_back(s.error().message);
        } else {
          pngs.push_back("plots/" + base + ".png");
          written.push_back((dir / "plots" / (base + ".png")).string());
        }
      }
      plots.push_back({connection, pngs});
    }
  }

  // report.md
  const Scenario& s = result.scenario;
  std::string md = fmt::format("# Experiment `{}`\n\n{}\n\n", s.name, s.description);
  md += fmt::format(
      "Simulated {:.1f} h from {} · seeds {}..{} · connection models: ", s.duration_s / 3600.0,
      FormatRfc3339(s.start), s.first_seed, s.first_seed + static_cast<uint64_t>(s.seeds) - 1);
  for (size_t i = 0; i < s.connections.size(); ++i) {
    md += fmt::format("{}{}", i ? ", " : "", ConnectionModelName(s.connections[i]));
  }
  md += fmt::format(" · {} runs in {:.1f} s of wall time.\n\n", result.runs.size(),
                    result.wall_seconds);
  md += "## Contenders\n\n";
  for (const auto& c : result.contenders) {
    md += fmt::format("- **{}**: {}", c.name, c.description);
    for (const auto& run : result.runs) {
      if (run.contender == c.name && !run.note.empty()) {
        md += fmt::format(" ({}, seed {} {})", run.note, run.seed,
                          ConnectionModelName(run.connection));
        break;
      }
    }
    int64_t errors = 0, runs = 0;
    std::string first_error;
    for (const auto& run : result.runs) {
      if (run.contender != c.name) continue;
      errors += run.autoscaler_errors;
      runs += run.autoscaler_runs;
      if (first_error.empty()) first_error = run.first_error;
    }
    md += fmt::format(". Autoscaler runs: {}, failed: {}", runs, errors);
    if (!first_error.empty()) md += fmt::format(" (first: `{}`)", first_error);
    md += ".\n";
  }
  const auto groups = GroupBySeed(result, all);
  for (ConnectionModel connection : s.connections) {
    md += fmt::format("\n## Results, {} connections\n\n", ConnectionModelName(connection));
    md += s.seeds > 1 ? "Mean over seeds (min–max).\n\n" : "";
    md +=
        "| contender | day | requests | failed | mean ms | p95 ms | p99 ms | max ms | "
        "rise mean ms | replica-hours | scale events | under-provisioned s |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& [key, seeds] : groups) {
      if (std::get<1>(key) != static_cast<int>(connection)) continue;
      md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                        seeds.front()->name, seeds.front()->day,
                        Cell(
                            seeds, [](auto& d) { return static_cast<double>(d.requests); }, 0),
                        Cell(
                            seeds, [](auto& d) { return static_cast<double>(d.failed); }, 0),
                        Cell(
                            seeds, [](auto& d) { return d.latency_mean_ms; }, 1),
                        Cell(
                            seeds, [](auto& d) { return d.latency_p95_ms; }, 0),
                        Cell(
                            seeds, [](auto& d) { return d.latency_p99_ms; }, 0),
                        Cell(
                            seeds, [](auto& d) { return d.latency_max_ms; }, 0),
                        Cell(
                            seeds, [](auto& d) { return d.rise_latency_mean_ms; }, 1),
                        Cell(
                            seeds, [](auto& d) { return d.replica_hours; }, 1),
                        Cell(
                            seeds, [](auto& d) { return static_cast<double>(d.scale_events); }, 0),
                        Cell(
                            seeds, [](auto& d) { return d.under_provisioned_s; }, 0));
    }
    md += fmt::format("\n### Load rises ({} connections, seed {})\n\n",
                      ConnectionModelName(connection), s.first_seed);
    md +=
        "| contender | day | time (UTC) | users | first 5 min ms | first 30 min ms | steady ms |\n"
        "|---|---:|---|---|---:|---:|---:|\n";
    for (const auto& c : all) {
      if (c.run->connection != connection || c.run->seed != s.first_seed) continue;
      for (const auto& d : c.days) {
        for (const auto& r : d.rises) {
          md += fmt::format("| {} | {} | {} | {} → {} | {:.1f} | {:.1f} | {} |\n", d.name, d.day,
                            Clock(s, r.time_s), r.users_before, r.users_after, r.first5_mean_ms,
                            r.first30_mean_ms,
                            r.steady_mean_ms ? Fixed(*r.steady_mean_ms) : std::string("–"));
        }
      }
    }
    for (const auto& [model, pngs] : plots) {
      if (model != connection) continue;
      md += "\n";
      for (const auto& png : pngs) md += fmt::format("![{}]({})\n\n", png, png);
    }
  }
  if (!plot_errors.empty()) {
    md += fmt::format("\nPlots were not drawn: {}\n", plot_errors.front());
  }
  md +=
      "\n## Reading this\n\nRequests are counted in the load run they were issued in; latency "
      "includes failed requests, as the load tool reported it. A load rise is a load run with "
      "more scheduled users than the one before; its first 5/30 minutes are the load runs "
      "starting in them, steady is the rest of the phase. Under-provisioned time is the time "
      "with fewer ready pods than the offered load needs at the target utilization. Files: "
      "`summary.json`, `days.csv`, `rises.csv`, `runs/*_loadruns.csv` (one row per load run) "
      "and `runs/*_replicas.csv` (one row per 15 s).\n";
  CPA_RETURN_IF_ERROR(WriteFile(dir / "report.md", md));
  return written;
}

}  // namespace cpa::experiments
