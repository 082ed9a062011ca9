// A minimal Prometheus registry: counter, gauge and histogram families with labels, rendered in
// the text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Families are declared once (names and label names are checked then) and keep their declaration
// order in the output; series inside a family are sorted by label values, so output is stable.
// Every method is thread-safe (one mutex; updates are a map lookup and an add).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace cpa::api::prometheus {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// [a-zA-Z_:][a-zA-Z0-9_:]*  (label names: no ':' and no leading "__")
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);
// Label values: '\' -> "\\", '"' -> "\"", newline -> "\n". HELP text: the same without '"'.
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);
// Shortest text that reads back as the same double; +Inf, -Inf, NaN as Prometheus spells them.
std::string FormatValue(double value);

// Label values of one series, in the order of its family's label names.
using LabelValues = std::vector<std::string>;

struct CounterId {
  int index = -1;
};
struct GaugeId {
  int index = -1;
};
struct HistogramId {
  int index = -1;
};

class Registry {
 public:
  // Declarations fail (kInvalidArgument) on a bad or duplicate name, or (histograms) bucket
  // bounds that are not strictly increasing and finite. The +Inf bucket is implicit.
  Result<CounterId> AddCounter(std::string name, std::string help,
                               std::vector<std::string> label_names);
  Result<GaugeId> AddGauge(std::string name, std::string help,
                           std::vector<std::string> label_names);
  Result<HistogramId> AddHistogram(std::string name, std::string help,
                                   std::vector<std::string> label_names,
                                   std::vector<double> bucket_bounds);

  // Updates ignore a wrong number of label values or a negative counter increment (a bug in the
  // caller must not crash the process; the series is simply not changed).
  void Increment(CounterId id, const LabelValues& labels, double by = 1.0);
  void Set(GaugeId id, const LabelValues& labels, double value);
  void Observe(HistogramId id, const LabelValues& labels, double value);

  // The whole registry in the text format; ends with a newline when not empty.
  std::string Exposition() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;                   // counter, gauge
    std::vector<uint64_t> bucket_hits;  // histogram: per bucket (not cumulative), +Inf last
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    Type type;
    std::string name;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> bounds;
    std::map<LabelValues, Series> series;
  };
  Result<int> Add(Type type, std::string name, std::string help,
                  std::vector<std::string> label_names, std::vector<double> bounds);
  Series* Find(int index, Type type, const LabelValues& labels);  // mu_ held

  mutable std::mutex mu_;
  std::vector<Family> families_;
};

}  // namespace cpa::api::prometheus
