// A strict parser of the Prometheus text exposition format 0.0.4 for tests: every line must be a
// HELP/TYPE/comment line or a sample with a valid name, well-formed labels and a float value.
// Histograms are checked: buckets per series with increasing `le`, cumulative counts, a final
// +Inf bucket equal to _count, and a _sum. Returns the samples or the first problem found.
#pragma once

#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace cpa::api::testing {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter|gauge|histogram|...
  std::map<std::string, std::string> help;
  std::vector<Sample> samples;

  // Value of the sample with exactly these labels; NaN when absent.
  double Value(const std::string& name, const std::map<std::string, std::string>& labels) const {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return std::nan("");
  }
  // Sum over every sample of `name` whose labels include `subset`.
  double Sum(const std::string& name, const std::map<std::string, std::string>& subset) const {
    double total = 0;
    for (const auto& s : samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : subset) {
        auto it = s.labels.find(k);
        match = match && it != s.labels.end() && it->second == v;
      }
      if (match) total += s.value;
    }
    return total;
  }
};

inline bool ValidName(std::string_view n, bool colon) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

inline bool ParseFloat(std::string_view text, double& out) {
  if (text == "+Inf" || text == "Inf") {
    out = INFINITY;
    return true;
  }
  if (text == "-Inf") {
    out = -INFINITY;
    return true;
  }
  if (text == "NaN") {
    out = NAN;
    return true;
  }
  if (text.empty()) return false;
  if (text[0] == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out);
}

inline std::string FamilyOf(const std::string& name, const std::map<std::string, std::string>& t) {
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      std::string base = name.substr(0, name.size() - suffix.size());
      auto it = t.find(base);
      if (it != t.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return name;
}

inline Result<Exposition> ParseExposition(std::string_view text) {
  Exposition out;
  if (!text.empty() && !text.ends_with('\n')) {
    return MakeError(ErrorCode::kInvalidArgument, "exposition does not end with a newline");
  }
  size_t line_no = 0;
  std::set<std::string> seen_samples;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    auto fail = [&](std::string_view why) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "line {}: {}: '{}'", line_no, why, line);
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::string_view rest = line.substr(1);
      if (rest.starts_with(" HELP ") || rest.starts_with(" TYPE ")) {
        bool is_type = rest.starts_with(" TYPE ");
        rest.remove_prefix(6);
        size_t sp = rest.find(' ');
        if (sp == std::string_view::npos) return fail("HELP/TYPE without text");
        std::string name(rest.substr(0, sp));
        std::string_view arg = rest.substr(sp + 1);
        if (!ValidName(name, true)) return fail("invalid metric name");
        if (is_type) {
          static const std::set<std::string_view> kTypes = {"counter", "gauge", "histogram",
                                                            "summary", "untyped"};
          if (!kTypes.contains(arg)) return fail("unknown type");
          if (out.types.contains(name)) return fail("second TYPE line");
          for (const auto& s : out.samples) {
            if (FamilyOf(s.name, out.types) == name || s.name == name) {
              return fail("TYPE after samples of the family");
            }
          }
          out.types[name] = std::string(arg);
        } else {
          if (out.help.contains(name)) return fail("second HELP line");
          for (size_t i = 0; i < arg.size(); ++i) {
            if (arg[i] == '\\' &&
                (i + 1 >= arg.size() || (arg[i + 1] != '\\' && arg[i + 1] != 'n'))) {
              return fail("bad escape in HELP");
            }
            if (arg[i] == '\\') ++i;
          }
          out.help[name] = std::string(arg);
        }
      }
      continue;  // other comments are allowed
    }
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = std::string(line.substr(0, i));
    if (!ValidName(s.name, true)) return fail("invalid metric name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        size_t eq = line.find('=', i);
        if (eq == std::string_view::npos) return fail("label without '='");
        std::string label(line.substr(i, eq - i));
        if (!ValidName(label, false) || label.starts_with("__")) return fail("invalid label name");
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') return fail("label value not quoted");
        ++i;
        std::string value;
        bool closed = false;
        for (; i < line.size(); ++i) {
          char c = line[i];
          if (c == '\\') {
            if (i + 1 >= line.size()) return fail("dangling escape");
            char e = line[++i];
            if (e == '\\')
              value += '\\';
            else if (e == '"')
              value += '"';
            else if (e == 'n')
              value += '\n';
            else
              return fail("invalid escape in label value");
          } else if (c == '"') {
            closed = true;
            ++i;
            break;
          } else {
            value += c;
          }
        }
        if (!closed) return fail("unterminated label value");
        if (s.labels.contains(label)) return fail("duplicate label");
        s.labels[label] = value;
        if (i < line.size() && line[i] == ',') {
          ++i;
        } else if (i >= line.size() || line[i] != '}') {
          return fail("expected ',' or '}' after a label");
        }
      }
    }
    if (i >= line.size() || line[i] != ' ') return fail("no space before the value");
    std::string_view rest = line.substr(i + 1);
    size_t sp = rest.find(' ');
    std::string_view value_text = rest.substr(0, sp);
    if (!ParseFloat(value_text, s.value)) return fail("invalid value");
    if (sp != std::string_view::npos) {
      std::string_view ts = rest.substr(sp + 1);
      int64_t t;
      auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
      if (ec != std::errc() || end != ts.data() + ts.size()) return fail("invalid timestamp");
    }
    std::string family = FamilyOf(s.name, out.types);
    if (!out.types.contains(family)) return fail("sample without a TYPE line before it");
    std::string key = s.name;
    for (const auto& [k, v] : s.labels) key += "\x1f" + k + "=" + v;
    if (!seen_samples.insert(key).second) return fail("duplicate sample");
    const std::string& type = out.types[family];
    if ((type == "counter" || s.name.ends_with("_count") || s.name.ends_with("_bucket")) &&
        type != "gauge" && !(s.value >= 0)) {
      return fail("negative or NaN counter");
    }
    out.samples.push_back(std::move(s));
  }
  // Histogram checks.
  for (const auto& [family, type] : out.types) {
    if (type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts, sums;
    for (const auto& s : out.samples) {
      if (s.name == family + "_bucket") {
        auto labels = s.labels;
        auto le = labels.find("le");
        if (le == labels.end()) {
          return MakeErrorF(ErrorCode::kInvalidArgument, "{}: bucket without le", family);
        }
        double bound;
        if (!ParseFloat(le->second, bound)) {
          return MakeErrorF(ErrorCode::kInvalidArgument, "{}: bad le '{}'", family, le->second);
        }
        labels.erase(le);
        buckets[labels].emplace_back(bound, s.value);
      } else if (s.name == family + "_count") {
        counts[s.labels] = s.value;
      } else if (s.name == family + "_sum") {
        sums[s.labels] = s.value;
      } else if (s.name == family) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "{}: plain sample of a histogram", family);
      }
    }
    for (const auto& [labels, list] : buckets) {
      for (size_t b = 1; b < list.size(); ++b) {
        if (!(list[b].first > list[b - 1].first)) {
          return MakeErrorF(ErrorCode::kInvalidArgument, "{}: le not increasing", family);
        }
        if (list[b].second < list[b - 1].second) {
          return MakeErrorF(ErrorCode::kInvalidArgument, "{}: buckets not cumulative", family);
        }
      }
      if (list.empty() || !std::isinf(list.back().first)) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "{}: no +Inf bucket", family);
      }
      if (!counts.contains(labels) || counts[labels] != list.back().second) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "{}: _count differs from +Inf bucket",
                          family);
      }
      if (!sums.contains(labels)) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "{}: no _sum", family);
      }
    }
  }
  return out;
}

}  // namespace cpa::api::testing
