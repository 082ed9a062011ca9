#include "api/prometheus.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace cpa::api::prometheus {
namespace {

bool IsNameChar(char c, bool first, bool allow_colon) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (allow_colon && c == ':') return true;
  return first ? alpha : alpha || (c >= '0' && c <= '9');
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, allow_colon)) return false;
  }
  return true;
}

std::string Escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const LabelValues& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    fmt::format_to(std::back_inserter(out), "{}=\"{}\"", names[i], EscapeLabelValue(values[i]));
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    fmt::format_to(std::back_inserter(out), "{}=\"{}\"", extra_name, extra_value);
  }
  out += '}';
}

std::string_view TypeName(int type) {
  switch (type) {
    case 0:
      return "counter";
    case 1:
      return "gauge";
    default:
      return "histogram";
  }
}

}  // namespace

bool IsValidMetricName(std::string_view name) { return IsValidName(name, true); }

bool IsValidLabelName(std::string_view name) {
  return IsValidName(name, false) && !name.starts_with("__");
}

std::string EscapeLabelValue(std::string_view value) { return Escape(value, true); }
std::string EscapeHelp(std::string_view help) { return Escape(help, false); }

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

Result<int> Registry::Add(Type type, std::string name, std::string help,
                          std::vector<std::string> label_names, std::vector<double> bounds) {
  if (!IsValidMetricName(name)) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid metric name '{}'", name);
  }
  for (const auto& label : label_names) {
    if (!IsValidLabelName(label) || (type == Type::kHistogram && label == "le")) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "metric {}: invalid label name '{}'", name,
                        label);
    }
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "histogram {}: bucket bounds must be finite and strictly increasing", name);
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& f : families_) {
    if (f.name == name) {
      return MakeErrorF(ErrorCode::kAlreadyExists, "metric {} is already registered", name);
    }
  }
  families_.push_back(Family{
      type, std::move(name), std::move(help), std::move(label_names), std::move(bounds), {}});
  return static_cast<int>(families_.size() - 1);
}

Result<CounterId> Registry::AddCounter(std::string name, std::string help,
                                       std::vector<std::string> label_names) {
  auto i = Add(Type::kCounter, std::move(name), std::move(help), std::move(label_names), {});
  if (!i) return std::unexpected(i.error());
  return CounterId{*i};
}

Result<GaugeId> Registry::AddGauge(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  auto i = Add(Type::kGauge, std::move(name), std::move(help), std::move(label_names), {});
  if (!i) return std::unexpected(i.error());
  return GaugeId{*i};
}

Result<HistogramId> Registry::AddHistogram(std::string name, std::string help,
                                           std::vector<std::string> label_names,
                                           std::vector<double> bucket_bounds) {
  auto i = Add(Type::kHistogram, std::move(name), std::move(help), std::move(label_names),
               std::move(bucket_bounds));
  if (!i) return std::unexpected(i.error());
  return HistogramId{*i};
}

Registry::Series* Registry::Find(int index, Type type, const LabelValues& labels) {
  if (index < 0 || index >= static_cast<int>(families_.size())) return nullptr;
  Family& family = families_[index];
  if (family.type != type || labels.size() != family.label_names.size()) return nullptr;
  auto it = family.series.find(labels);
  if (it == family.series.end()) {
    it = family.series.emplace(labels, Series{}).first;
    if (type == Type::kHistogram) it->second.bucket_hits.assign(family.bounds.size() + 1, 0);
  }
  return &it->second;
}

void Registry::Increment(CounterId id, const LabelValues& labels, double by) {
  if (!(by >= 0)) return;
  std::lock_guard lock(mu_);
  if (Series* s = Find(id.index, Type::kCounter, labels)) s->value += by;
}

void Registry::Set(GaugeId id, const LabelValues& labels, double value) {
  std::lock_guard lock(mu_);
  if (Series* s = Find(id.index, Type::kGauge, labels)) s->value = value;
}

void Registry::Observe(HistogramId id, const LabelValues& labels, double value) {
  std::lock_guard lock(mu_);
  Series* s = Find(id.index, Type::kHistogram, labels);
  if (s == nullptr) return;
  const auto& bounds = families_[id.index].bounds;
  // The first bucket whose upper bound is >= value ("le" is inclusive); +Inf otherwise.
  size_t bucket = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  if (std::isnan(value)) bucket = bounds.size();
  ++s->bucket_hits[bucket];
  s->sum += value;
  ++s->count;
}

std::string Registry::Exposition() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& f : families_) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", f.name,
                   EscapeHelp(f.help), f.name, TypeName(static_cast<int>(f.type)));
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::kHistogram) {
        out += f.name;
        AppendLabels(out, f.label_names, labels);
        fmt::format_to(std::back_inserter(out), " {}\n", FormatValue(s.value));
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t b = 0; b < s.bucket_hits.size(); ++b) {
        cumulative += s.bucket_hits[b];
        std::string le = b < f.bounds.size() ? FormatValue(f.bounds[b]) : "+Inf";
        out += f.name;
        out += "_bucket";
        AppendLabels(out, f.label_names, labels, "le", le);
        fmt::format_to(std::back_inserter(out), " {}\n", cumulative);
      }
      out += f.name;
      out += "_sum";
      AppendLabels(out, f.label_names, labels);
      fmt::format_to(std::back_inserter(out), " {}\n", FormatValue(s.sum));
      out += f.name;
      out += "_count";
      AppendLabels(out, f.label_names, labels);
      fmt::format_to(std::back_inserter(out), " {}\n", s.count);
    }
  }
  return out;
}

}  // namespace cpa::api::prometheus
