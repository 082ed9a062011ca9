#include "engine/kubernetes_metrics/metrics_api.h"

#include <algorithm>
#include <cmath>

#include "common/quantity.h"
#include "common/rfc3339.h"

namespace cpa::engine::kubernetes_metrics {
namespace {

std::string_view StringAt(const JsonValue& object, std::string_view key) {
  const JsonValue* v = FindMember(object, key);
  return v != nullptr && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength())
                                       : std::string_view();
}

std::unexpected<Error> Malformed(std::string_view what) {
  return MakeErrorF(ErrorCode::kUnavailable, "malformed metrics API response: {}", what);
}

Result<int64_t> MilliOf(const JsonValue& value, std::string_view what) {
  std::string text;
  if (value.IsString()) {
    text.assign(value.GetString(), value.GetStringLength());
  } else if (value.IsNumber()) {
    text = cpa::ToJson(value);
  } else {
    return Malformed(fmt::format("{} is not a quantity", what));
  }
  auto q = Quantity::Parse(text);
  if (!q) return Malformed(fmt::format("{}: {}", what, q.error().message));
  return q->MilliValue();
}

Result<TimePoint> TimeOf(const JsonValue& item, std::string_view what) {
  auto t = ParseRfc3339(StringAt(item, "timestamp"));
  if (!t) return Malformed(fmt::format("{}: {}", what, t.error().message));
  return *t;
}

const JsonValue* ItemsOf(const JsonValue& list) {
  const JsonValue* items = FindMember(list, "items");
  if (items == nullptr || items->IsNull()) {
    static const JsonValue kEmpty(rapidjson::kArrayType);
    return &kEmpty;
  }
  return items->IsArray() ? items : nullptr;
}

}  // namespace

Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return MakeErrorF(ErrorCode::kInvalidArgument, "invalid duration \"{}\"", text);
  long double total = 0;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.')) ++n;
    const std::string_view digits = s.substr(0, n);
    // As Go's time.ParseDuration: digits with at most one '.', and at least one digit.
    if (n == 0 || std::count(digits.begin(), digits.end(), '.') > 1 || digits == ".") {
      return MakeErrorF(ErrorCode::kInvalidArgument, "invalid duration \"{}\"", text);
    }
    long double number = std::strtold(std::string(s.substr(0, n)).c_str(), nullptr);
    s.remove_prefix(n);
    size_t u = 0;
    while (u < s.size() && !((s[u] >= '0' && s[u] <= '9') || s[u] == '.')) ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    long double scale = 0;
    if (unit == "ns") {
      scale = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      scale = 1e3;
    } else if (unit == "ms") {
      scale = 1e6;
    } else if (unit == "s") {
      scale = 1e9;
    } else if (unit == "m") {
      scale = 60e9;
    } else if (unit == "h") {
      scale = 3600e9;
    } else {
      return MakeErrorF(ErrorCode::kInvalidArgument, "invalid duration \"{}\" (unit \"{}\")", text,
                        unit);
    }
    total += number * scale;
    // Go rejects a duration beyond int64 nanoseconds (about 292 years); so do we, before the
    // conversion below could overflow.
    if (!(total < 9223372036854775808.0L)) {  // 2^63
      return MakeErrorF(ErrorCode::kInvalidArgument, "invalid duration \"{}\" (out of range)",
                        text);
    }
  }
  auto ns = static_cast<int64_t>(std::llround(total));
  return std::chrono::nanoseconds(negative ? -ns : ns);
}

Result<PodMetricsSample> ReadPodMetricsList(const JsonValue& list, std::string_view resource,
                                            std::string_view container) {
  const JsonValue* items = ItemsOf(list);
  if (items == nullptr) return Malformed("items is not a list");
  if (items->Empty()) {
    return MakeError(ErrorCode::kUnavailable, "no metrics returned from resource metrics API");
  }
  PodMetricsSample sample;
  bool first = true;
  for (const auto& item : items->GetArray()) {
    const JsonValue* metadata = FindMember(item, "metadata");
    std::string name(metadata != nullptr ? StringAt(*metadata, "name") : std::string_view());
    auto timestamp = TimeOf(item, "PodMetrics " + name);
    if (!timestamp) return std::unexpected(timestamp.error());
    if (first) {
      sample.timestamp = *timestamp;
      first = false;
    }
    std::chrono::nanoseconds window{0};
    if (std::string_view w = StringAt(item, "window"); !w.empty()) {
      auto parsed = ParseGoDuration(w);
      if (!parsed)
        return Malformed(fmt::format("window of pod {}: {}", name, parsed.error().message));
      window = *parsed;
    }
    const JsonValue* containers = FindMember(item, "containers");
    bool missing = containers == nullptr || !containers->IsArray() || containers->Empty();
    int64_t sum = 0;
    bool container_found = false;
    if (!missing) {
      for (const auto& c : containers->GetArray()) {
        if (!container.empty() && StringAt(c, "name") != container) continue;
        container_found = true;
        const JsonValue* usage = FindMember(c, "usage");
        const JsonValue* q = usage != nullptr ? FindMember(*usage, resource) : nullptr;
        if (q == nullptr) {
          missing = true;
          break;
        }
        auto milli = MilliOf(*q, fmt::format("{} usage of pod {}", resource, name));
        if (!milli) return std::unexpected(milli.error());
        sum += *milli;
        if (!container.empty()) break;
      }
    }
    if (!container.empty() && !container_found) {
      return MakeErrorF(ErrorCode::kFailedPrecondition,
                        "container {} not present in metrics for pod {}", container, name);
    }
    if (missing) continue;
    sample.metrics[name] = PodMetric{*timestamp, window, sum};
  }
  return sample;
}

Result<std::vector<MetricValueItem>> ReadMetricValueList(const JsonValue& list) {
  const JsonValue* items = ItemsOf(list);
  if (items == nullptr) return Malformed("items is not a list");
  std::vector<MetricValueItem> out;
  out.reserve(items->Size());
  for (const auto& item : items->GetArray()) {
    MetricValueItem v;
    if (const JsonValue* described = FindMember(item, "describedObject")) {
      v.described_name = std::string(StringAt(*described, "name"));
    }
    auto timestamp = TimeOf(item, "metric value");
    if (!timestamp) return std::unexpected(timestamp.error());
    v.timestamp = *timestamp;
    if (const JsonValue* w = FindMember(item, "windowSeconds"); w != nullptr && w->IsInt64()) {
      v.window = std::chrono::seconds(w->GetInt64());
    }
    const JsonValue* value = FindMember(item, "value");
    if (value == nullptr) return Malformed("metric value without value");
    auto milli = MilliOf(*value, "metric value");
    if (!milli) return std::unexpected(milli.error());
    v.value = *milli;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace cpa::engine::kubernetes_metrics
