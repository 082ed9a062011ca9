// Kubernetes label selectors: the string form of `?labelSelector=` and Scale `status.selector`
// (equality-based `a=b,c!=d` and set-based `e in (f,g)`, `h notin (i)`, `j`, `!k`, `n>1`), and
// the structured form of a workload's `spec.selector` (matchLabels + matchExpressions).
//
// Semantics follow k8s.io/apimachinery/pkg/labels: requirements are ANDed; `!=` and `notin` also
// match objects without the key; the empty selector matches everything. ToString() renders the
// canonical form the API server writes (requirements sorted by key, set values sorted).
// Immutable values; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace cpa::kube {

class LabelSelector {
 public:
  enum class Op {
    kEquals,
    kDoubleEquals,
    kNotEquals,
    kIn,
    kNotIn,
    kExists,
    kDoesNotExist,
    kGt,
    kLt
  };
  struct Requirement {
    std::string key;
    Op op = Op::kExists;
    std::vector<std::string> values;  // sorted, unique
    bool Matches(const std::map<std::string, std::string>& labels) const;
    std::string ToString() const;
  };

  // The empty selector (matches everything).
  LabelSelector() = default;

  // Parses the string form. kInvalidArgument names the offending position.
  static Result<LabelSelector> Parse(std::string_view text);
  // From a metav1.LabelSelector object ({matchLabels, matchExpressions}). A null/absent
  // selector is the empty selector here; callers decide whether that is allowed.
  static Result<LabelSelector> FromJson(const JsonValue& selector);
  // From a plain map of labels (a ReplicationController's spec.selector).
  static LabelSelector FromLabels(const std::map<std::string, std::string>& labels);

  bool Matches(const std::map<std::string, std::string>& labels) const;
  // `labels` is an object of string values (metadata.labels); absent/non-object = no labels.
  bool Matches(const JsonValue* labels) const;

  std::string ToString() const;
  bool Empty() const { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  void Add(Requirement requirement);
  std::vector<Requirement> requirements_;  // sorted by key
};

// metadata.labels (or any string map) of a JSON object as a std::map.
std::map<std::string, std::string> LabelsOf(const JsonValue* labels);

}  // namespace cpa::kube
