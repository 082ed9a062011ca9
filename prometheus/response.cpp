#include "prometheus/response.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/json.h"

namespace cpa::prometheus {
namespace {

Result<double> ParseValue(const JsonValue& v) {
  if (!v.IsString()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "sample value must be a string, got {}",
                      JsonTypeName(v));
  }
  std::string text(v.GetString(), v.GetStringLength());
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "sample value \"{}\" is not a number", text);
  }
  return d;
}

// [ <unix time, seconds as a number>, "<value>" ]
Result<SamplePoint> ParsePoint(const JsonValue& v) {
  if (!v.IsArray() || v.Size() != 2 || !v[0].IsNumber()) {
    return MakeError(ErrorCode::kInvalidArgument, "a sample must be [<unix time>, \"<value>\"]");
  }
  SamplePoint p;
  const double seconds = v[0].GetDouble();
  if (!std::isfinite(seconds) || std::fabs(seconds) > 1e11) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "sample time {} is out of range", seconds);
  }
  p.time = TimePoint(std::chrono::duration_cast<Duration>(
      std::chrono::milliseconds(std::llround(seconds * 1000.0))));
  auto value = ParseValue(v[1]);
  if (!value) return std::unexpected(value.error());
  p.value = *value;
  return p;
}

Result<std::map<std::string, std::string>> ParseLabels(const JsonValue& item) {
  std::map<std::string, std::string> labels;
  const JsonValue* metric = FindMember(item, "metric");
  if (metric == nullptr) return labels;
  if (!metric->IsObject()) {
    return MakeError(ErrorCode::kInvalidArgument, "\"metric\" must be an object of labels");
  }
  for (const auto& m : metric->GetObject()) {
    if (!m.value.IsString()) {
      return MakeError(ErrorCode::kInvalidArgument, "label values must be strings");
    }
    labels.emplace(std::string(m.name.GetString(), m.name.GetStringLength()),
                   std::string(m.value.GetString(), m.value.GetStringLength()));
  }
  return labels;
}

}  // namespace

std::string_view ResultTypeName(ResultType type) {
  switch (type) {
    case ResultType::kScalar:
      return "scalar";
    case ResultType::kVector:
      return "vector";
    case ResultType::kMatrix:
      return "matrix";
    case ResultType::kString:
      return "string";
  }
  return "vector";
}

int JsonDepth(std::string_view json, int limit) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) max_depth = depth;
      if (max_depth > limit) return limit + 1;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

std::string LabelsText(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(fmt::format("{}=\"{}\"", k, v));
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

Result<QueryResult> ParseQueryResponse(std::string_view body, int http_status,
                                       const ResponseLimits& limits) {
  if (body.size() > limits.max_bytes) {
    return MakeErrorF(ErrorCode::kUnavailable, "reply of {} bytes is larger than the {} byte bound",
                      body.size(), limits.max_bytes);
  }
  if (JsonDepth(body, limits.max_depth) > limits.max_depth) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "reply nests JSON deeper than {} levels",
                      limits.max_depth);
  }
  auto doc = ParseJson(body);
  if (!doc) {
    const ErrorCode code =
        http_status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument;
    std::string start(body.substr(0, 120));
    return MakeErrorF(code, "HTTP {}, not a Prometheus API reply ({}): {}", http_status,
                      doc.error().message, start);
  }
  const std::string status = StringMember(*doc, "status");
  if (status == "error" || http_status < 200 || http_status >= 300) {
    const std::string type = StringMember(*doc, "errorType");
    const std::string message = StringMember(*doc, "error");
    ErrorCode code = ErrorCode::kInvalidArgument;  // bad_data, execution errors of the query
    if (http_status >= 500 || http_status == 429 || type == "timeout" || type == "canceled" ||
        type == "unavailable") {
      code = ErrorCode::kUnavailable;
    } else if (http_status == 401) {
      code = ErrorCode::kUnauthenticated;
    } else if (http_status == 403) {
      code = ErrorCode::kPermissionDenied;
    }
    return MakeErrorF(code, "HTTP {}: Prometheus error {}: {}", http_status,
                      type.empty() ? "(no errorType)" : type,
                      message.empty() ? "(no message)" : message);
  }
  if (status != "success") {
    return MakeErrorF(ErrorCode::kInvalidArgument, "reply status is \"{}\", not \"success\"",
                      status);
  }
  QueryResult out;
  if (const JsonValue* w = FindMember(*doc, "warnings"); w != nullptr && w->IsArray()) {
    for (const auto& item : w->GetArray()) {
      if (item.IsString()) out.warnings.emplace_back(item.GetString(), item.GetStringLength());
    }
  }
  const JsonValue* data = FindMember(*doc, "data");
  if (data == nullptr || !data->IsObject()) {
    return MakeError(ErrorCode::kInvalidArgument, "reply has no \"data\" object");
  }
  const std::string type = StringMember(*data, "resultType");
  const JsonValue* result = FindMember(*data, "result");
  if (result == nullptr) return MakeError(ErrorCode::kInvalidArgument, "reply has no data.result");
  if (type == "scalar" || type == "string") {
    out.type = type == "scalar" ? ResultType::kScalar : ResultType::kString;
    if (out.type == ResultType::kString) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the query returned a string, not a number (scalar or vector)");
    }
    auto p = ParsePoint(*result);
    if (!p) return std::unexpected(p.error());
    out.series.push_back(Series{{}, {*p}});
    return out;
  }
  if (type != "vector" && type != "matrix") {
    return MakeErrorF(ErrorCode::kInvalidArgument, "unknown resultType \"{}\"", type);
  }
  out.type = type == "vector" ? ResultType::kVector : ResultType::kMatrix;
  if (!result->IsArray()) {
    return MakeError(ErrorCode::kInvalidArgument, "data.result must be a list");
  }
  out.series.reserve(result->Size());
  for (const auto& item : result->GetArray()) {
    if (!item.IsObject()) {
      return MakeError(ErrorCode::kInvalidArgument, "data.result items must be objects");
    }
    auto labels = ParseLabels(item);
    if (!labels) return std::unexpected(labels.error());
    Series s;
    s.labels = std::move(*labels);
    if (out.type == ResultType::kVector) {
      const JsonValue* value = FindMember(item, "value");
      if (value == nullptr) {
        return MakeError(ErrorCode::kInvalidArgument, "a vector sample has no \"value\"");
      }
      auto p = ParsePoint(*value);
      if (!p) return std::unexpected(p.error());
      s.points.push_back(*p);
    } else {
      const JsonValue* values = FindMember(item, "values");
      if (values == nullptr || !values->IsArray()) {
        return MakeError(ErrorCode::kInvalidArgument, "a matrix series has no \"values\" list");
      }
      s.points.reserve(values->Size());
      for (const auto& v : values->GetArray()) {
        auto p = ParsePoint(v);
        if (!p) return std::unexpected(p.error());
        s.points.push_back(*p);
      }
    }
    out.series.push_back(std::move(s));
  }
  return out;
}

}  // namespace cpa::prometheus
