// deploy/: the install manifests parse, the operator's RBAC covers every rule it grants (the API
// server refuses to let it create a Role with permissions it does not hold), and the example
// resources are valid and provision against kube/fake.
#include <gtest/gtest.h>

#include <filesystem>

#include "operator/desired.h"
#include "operator/reconciler.h"
#include "tests/operator/operator_test_util.h"

namespace cpa::op {
namespace {

using testing::ConditionOf;
using testing::FakeCluster;
using testing::ReadFile;
using testing::SourceDir;

// The documents of a multi-document YAML file.
std::vector<JsonDocument> Documents(const std::string& path) {
  std::string text = ReadFile(path);
  std::vector<JsonDocument> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t next = text.find("\n---\n", pos);
    std::string part = text.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    pos = next == std::string::npos ? text.size() + 1 : next + 5;
    auto doc = ParseYaml(part);
    EXPECT_TRUE(doc.has_value()) << path << ": " << (doc ? "" : doc.error().ToString());
    if (doc && doc->IsObject()) out.push_back(std::move(*doc));
  }
  return out;
}

const JsonValue* FindKind(const std::vector<JsonDocument>& docs, std::string_view kind) {
  for (const auto& d : docs) {
    if (StringMember(d, "kind") == kind) return &d;
  }
  return nullptr;
}

bool Contains(const JsonValue& list, std::string_view value) {
  for (const auto& v : list.GetArray()) {
    if (v.IsString() && (v.GetString() == value || std::string_view(v.GetString()) == "*")) {
      return true;
    }
  }
  return false;
}

// True when `rules` allow verb on group/resource.
bool Allows(const JsonValue& rules, std::string_view group, std::string_view resource,
            std::string_view verb) {
  for (const auto& r : rules.GetArray()) {
    if (Contains(r["apiGroups"], group) && Contains(r["resources"], resource) &&
        Contains(r["verbs"], verb)) {
      return true;
    }
  }
  return false;
}

CpaSpec EverythingSpec() {
  auto doc = ParseYaml(
      "metadata: {name: s, namespace: ns, uid: u}\n"
      "spec:\n  template: {spec: {containers: [{name: a}]}}\n"
      "  scaleTargetRef: {kind: Deployment, name: web}\n"
      "  roleRequiresMetricsServer: true\n  roleRequiresArgoRollouts: true\n");
  return std::move(*ParseCpa(*doc));
}

void ExpectCoversGrantedRules(const JsonValue& role, const std::string& where) {
  JsonDocument granted = DesiredRole(EverythingSpec());
  for (const auto& rule : granted["rules"].GetArray()) {
    for (const auto& g : rule["apiGroups"].GetArray()) {
      for (const auto& res : rule["resources"].GetArray()) {
        for (const auto& verb : rule["verbs"].GetArray()) {
          EXPECT_TRUE(Allows(role["rules"], g.GetString(), res.GetString(), verb.GetString()))
              << where << " lacks " << verb.GetString() << " on " << g.GetString() << "/"
              << res.GetString();
        }
      }
    }
  }
  // And what the operator itself does.
  for (auto [group, resource, verb] :
       {std::tuple{"custompodautoscaler.com", "custompodautoscalers", "watch"},
        {"custompodautoscaler.com", "custompodautoscalers/status", "patch"},
        {"custompodautoscaler.com", "custompodautoscalers/finalizers", "update"},
        {"apps", "deployments", "create"},
        {"apps", "deployments", "update"},
        {"apps", "deployments", "watch"},
        {"", "serviceaccounts", "create"},
        {"", "persistentvolumeclaims", "create"},
        {"rbac.authorization.k8s.io", "roles", "update"},
        {"rbac.authorization.k8s.io", "rolebindings", "delete"},
        {"", "pods", "delete"},
        {"coordination.k8s.io", "leases", "update"},
        {"events.k8s.io", "events", "create"}}) {
    EXPECT_TRUE(Allows(role["rules"], group, resource, verb))
        << where << " lacks " << verb << " on " << group << "/" << resource;
  }
}

TEST(ManifestsTest, ClusterInstallHoldsEveryPermissionTheOperatorUsesOrGrants) {
  auto docs = Documents(SourceDir() + "/deploy/cluster/operator.yaml");
  const JsonValue* role = FindKind(docs, "ClusterRole");
  ASSERT_NE(role, nullptr);
  ExpectCoversGrantedRules(*role, "ClusterRole");
  ASSERT_NE(FindKind(docs, "ClusterRoleBinding"), nullptr);
  const JsonValue* deployment = FindKind(docs, "Deployment");
  ASSERT_NE(deployment, nullptr);
  EXPECT_EQ(StringMember((*deployment)["spec"]["template"]["spec"], "serviceAccountName"),
            "cpa-operator");
}

TEST(ManifestsTest, NamespacedInstallUsesARoleWithTheSameRules) {
  auto docs = Documents(SourceDir() + "/deploy/namespaced/operator.yaml");
  EXPECT_EQ(FindKind(docs, "ClusterRole"), nullptr);
  EXPECT_EQ(FindKind(docs, "ClusterRoleBinding"), nullptr);
  const JsonValue* role = FindKind(docs, "Role");
  ASSERT_NE(role, nullptr);
  ExpectCoversGrantedRules(*role, "Role");
  const JsonValue* deployment = FindKind(docs, "Deployment");
  ASSERT_NE(deployment, nullptr);
  const JsonValue& env = (*deployment)["spec"]["template"]["spec"]["containers"][0]["env"];
  bool watch_own_namespace = false;
  for (const auto& e : env.GetArray()) {
    if (StringMember(e, "name") == "WATCH_NAMESPACE")
      watch_own_namespace = e.HasMember("valueFrom");
  }
  EXPECT_TRUE(watch_own_namespace);
}

TEST(ManifestsTest, ExamplesAreValidAndProvision) {
  FakeCluster cluster;
  ManualClock clock;
  Reconciler reconciler(cluster.client(), clock);
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() + "/deploy/examples")) {
    for (auto& doc : Documents(entry.path().string())) {
      ++examples;
      auto& a = doc.GetAllocator();
      doc["metadata"].AddMember("namespace", "default", a);
      doc["spec"]["scaleTargetRef"]["name"].SetString("web");
      doc["metadata"].AddMember("uid", "x", a);
      ASSERT_TRUE(ParseCpa(doc).has_value()) << entry.path();
      doc["metadata"].RemoveMember("uid");
      ASSERT_TRUE(cluster.server().CreateObject(doc).has_value()) << entry.path();
      const std::string name = MetadataString(doc, "name");
      ASSERT_TRUE(reconciler.Reconcile("default", name).has_value()) << name;
      EXPECT_EQ(ConditionOf(cluster.Cpa(name), "Provisioned").status, "True") << name;
    }
  }
  EXPECT_GE(examples, 3);
}

}  // namespace
}  // namespace cpa::op
