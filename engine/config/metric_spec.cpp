#include "engine/config/metric_spec.h"

#include <algorithm>

#include <fmt/ranges.h>

#include "engine/config/json_reader.h"
#include "prometheus/query_value.h"

namespace cpa::config {
namespace {

constexpr std::pair<MetricSourceType, std::string_view> kSourceTypes[] = {
    {MetricSourceType::kResource, "Resource"},
    {MetricSourceType::kContainerResource, "ContainerResource"},
    {MetricSourceType::kPods, "Pods"},
    {MetricSourceType::kObject, "Object"},
    {MetricSourceType::kExternal, "External"},
};

constexpr std::pair<MetricTargetType, std::string_view> kTargetTypes[] = {
    {MetricTargetType::kUtilization, "Utilization"},
    {MetricTargetType::kValue, "Value"},
    {MetricTargetType::kAverageValue, "AverageValue"},
};

std::optional<Quantity> ReadQuantity(JsonReader& r, std::string_view key) {
  const JsonValue* v = r.Get(key);
  if (v == nullptr) return std::nullopt;
  std::string text;
  if (v->IsString()) {
    text.assign(v->GetString(), v->GetStringLength());
  } else if (v->IsNumber()) {
    text = ToJson(*v);
  } else {
    r.issues().Error(r.PathOf(key),
                     fmt::format("must be a quantity such as \"500m\", got {}", Describe(*v)));
    return std::nullopt;
  }
  auto q = Quantity::Parse(text);
  if (!q) {
    r.issues().Error(r.PathOf(key), q.error().message);
    return std::nullopt;
  }
  return *q;
}

std::optional<MetricTarget> ParseTarget(JsonReader& parent, std::string_view key,
                                        std::initializer_list<MetricTargetType> allowed,
                                        TargetValues target_values) {
  const bool required = target_values == TargetValues::kRequired;
  parent.Required(key);
  const JsonValue* v = parent.Get(key);
  if (v == nullptr) return std::nullopt;
  JsonReader r(*v, parent.PathOf(key), parent.issues());
  if (!r.Valid()) return std::nullopt;
  size_t errors_before = r.issues().errors.size();
  MetricTarget target;
  std::string type;
  r.Required("type");
  r.String("type", type);
  target.value = ReadQuantity(r, "value");
  target.average_value = ReadQuantity(r, "averageValue");
  if (r.Has("averageUtilization")) {
    int u = 0;
    r.Int("averageUtilization", u);
    target.average_utilization = u;
  } else {
    r.Get("averageUtilization");
  }
  r.Finish();
  if (type.empty()) return std::nullopt;
  bool known = false;
  for (auto [t, name] : kTargetTypes) {
    if (name == type) {
      target.type = t;
      known = true;
    }
  }
  std::vector<std::string_view> allowed_names;
  for (auto t : allowed) allowed_names.push_back(MetricTargetTypeName(t));
  if (!known || std::find(allowed.begin(), allowed.end(), target.type) == allowed.end()) {
    r.issues().Error(r.PathOf("type"), fmt::format("must be one of {} here, got \"{}\"",
                                                   fmt::join(allowed_names, ", "), type));
    return std::nullopt;
  }
  switch (target.type) {
    case MetricTargetType::kUtilization:
      if (!target.average_utilization) {
        if (required && !r.Has("averageUtilization"))
          r.issues().Error(r.PathOf("averageUtilization"), "is required for type Utilization");
      } else if (*target.average_utilization <= 0) {
        r.issues().Error(r.PathOf("averageUtilization"),
                         fmt::format("must be > 0, got {}", *target.average_utilization));
      }
      break;
    case MetricTargetType::kValue:
      if (!target.value) {
        if (required && !r.Has("value"))
          r.issues().Error(r.PathOf("value"), "is required for type Value");
      } else if (target.value->MilliValue() <= 0) {
        r.issues().Error(r.PathOf("value"), "must be > 0");
      }
      break;
    case MetricTargetType::kAverageValue:
      if (!target.average_value) {
        if (required && !r.Has("averageValue"))
          r.issues().Error(r.PathOf("averageValue"), "is required for type AverageValue");
      } else if (target.average_value->MilliValue() <= 0) {
        r.issues().Error(r.PathOf("averageValue"), "must be > 0");
      }
      break;
  }
  if (r.issues().errors.size() != errors_before) return std::nullopt;
  return target;
}

std::optional<MetricIdentifier> ParseIdentifier(JsonReader& parent) {
  parent.Required("metric");
  const JsonValue* v = parent.Get("metric");
  if (v == nullptr) return std::nullopt;
  JsonReader r(*v, parent.PathOf("metric"), parent.issues());
  if (!r.Valid()) return std::nullopt;
  MetricIdentifier id;
  r.Required("name");
  r.String("name", id.name);
  if (const JsonValue* s = r.Get("selector")) {
    id.selector = ParseLabelSelector(*s, r.PathOf("selector"), r.issues());
  }
  r.Finish();
  if (id.name.empty()) return std::nullopt;
  return id;
}

void TargetToJson(const MetricTarget& t, JsonValue& out, JsonAllocator& a) {
  out.SetObject();
  out.AddMember("type", JsonString(MetricTargetTypeName(t.type), a), a);
  if (t.average_utilization) out.AddMember("averageUtilization", *t.average_utilization, a);
  if (t.value) out.AddMember("value", JsonString(t.value->ToString(), a), a);
  if (t.average_value) out.AddMember("averageValue", JsonString(t.average_value->ToString(), a), a);
}

JsonValue SelectorToJson(const LabelSelector& s, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  if (!s.match_labels.empty()) {
    JsonValue labels(rapidjson::kObjectType);
    for (const auto& [k, v] : s.match_labels) {
      labels.AddMember(JsonString(k, a), JsonString(v, a), a);
    }
    out.AddMember("matchLabels", labels, a);
  }
  if (!s.match_expressions.empty()) {
    JsonValue exprs(rapidjson::kArrayType);
    for (const auto& e : s.match_expressions) {
      JsonValue item(rapidjson::kObjectType);
      item.AddMember("key", JsonString(e.key, a), a);
      item.AddMember("operator", JsonString(e.op, a), a);
      JsonValue values(rapidjson::kArrayType);
      for (const auto& v : e.values) values.PushBack(JsonString(v, a), a);
      item.AddMember("values", values, a);
      exprs.PushBack(item, a);
    }
    out.AddMember("matchExpressions", exprs, a);
  }
  return out;
}

JsonValue IdentifierToJson(const MetricIdentifier& id, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  out.AddMember("name", JsonString(id.name, a), a);
  if (id.selector) out.AddMember("selector", SelectorToJson(*id.selector, a), a);
  return out;
}

std::optional<MetricSpec> ParsePrometheusSpec(JsonReader& r, ConfigIssues& issues) {
  r.Required("prometheus");
  const JsonValue* v = r.Get("prometheus");
  if (v == nullptr) return std::nullopt;
  JsonReader br(*v, r.PathOf("prometheus"), issues);
  if (!br.Valid()) return std::nullopt;
  const size_t errors_before = issues.errors.size();
  PrometheusMetricSource src;
  br.String("name", src.name);
  br.Required("query");
  br.String("query", src.query);
  if (br.Has("emptyResultValue")) {
    double d = 0;
    br.Double("emptyResultValue", d);
    src.empty_result_value = d;
  } else {
    br.Get("emptyResultValue");
  }
  br.String("aggregation", src.aggregation);
  auto target =
      ParseTarget(br, "target", {MetricTargetType::kValue, MetricTargetType::kAverageValue},
                  TargetValues::kRequired);
  br.Finish();
  if (br.Has("query")) {
    if (src.query.empty()) {
      issues.Error(br.PathOf("query"), "must not be empty");
    } else if (auto names = prometheus::Placeholders(src.query); !names) {
      issues.Error(br.PathOf("query"), names.error().message);
    }
  }
  if (src.name.empty()) issues.Error(br.PathOf("name"), "must not be empty");
  if (!prometheus::ParseAggregation(src.aggregation)) {
    issues.Error(
        br.PathOf("aggregation"),
        fmt::format("must be one of none, sum, avg, max, min, got \"{}\"", src.aggregation));
  }
  if (issues.errors.size() != errors_before || !target) return std::nullopt;
  src.target = *target;
  MetricSpec spec;
  spec.type = MetricSourceType::kExternal;
  spec.external = ExternalMetricSource{MetricIdentifier{src.name, std::nullopt}, src.target};
  spec.prometheus = std::move(src);
  return spec;
}

}  // namespace

std::string_view MetricTargetTypeName(MetricTargetType type) {
  for (auto [t, name] : kTargetTypes) {
    if (t == type) return name;
  }
  return "Utilization";
}

std::string_view MetricSourceTypeName(MetricSourceType type) {
  for (auto [t, name] : kSourceTypes) {
    if (t == type) return name;
  }
  return "Resource";
}

std::string LabelSelector::ToSelectorString() const {
  std::vector<std::string> parts;
  for (const auto& [k, v] : match_labels) parts.push_back(k + "=" + v);
  for (const auto& e : match_expressions) {
    if (e.op == "In" || e.op == "NotIn") {
      parts.push_back(fmt::format("{} {} ({})", e.key, e.op == "In" ? "in" : "notin",
                                  fmt::join(e.values, ",")));
    } else if (e.op == "Exists") {
      parts.push_back(e.key);
    } else if (e.op == "DoesNotExist") {
      parts.push_back("!" + e.key);
    }
  }
  return fmt::format("{}", fmt::join(parts, ","));
}

std::optional<LabelSelector> ParseLabelSelector(const JsonValue& value, const std::string& path,
                                                ConfigIssues& issues) {
  JsonReader r(value, path, issues);
  if (!r.Valid()) return std::nullopt;
  LabelSelector selector;
  r.StringMap("matchLabels", selector.match_labels);
  if (const JsonValue* exprs = r.Get("matchExpressions")) {
    if (!exprs->IsArray()) {
      issues.Error(r.PathOf("matchExpressions"), "must be a list");
    } else {
      for (rapidjson::SizeType i = 0; i < exprs->Size(); ++i) {
        std::string item_path = fmt::format("{}[{}]", r.PathOf("matchExpressions"), i);
        JsonReader er((*exprs)[i], item_path, issues);
        if (!er.Valid()) continue;
        LabelSelectorRequirement req;
        er.Required("key");
        er.Required("operator");
        er.String("key", req.key);
        er.String("operator", req.op);
        er.StringList("values", req.values);
        er.Finish();
        if (req.op == "In" || req.op == "NotIn") {
          if (req.values.empty()) {
            issues.Error(item_path + ".values", "must be non-empty for operator " + req.op);
          }
        } else if (req.op == "Exists" || req.op == "DoesNotExist") {
          if (!req.values.empty()) {
            issues.Error(item_path + ".values", "must be empty for operator " + req.op);
          }
        } else if (!req.op.empty()) {
          issues.Error(
              item_path + ".operator",
              fmt::format("must be In, NotIn, Exists or DoesNotExist, got \"{}\"", req.op));
        }
        selector.match_expressions.push_back(std::move(req));
      }
    }
  }
  r.Finish();
  return selector;
}

std::optional<MetricSpec> ParseMetricSpec(const JsonValue& value, const std::string& path,
                                          ConfigIssues& issues, TargetValues target_values) {
  JsonReader r(value, path, issues);
  if (!r.Valid()) return std::nullopt;
  size_t errors_before = issues.errors.size();
  std::string type;
  r.Required("type");
  r.String("type", type);
  r.Known({"resource", "containerResource", "pods", "object", "external", "prometheus"});
  if (type == "Prometheus") {
    auto spec = ParsePrometheusSpec(r, issues);
    r.Finish();
    if (issues.errors.size() != errors_before) return std::nullopt;
    return spec;
  }
  r.Finish();
  MetricSpec spec;
  bool known = false;
  for (auto [t, name] : kSourceTypes) {
    if (name == type) {
      spec.type = t;
      known = true;
    }
  }
  if (!known) {
    if (!type.empty()) {
      issues.Error(r.PathOf("type"),
                   fmt::format("must be one of Resource, ContainerResource, Pods, Object, "
                               "External, Prometheus, got \"{}\"",
                               type));
    }
    return std::nullopt;
  }
  using T = MetricTargetType;
  auto block = [&](std::string_view key) -> std::optional<JsonReader> {
    r.Required(key);
    const JsonValue* v = r.Get(key);
    if (v == nullptr) return std::nullopt;
    JsonReader br(*v, r.PathOf(key), issues);
    if (!br.Valid()) return std::nullopt;
    return br;
  };
  switch (spec.type) {
    case MetricSourceType::kResource:
      if (auto br = block("resource")) {
        ResourceMetricSource src;
        br->Required("name");
        br->String("name", src.name);
        auto target =
            ParseTarget(*br, "target", {T::kUtilization, T::kAverageValue}, target_values);
        br->Finish();
        if (target) src.target = *target;
        spec.resource = src;
      }
      break;
    case MetricSourceType::kContainerResource:
      if (auto br = block("containerResource")) {
        ContainerResourceMetricSource src;
        br->Required("name");
        br->Required("container");
        br->String("name", src.name);
        br->String("container", src.container);
        auto target =
            ParseTarget(*br, "target", {T::kUtilization, T::kAverageValue}, target_values);
        br->Finish();
        if (target) src.target = *target;
        spec.container_resource = src;
      }
      break;
    case MetricSourceType::kPods:
      if (auto br = block("pods")) {
        PodsMetricSource src;
        auto id = ParseIdentifier(*br);
        auto target = ParseTarget(*br, "target", {T::kAverageValue}, target_values);
        br->Finish();
        if (id) src.metric = *id;
        if (target) src.target = *target;
        spec.pods = src;
      }
      break;
    case MetricSourceType::kObject:
      if (auto br = block("object")) {
        ObjectMetricSource src;
        br->Required("describedObject");
        if (const JsonValue* d = br->Get("describedObject")) {
          JsonReader dr(*d, br->PathOf("describedObject"), issues);
          if (dr.Valid()) {
            dr.Required("kind");
            dr.Required("name");
            dr.String("apiVersion", src.described_object.api_version);
            dr.String("kind", src.described_object.kind);
            dr.String("name", src.described_object.name);
            dr.Finish();
          }
        }
        auto id = ParseIdentifier(*br);
        auto target = ParseTarget(*br, "target", {T::kValue, T::kAverageValue}, target_values);
        br->Finish();
        if (id) src.metric = *id;
        if (target) src.target = *target;
        spec.object = src;
      }
      break;
    case MetricSourceType::kExternal:
      if (auto br = block("external")) {
        ExternalMetricSource src;
        auto id = ParseIdentifier(*br);
        auto target = ParseTarget(*br, "target", {T::kValue, T::kAverageValue}, target_values);
        br->Finish();
        if (id) src.metric = *id;
        if (target) src.target = *target;
        spec.external = src;
      }
      break;
  }
  if (issues.errors.size() != errors_before) return std::nullopt;
  return spec;
}

JsonValue MetricSpecToJson(const MetricSpec& spec, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  if (spec.prometheus) {
    const auto& p = *spec.prometheus;
    out.AddMember("type", "Prometheus", a);
    JsonValue b(rapidjson::kObjectType);
    b.AddMember("name", JsonString(p.name, a), a);
    b.AddMember("query", JsonString(p.query, a), a);
    JsonValue t;
    TargetToJson(p.target, t, a);
    b.AddMember("target", t, a);
    if (p.empty_result_value) b.AddMember("emptyResultValue", *p.empty_result_value, a);
    b.AddMember("aggregation", JsonString(p.aggregation, a), a);
    out.AddMember("prometheus", b, a);
    return out;
  }
  out.AddMember("type", JsonString(MetricSourceTypeName(spec.type), a), a);
  auto target = [&](const MetricTarget& t) {
    JsonValue v;
    TargetToJson(t, v, a);
    return v;
  };
  if (spec.resource) {
    JsonValue b(rapidjson::kObjectType);
    b.AddMember("name", JsonString(spec.resource->name, a), a);
    b.AddMember("target", target(spec.resource->target), a);
    out.AddMember("resource", b, a);
  }
  if (spec.container_resource) {
    JsonValue b(rapidjson::kObjectType);
    b.AddMember("name", JsonString(spec.container_resource->name, a), a);
    b.AddMember("container", JsonString(spec.container_resource->container, a), a);
    b.AddMember("target", target(spec.container_resource->target), a);
    out.AddMember("containerResource", b, a);
  }
  if (spec.pods) {
    JsonValue b(rapidjson::kObjectType);
    b.AddMember("metric", IdentifierToJson(spec.pods->metric, a), a);
    b.AddMember("target", target(spec.pods->target), a);
    out.AddMember("pods", b, a);
  }
  if (spec.object) {
    JsonValue b(rapidjson::kObjectType);
    JsonValue d(rapidjson::kObjectType);
    d.AddMember("apiVersion", JsonString(spec.object->described_object.api_version, a), a);
    d.AddMember("kind", JsonString(spec.object->described_object.kind, a), a);
    d.AddMember("name", JsonString(spec.object->described_object.name, a), a);
    b.AddMember("describedObject", d, a);
    b.AddMember("metric", IdentifierToJson(spec.object->metric, a), a);
    b.AddMember("target", target(spec.object->target), a);
    out.AddMember("object", b, a);
  }
  if (spec.external) {
    JsonValue b(rapidjson::kObjectType);
    b.AddMember("metric", IdentifierToJson(spec.external->metric, a), a);
    b.AddMember("target", target(spec.external->target), a);
    out.AddMember("external", b, a);
  }
  return out;
}

}  // namespace cpa::config
