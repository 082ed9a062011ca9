// Writing an experiment's results: summary.json (the field names), CSV of every run,
// gnuplot PNG plots (replicas and load over time; average and maximum latency per load run; one
// panel per day) and report.md embedding the plots and the tables.
//
// Output is deterministic: the same results give the same bytes (fixed number formatting, runs
// in a fixed order), except report.md's wall-time line. Plots need `gnuplot` on PATH; without it
// the report says so and everything else is written. Not thread-safe (writes files).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/runner.h"
#include "experiments/scenario.h"
#include "experiments/summary.h"

namespace cpa::experiments {

struct ContenderInfo {
  std::string name;
  std::string description;
};

struct ExperimentResult {
  Scenario scenario;
  std::vector<ContenderInfo> contenders;  // report order
  std::vector<RunOutput> runs;            // by contender, connection, seed
  double wall_seconds = 0;
};

struct ReportOptions {
  bool plots = true;
  std::string gnuplot = "gnuplot";
};

// Writes everything into `out_dir` (created). Returns the paths written, report.md first.
Result<std::vector<std::string>> WriteReport(const ExperimentResult& result,
                                             const std::string& out_dir,
                                             const ReportOptions& options = {});

// summary.json as text.
std::string SummaryJson(const ExperimentResult& result);
// The CSV of one run's load runs and of its replica samples.
std::string LoadRunsCsv(const RunOutput& run);
std::string ReplicasCsv(const RunOutput& run);
// One row per contender, connection model and day (seed means): the terminal summary.
std::string SummaryTable(const ExperimentResult& result);

}  // namespace cpa::experiments
