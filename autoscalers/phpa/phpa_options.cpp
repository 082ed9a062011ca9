#include "autoscalers/phpa/phpa_options.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "engine/config/json_reader.h"

namespace cpa::phpa {
namespace {

using config::ConfigIssues;
using config::JsonReader;

template <typename T>
std::string Names(const std::vector<std::pair<std::string_view, T>>& table) {
  std::string out;
  for (const auto& [name, value] : table) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

template <typename T>
void Enum(JsonReader& r, std::string_view key,
          const std::vector<std::pair<std::string_view, T>>& table, T& out) {
  std::string text;
  const bool present = r.Has(key);
  r.String(key, text);
  if (!present || text.empty()) return;
  for (const auto& [name, value] : table) {
    if (name == text) {
      out = value;
      return;
    }
  }
  r.issues().Error(r.PathOf(key),
                   fmt::format("unknown value \"{}\"; known: {}", text, Names(table)));
}

void Duration(JsonReader& r, std::string_view key, int64_t& out) {
  const JsonValue* v = r.Get(key);
  if (v == nullptr) return;
  auto ms = ParseDurationMs(*v);
  if (!ms || *ms < 0) {
    r.issues().Error(r.PathOf(key),
                     fmt::format("must be a duration such as \"60s\", \"5m\", \"1h30m\" or a "
                                 "number of milliseconds >= 0, got {}",
                                 config::Describe(*v)));
    return;
  }
  out = *ms;
}

void Positive(JsonReader& r, std::string_view key, int& out, int minimum = 1) {
  r.Int(key, out);
  if (out < minimum) {
    r.issues().Error(r.PathOf(key), fmt::format("must be >= {}, got {}", minimum, out));
  }
}

std::optional<double> Unit(JsonReader& r, std::string_view key) {
  if (!r.Has(key)) {
    r.Known({key});
    return std::nullopt;
  }
  double v = 0.0;
  r.Double(key, v);
  if (!(v >= 0.0 && v <= 1.0)) {
    r.issues().Error(r.PathOf(key), fmt::format("must be in [0, 1], got {}", v));
  }
  return v;
}

std::optional<config::MethodConfig> ParseHook(JsonReader& parent, std::string_view key) {
  const JsonValue* v = parent.Get(key);
  if (v == nullptr) return std::nullopt;
  JsonReader r(*v, parent.PathOf(key), parent.issues());
  if (!r.Valid()) return std::nullopt;
  config::MethodConfig method;
  r.Required("type");
  r.String("type", method.type);
  r.Int("timeout", method.timeout_ms);
  if (method.timeout_ms <= 0) {
    r.issues().Error(r.PathOf("timeout"), fmt::format("must be > 0, got {}", method.timeout_ms));
  }
  if (method.type == "http") {
    r.Required("http");
    if (const JsonValue* h = r.Get("http")) {
      JsonReader hr(*h, r.PathOf("http"), r.issues());
      if (hr.Valid()) {
        config::HttpMethodConfig http;
        hr.String("method", http.method);
        hr.Required("url");
        hr.String("url", http.url);
        hr.StringMap("headers", http.headers);
        hr.IntList("successCodes", http.success_codes);
        std::string mode = "query";
        hr.String("parameterMode", mode);
        if (mode == "body") {
          http.parameter_mode = config::ParameterMode::kBody;
        } else if (mode != "query") {
          hr.issues().Error(hr.PathOf("parameterMode"),
                            fmt::format("unknown value \"{}\"; known: query, body", mode));
        }
        hr.OptionalString("caCert", http.ca_cert);
        hr.OptionalString("clientCert", http.client_cert);
        hr.OptionalString("clientKey", http.client_key);
        hr.Finish();
        method.http = std::move(http);
      }
    }
  } else if (method.type == "shell") {
    r.Required("shell");
    if (const JsonValue* s = r.Get("shell")) {
      JsonReader sr(*s, r.PathOf("shell"), r.issues());
      if (sr.Valid()) {
        config::ShellMethodConfig shell;
        sr.Required("entrypoint");
        sr.String("entrypoint", shell.entrypoint);
        sr.StringList("command", shell.command);
        sr.Bool("logStderr", shell.log_stderr);
        sr.Finish();
        method.shell = std::move(shell);
      }
    }
  } else if (!method.type.empty()) {
    r.issues().Error(r.PathOf("type"),
                     fmt::format("unknown hook type \"{}\"; known: http, shell", method.type));
  }
  r.Finish();
  return method;
}

void ParseLinear(JsonReader& model_reader, ModelOptions& model) {
  model_reader.Required("linear");
  const JsonValue* v = model_reader.Get("linear");
  if (v == nullptr) return;
  JsonReader r(*v, model_reader.PathOf("linear"), model_reader.issues());
  if (!r.Valid()) return;
  LinearOptions linear;
  r.Required("historySize");
  if (r.Has("historySize")) Positive(r, "historySize", linear.history_size);
  r.Int("lookAhead", linear.look_ahead_ms);
  if (linear.look_ahead_ms < 0) {
    r.issues().Error(r.PathOf("lookAhead"),
                     fmt::format("must be >= 0 (milliseconds), got {}", linear.look_ahead_ms));
  }
  r.Finish();
  model.linear = linear;
}

void ParseHoltWinters(JsonReader& model_reader, ModelOptions& model) {
  model_reader.Required("holtWinters");
  const JsonValue* v = model_reader.Get("holtWinters");
  if (v == nullptr) return;
  const std::string path = model_reader.PathOf("holtWinters");
  JsonReader r(*v, path, model_reader.issues());
  if (!r.Valid()) return;
  HoltWintersModelOptions hw;
  models::HoltWintersOptions& o = hw.model;
  hw.configured_alpha = Unit(r, "alpha");
  hw.configured_beta = Unit(r, "beta");
  hw.configured_gamma = Unit(r, "gamma");
  hw.runtime_tuning_fetch_hook = ParseHook(r, "runtimeTuningFetchHook");
  const std::vector<std::pair<std::string_view, models::Trend>> trends = {
      {"add", models::Trend::kAdditive},
      {"additive", models::Trend::kAdditive},
      {"mul", models::Trend::kMultiplicative},
      {"multiplicative", models::Trend::kMultiplicative},
      {"none", models::Trend::kNone}};
  const std::vector<std::pair<std::string_view, models::Seasonal>> seasonals = {
      {"add", models::Seasonal::kAdditive},
      {"additive", models::Seasonal::kAdditive},
      {"mul", models::Seasonal::kMultiplicative},
      {"multiplicative", models::Seasonal::kMultiplicative},
      {"none", models::Seasonal::kNone}};
  const std::vector<std::pair<std::string_view, models::Initialization>> inits = {
      {"estimated", models::Initialization::kEstimated},
      {"heuristic", models::Initialization::kHeuristic},
      {"known", models::Initialization::kKnown},
      // The original's "legacy-heuristic" (statsmodels' older start) maps to ours.
      {"legacy-heuristic", models::Initialization::kHeuristic}};
  o.trend = models::Trend::kAdditive;
  o.seasonal = models::Seasonal::kAdditive;
  o.initialization =
      models::Initialization::kEstimated;  // statsmodels' (and the original's) default
  Enum(r, "trend", trends, o.trend);
  Enum(r, "seasonal", seasonals, o.seasonal);
  Enum(r, "initializationMethod", inits, o.initialization);
  r.Bool("dampedTrend", o.damped);
  if (o.damped && o.trend == models::Trend::kNone) {
    r.issues().Error(r.PathOf("dampedTrend"), "needs a trend (trend: add or mul)");
  }
  if (r.Has("phi")) {  // ours: the damping factor (statsmodels' damping_trend)
    r.Double("phi", o.params.phi);
    if (!(o.params.phi > 0.0 && o.params.phi <= 1.0)) {
      r.issues().Error(r.PathOf("phi"), fmt::format("must be in (0, 1], got {}", o.params.phi));
    }
  }
  if (o.seasonal != models::Seasonal::kNone) {
    r.Required("seasonalPeriods");
    if (r.Has("seasonalPeriods")) Positive(r, "seasonalPeriods", o.season_length, 2);
  } else {
    r.Int("seasonalPeriods", o.season_length);
  }
  Positive(r, "storedSeasons", hw.stored_seasons);
  Positive(r, "lookAhead", hw.look_ahead);
  if (o.initialization == models::Initialization::kKnown) {
    r.Required("initialLevel");
    r.Double("initialLevel", o.initial.level);
    if (o.trend != models::Trend::kNone) {
      r.Required("initialTrend");
      r.Double("initialTrend", o.initial.trend);
    } else {
      r.Known({"initialTrend"});
    }
    if (o.seasonal != models::Seasonal::kNone) {
      r.Required("initialSeasonal");
      if (const JsonValue* s = r.Get("initialSeasonal")) {
        // A list of one seasonal per season step; a single number is taken for every step
        // (the original's schema had a single number).
        if (s->IsArray()) {
          for (const auto& item : s->GetArray()) {
            if (!item.IsNumber()) {
              r.issues().Error(r.PathOf("initialSeasonal"),
                               fmt::format("must hold numbers, got {}", config::Describe(item)));
              break;
            }
            o.initial.seasonal.push_back(item.GetDouble());
          }
          if (o.season_length >= 2 &&
              static_cast<int>(o.initial.seasonal.size()) != o.season_length) {
            r.issues().Error(r.PathOf("initialSeasonal"),
                             fmt::format("must have seasonalPeriods ({}) values, got {}",
                                         o.season_length, o.initial.seasonal.size()));
          }
        } else if (s->IsNumber()) {
          o.initial.seasonal.assign(static_cast<size_t>(std::max(0, o.season_length)),
                                    s->GetDouble());
        } else {
          r.issues().Error(r.PathOf("initialSeasonal"),
                           fmt::format("must be a list of numbers, got {}", config::Describe(*s)));
        }
      }
    } else {
      r.Known({"initialSeasonal"});
    }
  } else {
    for (std::string_view key : {"initialLevel", "initialTrend", "initialSeasonal"}) {
      if (r.Has(key)) {
        r.issues().Warning(r.PathOf(key), "is used only with initializationMethod: known");
      }
      r.Known({key});
    }
  }
  if (!hw.runtime_tuning_fetch_hook) {
    for (auto [key, value] :
         {std::pair<std::string_view, const std::optional<double>*>{"alpha", &hw.configured_alpha},
          {"beta", &hw.configured_beta},
          {"gamma", &hw.configured_gamma}}) {
      const bool needed = key == "alpha" || (key == "beta" && o.trend != models::Trend::kNone) ||
                          (key == "gamma" && o.seasonal != models::Seasonal::kNone);
      if (needed && !value->has_value()) {
        r.issues().Error(r.PathOf(key), "is required (or a runtimeTuningFetchHook)");
      }
    }
  }
  if (o.season_length >= 0) {
    auto sized = o;
    if (sized.HasSeasonal() && sized.season_length < 2) sized.season_length = 2;
    const int have = hw.stored_seasons * std::max(1, o.season_length);
    const int need = models::RequiredHistory(sized);
    if (have < need) {
      r.issues().Error(r.PathOf("storedSeasons"),
                       fmt::format("keeps {} point(s) (storedSeasons * seasonalPeriods), fewer "
                                   "than the {} the model needs before it can predict",
                                   have, need));
    }
  }
  if (hw.configured_alpha) o.params.alpha = *hw.configured_alpha;
  if (hw.configured_beta) o.params.beta = *hw.configured_beta;
  if (hw.configured_gamma) o.params.gamma = *hw.configured_gamma;
  r.Finish();
  model.holt_winters = std::move(hw);
}

ModelOptions ParseModel(const JsonValue& v, const std::string& path, ConfigIssues& issues) {
  ModelOptions model;
  JsonReader r(v, path, issues);
  if (!r.Valid()) return model;
  r.Required("type");
  r.Required("name");
  std::string type;
  r.String("type", type);
  r.String("name", model.name);
  Positive(r, "perSyncPeriod", model.per_sync_period);
  r.Int("calculationTimeout", model.calculation_timeout_ms);
  Duration(r, "startInterval", model.start_interval_ms);
  Duration(r, "resetDuration", model.reset_duration_ms);
  Enum(r, "aggregation",
       std::vector<std::pair<std::string_view, Aggregation>>{
           {"last", Aggregation::kLast}, {"max", Aggregation::kMax}, {"mean", Aggregation::kMean}},
       model.aggregation);
  if (type == "Linear") {
    model.type = ModelType::kLinear;
    ParseLinear(r, model);
    r.Known({"holtWinters"});
  } else if (type == "HoltWinters") {
    model.type = ModelType::kHoltWinters;
    ParseHoltWinters(r, model);
    r.Known({"linear"});
  } else if (!type.empty()) {
    issues.Error(r.PathOf("type"),
                 fmt::format("unknown model type \"{}\"; known: HoltWinters, Linear", type));
  }
  r.Finish();
  return model;
}

}  // namespace

std::string_view DecisionTypeName(DecisionType type) {
  switch (type) {
    case DecisionType::kMaximum:
      return "maximum";
    case DecisionType::kMinimum:
      return "minimum";
    case DecisionType::kMean:
      return "mean";
    case DecisionType::kMedian:
      return "median";
  }
  return "maximum";
}

std::string_view AggregationName(Aggregation aggregation) {
  switch (aggregation) {
    case Aggregation::kMean:
      return "mean";
    case Aggregation::kMax:
      return "max";
    case Aggregation::kLast:
      return "last";
  }
  return "max";
}

std::string_view LearnSourceName(LearnSource source) {
  return source == LearnSource::kLoad ? "load" : "hpaReplicas";
}

int ModelOptions::HistoryPoints() const {
  if (type == ModelType::kLinear) return linear ? linear->history_size : 0;
  if (!holt_winters) return 0;
  // storedSeasons * seasonalPeriods points (seasonalPeriods also sizes a non-seasonal model's
  // history; it defaults to 1 there).
  return holt_winters->stored_seasons * std::max(1, holt_winters->model.season_length);
}

std::optional<int64_t> ParseDurationMs(const JsonValue& value) {
  if (value.IsNumber()) {
    auto i = config::AsInteger(value);
    return i;
  }
  if (!value.IsString()) return std::nullopt;
  std::string_view s(value.GetString(), value.GetStringLength());
  if (s.empty()) return std::nullopt;
  if (s == "0") return 0;
  double total_ms = 0.0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    const std::string number(s.substr(0, i));
    char* end = nullptr;
    const double n = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) return std::nullopt;
    s.remove_prefix(i);
    double unit = 0.0;
    for (auto [name, ms] : {std::pair<std::string_view, double>{"ms", 1.0},
                            {"us", 1e-3},
                            {"ns", 1e-6},
                            {"h", 3'600'000.0},
                            {"m", 60'000.0},
                            {"s", 1'000.0}}) {
      if (s.starts_with(name)) {
        unit = ms;
        s.remove_prefix(name.size());
        break;
      }
    }
    if (unit == 0.0) return std::nullopt;
    total_ms += n * unit;
  }
  if (!std::isfinite(total_ms) || total_ms > 9e15) return std::nullopt;
  return static_cast<int64_t>(std::llround(total_ms));
}

void ReadPhpaFields(JsonReader& r, PhpaOptions& options) {
  ConfigIssues& issues = r.issues();
  Enum(r, "decisionType",
       std::vector<std::pair<std::string_view, DecisionType>>{{"maximum", DecisionType::kMaximum},
                                                              {"mean", DecisionType::kMean},
                                                              {"median", DecisionType::kMedian},
                                                              {"minimum", DecisionType::kMinimum}},
       options.decision_type);
  Enum(r, "learn",
       std::vector<std::pair<std::string_view, LearnSource>>{
           {"hpaReplicas", LearnSource::kHpaReplicas}, {"load", LearnSource::kLoad}},
       options.learn);
  if (const JsonValue* models_value = r.Get("models")) {
    if (!models_value->IsArray()) {
      issues.Error(r.PathOf("models"),
                   fmt::format("must be a list, got {}", config::Describe(*models_value)));
    } else {
      std::set<std::string> names;
      int i = 0;
      for (const auto& item : models_value->GetArray()) {
        const std::string item_path = fmt::format("{}[{}]", r.PathOf("models"), i++);
        ModelOptions model = ParseModel(item, item_path, issues);
        if (!model.name.empty() && !names.insert(model.name).second) {
          issues.Error(item_path + ".name", fmt::format("duplicate model name \"{}\"", model.name));
        }
        options.models.push_back(std::move(model));
      }
    }
  }
}

PhpaOptions ParsePhpaOptions(const JsonValue& block, const std::string& path, ConfigIssues& issues,
                             std::span<const std::string_view> foreign_keys) {
  PhpaOptions options;
  JsonReader r(block, path, issues);
  if (!r.Valid()) return options;
  for (std::string_view key : foreign_keys) r.Known({key});
  ReadPhpaFields(r, options);
  r.Finish();
  return options;
}

}  // namespace cpa::phpa
