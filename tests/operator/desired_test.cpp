#include "operator/desired.h"

#include <gtest/gtest.h>

#include "operator/names.h"

namespace cpa::op {
namespace {

CpaSpec Spec(const std::string& extra = "") {
  auto doc = ParseYaml(
      "metadata: {name: s, namespace: ns, uid: u1}\n"
      "spec:\n"
      "  template: {spec: {containers: [{name: a, env: [{name: interval, value: '1'}, {name: X, "
      "value: x}]}, {name: b}]}}\n"
      "  scaleTargetRef: {kind: Deployment, name: web}\n"
      "  config: [{name: interval, value: '5000'}, {name: namespace, value: other}]\n" +
      extra);
  EXPECT_TRUE(doc.has_value());
  auto spec = ParseCpa(*doc);
  EXPECT_TRUE(spec.has_value()) << spec.error().ToString();
  return std::move(*spec);
}

std::vector<std::string> EnvNames(const JsonValue& container) {
  std::vector<std::string> out;
  for (const auto& e : container["env"].GetArray()) out.push_back(StringMember(e, "name"));
  return out;
}

TEST(DesiredTest, EnvIsInjectedIntoEveryContainerAndConfigWins) {
  JsonDocument dep = DesiredDeployment(Spec());
  const JsonValue& containers = dep["spec"]["template"]["spec"]["containers"];
  EXPECT_EQ(EnvNames(containers[0]),
            (std::vector<std::string>{"X", "scaleTargetRef", "CPA_RESOURCE_NAME", "interval",
                                      "namespace"}));
  EXPECT_EQ(
      EnvNames(containers[1]),
      (std::vector<std::string>{"scaleTargetRef", "CPA_RESOURCE_NAME", "interval", "namespace"}));
  EXPECT_EQ(StringMember(containers[0]["env"][2], "value"), "s");  // the resource's name
  EXPECT_EQ(StringMember(containers[0]["env"][3], "value"), "5000");
  EXPECT_EQ(StringMember(containers[0]["env"][4], "value"), "other");
}

TEST(DesiredTest, TheSpecHashChangesWithTheSpecOnly) {
  std::string h1 =
      StringMember(DesiredDeployment(Spec())["metadata"]["annotations"], kSpecHashAnnotation);
  std::string h2 =
      StringMember(DesiredDeployment(Spec())["metadata"]["annotations"], kSpecHashAnnotation);
  EXPECT_EQ(h1, h2);
  EXPECT_EQ(h1.size(), 16u);
  CpaSpec changed = Spec();
  changed.config[0].value = "6000";
  EXPECT_NE(
      StringMember(DesiredDeployment(changed)["metadata"]["annotations"], kSpecHashAnnotation), h1);
  CpaSpec paused = Spec();
  paused.paused_replicas = 2;
  JsonDocument dep = DesiredDeployment(paused);
  EXPECT_EQ(dep["spec"]["replicas"].GetInt(), 0);
}

TEST(DesiredTest, MergeOwnedIgnoresServerFieldsAndKeepsOtherOwners) {
  CpaSpec spec = Spec();
  JsonDocument desired = DesiredRole(spec);
  JsonDocument actual;
  actual.CopyFrom(desired, actual.GetAllocator());
  auto& a = actual.GetAllocator();
  actual["metadata"].AddMember("resourceVersion", "42", a);
  actual["metadata"].AddMember("uid", "abc", a);
  actual["metadata"]["labels"].AddMember("extra", "kept", a);
  EXPECT_FALSE(MergeOwned(ChildKind::kRole, actual, desired, MergeMode::kProvisioned).has_value());

  actual["rules"].SetArray();
  auto merged = MergeOwned(ChildKind::kRole, actual, desired, MergeMode::kProvisioned);
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ((*merged)["rules"], desired["rules"]);
  EXPECT_EQ(MetadataString(*merged, "resourceVersion"), "42");
  EXPECT_EQ(StringMember((*merged)["metadata"]["labels"], "extra"), "kept");
  // Adopted: rules are the user's.
  EXPECT_FALSE(MergeOwned(ChildKind::kRole, actual, desired, MergeMode::kAdopted).has_value());
}

TEST(DesiredTest, DeploymentComparesTheHashNotDefaultedFields) {
  CpaSpec spec = Spec();
  JsonDocument desired = DesiredDeployment(spec);
  JsonDocument actual;
  actual.CopyFrom(desired, actual.GetAllocator());
  auto& a = actual.GetAllocator();
  // What an API server adds.
  actual["spec"].AddMember("revisionHistoryLimit", 10, a);
  actual["spec"]["template"]["spec"].AddMember("restartPolicy", "Always", a);
  actual.AddMember("status", JsonValue(rapidjson::kObjectType), a);
  EXPECT_FALSE(MergeOwned(ChildKind::kDeployment, actual, desired, MergeMode::kProvisioned));
  spec.config[0].value = "1";
  auto merged =
      MergeOwned(ChildKind::kDeployment, actual, DesiredDeployment(spec), MergeMode::kProvisioned);
  ASSERT_TRUE(merged.has_value());
  EXPECT_FALSE((*merged)["spec"].HasMember("revisionHistoryLimit"));
}

TEST(DesiredTest, ControllerOfReadsTheControllerReference) {
  JsonDocument sa = DesiredServiceAccount(Spec());
  auto ref = ControllerOf(sa);
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->uid, "u1");
  EXPECT_EQ(ref->kind, kCpaKind);
  const JsonValue& owner = sa["metadata"]["ownerReferences"][0];
  EXPECT_TRUE(owner["blockOwnerDeletion"].GetBool());
}

TEST(DesiredTest, PersistentVolumeClaimOnlyWithStorage) {
  EXPECT_FALSE(Desired(ChildKind::kPersistentVolumeClaim, Spec()).has_value());
  auto pvc = Desired(ChildKind::kPersistentVolumeClaim, Spec("  storage: {}\n"));
  ASSERT_TRUE(pvc.has_value());
  EXPECT_EQ(StringMember((*pvc)["spec"]["resources"]["requests"], "storage"), "1Gi");
}

}  // namespace
}  // namespace cpa::op
