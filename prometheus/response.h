// Reading a Prometheus HTTP API reply (/api/v1/query, /api/v1/query_range) into typed samples.
//
// The reply is bounded before it is parsed (size and JSON nesting depth), so a hostile or broken
// server cannot exhaust memory or the stack. `{"status":"error"}` replies become errors carrying
// Prometheus' errorType and message. Sample values keep Prometheus' text ("NaN", "+Inf") and are
// parsed to doubles; deciding what a NaN means is the caller's job. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"

namespace cpa::prometheus {

enum class ResultType { kScalar, kVector, kMatrix, kString };
std::string_view ResultTypeName(ResultType type);  // "scalar", "vector", "matrix", "string"

struct SamplePoint {
  TimePoint time;
  double value = 0.0;
};

// One series of the reply: its labels and its points (one for scalar/vector, many for matrix).
struct Series {
  std::map<std::string, std::string> labels;
  std::vector<SamplePoint> points;
};

struct QueryResult {
  ResultType type = ResultType::kVector;
  std::vector<Series> series;  // scalar: one series without labels
  std::vector<std::string> warnings;
};

struct ResponseLimits {
  size_t max_bytes = size_t{16} << 20;  // larger replies are an error
  int max_depth = 32;                   // deeper JSON nesting is an error
};

// `http_status` is the reply's status; Prometheus sends JSON error bodies with 400/422/503.
Result<QueryResult> ParseQueryResponse(std::string_view body, int http_status,
                                       const ResponseLimits& limits = {});

// The deepest nesting of arrays/objects in `json` (strings are skipped); stops counting past
// `limit` and returns limit + 1.
int JsonDepth(std::string_view json, int limit);

// "{job=\"web\", instance=\"a\"}" for messages.
std::string LabelsText(const std::map<std::string, std::string>& labels);

}  // namespace cpa::prometheus
