#include "operator/reconciler.h"

#include <gtest/gtest.h>

#include "operator/names.h"
#include "tests/operator/operator_test_util.h"

namespace cpa::op {
namespace {

using testing::ConditionOf;
using testing::CpaYaml;
using testing::FakeCluster;

std::string Env(const JsonValue& deployment, std::string_view name) {
  const JsonValue& c = deployment["spec"]["template"]["spec"]["containers"][0];
  for (const auto& e : c["env"].GetArray()) {
    if (StringMember(e, "name") == name) return StringMember(e, "value");
  }
  return "<unset>";
}

bool ControlledBy(const JsonValue& object, const JsonValue& cr) {
  auto ref = ControllerOf(object);
  return ref && ref->uid == MetadataString(cr, "uid") && ref->kind == "CustomPodAutoscaler" &&
         ref->name == MetadataString(cr, "name");
}

std::string Rv(const JsonValue& object) { return MetadataString(object, "resourceVersion"); }

bool HasRuleFor(const JsonValue& role, std::string_view group) {
  for (const auto& rule : role["rules"].GetArray()) {
    for (const auto& g : rule["apiGroups"].GetArray()) {
      if (g.GetString() == group) return true;
    }
  }
  return false;
}

class ReconcilerTest : public ::testing::Test {
 protected:
  Result<ReconcileResult> Reconcile(const std::string& name = "scaler") {
    return reconciler_.Reconcile("default", name);
  }
  // Reconciles until a pass changes nothing (at most a few passes).
  void Converge(const std::string& name = "scaler") {
    for (int i = 0; i < 5; ++i) {
      int64_t before = cluster_.Writes();
      auto r = Reconcile(name);
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
      if (cluster_.Writes() == before) return;
    }
    FAIL() << "did not converge";
  }

  FakeCluster cluster_;
  ManualClock clock_{FromUnixMillis(1'800'000'000'000)};
  Reconciler reconciler_{cluster_.client(), clock_, {.identity = "test-operator"}};
};

TEST_F(ReconcilerTest, CreateProvisionsEveryChildWithOwnerReferenceEnvAndRules) {
  cluster_.CreateCpa(CpaYaml("scaler"));
  auto result = Reconcile();
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->outcome, ReconcileResult::Outcome::kDone);
  EXPECT_EQ(result->actions,
            (std::vector<std::string>{"created ServiceAccount/scaler", "created Role/scaler",
                                      "created RoleBinding/scaler", "created Deployment/scaler"}));
  JsonDocument cr = cluster_.Cpa("scaler");
  for (auto [api, kind] : {std::pair{"v1", "ServiceAccount"},
                           {"rbac.authorization.k8s.io/v1", "Role"},
                           {"rbac.authorization.k8s.io/v1", "RoleBinding"},
                           {"apps/v1", "Deployment"}}) {
    JsonDocument child = cluster_.Get(api, kind, "scaler");
    EXPECT_TRUE(ControlledBy(child, cr)) << kind;
    EXPECT_EQ(child["metadata"]["labels"][std::string(kOwnedByLabel).c_str()], "scaler") << kind;
  }
  JsonDocument dep = cluster_.Get("apps/v1", "Deployment", "scaler");
  EXPECT_EQ(dep["spec"]["replicas"].GetInt(), 1);
  EXPECT_EQ(StringMember(dep["spec"]["strategy"], "type"), "Recreate");
  EXPECT_EQ(Env(dep, "scaleTargetRef"),
            R"({"apiVersion":"apps/v1","kind":"Deployment","name":"web"})");
  EXPECT_EQ(Env(dep, "namespace"), "default");
  EXPECT_EQ(Env(dep, "interval"), "10000");
  EXPECT_EQ(Env(dep, "minReplicas"), "1");
  EXPECT_EQ(Env(dep, "USER_VAR"), "kept");
  EXPECT_EQ(StringMember(dep["spec"]["template"]["spec"], "serviceAccountName"), "scaler");
  EXPECT_EQ(StringMember(dep["spec"]["template"]["metadata"]["labels"], "team"), "infra");

  JsonDocument role = cluster_.Get("rbac.authorization.k8s.io/v1", "Role", "scaler");
  EXPECT_TRUE(HasRuleFor(role, "apps"));
  EXPECT_TRUE(HasRuleFor(role, ""));
  EXPECT_FALSE(HasRuleFor(role, "metrics.k8s.io"));
  EXPECT_FALSE(HasRuleFor(role, "argoproj.io"));
  JsonDocument binding = cluster_.Get("rbac.authorization.k8s.io/v1", "RoleBinding", "scaler");
  EXPECT_EQ(StringMember(binding["roleRef"], "name"), "scaler");
  EXPECT_EQ(StringMember(binding["subjects"][0], "name"), "scaler");

  // Status: provisioned, observed generation, ready once the Deployment is available (the fake
  // starts its pod at once).
  cr = cluster_.Cpa("scaler");
  EXPECT_EQ(cr["status"]["observedGeneration"].GetInt64(), 1);
  EXPECT_EQ(ConditionOf(cr, "Provisioned").status, "True");
  EXPECT_EQ(ConditionOf(cr, "Paused").status, "False");
  EXPECT_EQ(ConditionOf(cr, "Ready").status, "True") << ConditionOf(cr, "Ready").message;
  // Events were recorded for the creations.
  EXPECT_GE(cluster_.server().ListObjects("events.k8s.io/v1", "Event", "default").size(), 4u);
}

TEST_F(ReconcilerTest, ResyncAndNoOpUpdateOfAnUnchangedCrWriteNothing) {
  cluster_.CreateCpa(CpaYaml("scaler"));
  Converge();
  const int64_t writes = cluster_.Writes();
  for (int i = 0; i < 3; ++i) {
    auto r = Reconcile();
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->actions.empty());
  }
  EXPECT_EQ(cluster_.Writes(), writes);

  // A no-op update of the CR (same spec, a label added) changes nothing in the cluster.
  cluster_.EditCpa("scaler", [](JsonValue& cr, JsonAllocator& a) {
    cr["metadata"].AddMember("labels", JsonValue(rapidjson::kObjectType), a);
    cr["metadata"]["labels"].AddMember("note", "touched", a);
  });
  const int64_t after_edit = cluster_.Writes();
  JsonDocument dep_before = cluster_.Get("apps/v1", "Deployment", "scaler");
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->actions.empty());
  EXPECT_EQ(cluster_.Writes(), after_edit);
  EXPECT_EQ(Rv(cluster_.Get("apps/v1", "Deployment", "scaler")), Rv(dep_before));
}

TEST_F(ReconcilerTest, ConfigChangeUpdatesOnlyTheDeployment) {
  cluster_.CreateCpa(CpaYaml("scaler"));
  Converge();
  std::string sa = Rv(cluster_.Get("v1", "ServiceAccount", "scaler"));
  std::string role = Rv(cluster_.Get("rbac.authorization.k8s.io/v1", "Role", "scaler"));
  std::string rb = Rv(cluster_.Get("rbac.authorization.k8s.io/v1", "RoleBinding", "scaler"));
  std::string hash =
      StringMember(cluster_.Get("apps/v1", "Deployment", "scaler")["metadata"]["annotations"],
                   kSpecHashAnnotation);
  cluster_.EditCpa("scaler", [](JsonValue& cr, JsonAllocator&) {
    cr["spec"]["config"][0]["value"].SetString("20000");
  });
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->actions, std::vector<std::string>{"updated Deployment/scaler"});
  JsonDocument dep = cluster_.Get("apps/v1", "Deployment", "scaler");
  EXPECT_EQ(Env(dep, "interval"), "20000");
  EXPECT_NE(StringMember(dep["metadata"]["annotations"], kSpecHashAnnotation), hash);
  EXPECT_EQ(Rv(cluster_.Get("v1", "ServiceAccount", "scaler")), sa);
  EXPECT_EQ(Rv(cluster_.Get("rbac.authorization.k8s.io/v1", "Role", "scaler")), role);
  EXPECT_EQ(Rv(cluster_.Get("rbac.authorization.k8s.io/v1", "RoleBinding", "scaler")), rb);
  EXPECT_EQ(cluster_.Cpa("scaler")["status"]["observedGeneration"].GetInt64(), 2);
}

TEST_F(ReconcilerTest, TogglingRoleFlagsUpdatesTheRole) {
  cluster_.CreateCpa(CpaYaml("scaler"));
  Converge();
  std::string dep = Rv(cluster_.Get("apps/v1", "Deployment", "scaler"));
  cluster_.EditCpa("scaler", [](JsonValue& cr, JsonAllocator& a) {
    cr["spec"].AddMember("roleRequiresMetricsServer", true, a);
    cr["spec"].AddMember("roleRequiresArgoRollouts", true, a);
  });
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->actions, std::vector<std::string>{"updated Role/scaler"});
  JsonDocument role = cluster_.Get("rbac.authorization.k8s.io/v1", "Role", "scaler");
  EXPECT_TRUE(HasRuleFor(role, "metrics.k8s.io"));
  EXPECT_TRUE(HasRuleFor(role, "custom.metrics.k8s.io"));
  EXPECT_TRUE(HasRuleFor(role, "external.metrics.k8s.io"));
  EXPECT_TRUE(HasRuleFor(role, "argoproj.io"));
  EXPECT_EQ(Rv(cluster_.Get("apps/v1", "Deployment", "scaler")), dep);

  cluster_.EditCpa("scaler", [](JsonValue& cr, JsonAllocator&) {
    cr["spec"]["roleRequiresMetricsServer"] = false;
  });
  r = Reconcile();
  ASSERT_TRUE(r.has_value());
  role = cluster_.Get("rbac.authorization.k8s.io/v1", "Role", "scaler");
  EXPECT_FALSE(HasRuleFor(role, "metrics.k8s.io"));
  EXPECT_TRUE(HasRuleFor(role, "argoproj.io"));
}

TEST_F(ReconcilerTest, DriftedChildrenArePutBack) {
  cluster_.CreateCpa(CpaYaml("scaler"));
  Converge();
  ASSERT_TRUE(cluster_.server()
                  .MutateObject("rbac.authorization.k8s.io/v1", "Role", "default", "scaler",
                                [](JsonValue& role, JsonAllocator& a) {
                                  role["rules"].SetArray();
                                  (void)a;
                                })
                  .has_value());
  ASSERT_TRUE(cluster_.server()
                  .MutateObject("apps/v1", "Deployment", "default", "scaler",
                                [](JsonValue& d, JsonAllocator&) { d["spec"]["replicas"] = 3; })
                  .has_value());
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->actions,
            (std::vector<std::string>{"updated Role/scaler", "updated Deployment/scaler"}));
  EXPECT_TRUE(HasRuleFor(cluster_.Get("rbac.authorization.k8s.io/v1", "Role", "scaler"), "apps"));
  EXPECT_EQ(cluster_.Get("apps/v1", "Deployment", "scaler")["spec"]["replicas"].GetInt(), 1);
}

TEST_F(ReconcilerTest, DeletingTheCrGarbageCollectsTheChildren) {
  cluster_.CreateCpa(CpaYaml("scaler"));
  Converge();
  ASSERT_TRUE(
      cluster_.server().DeleteObject(kCpaApiVersion, kCpaKind, "default", "scaler").has_value());
  EXPECT_FALSE(cluster_.Exists("v1", "ServiceAccount", "scaler"));
  EXPECT_FALSE(cluster_.Exists("rbac.authorization.k8s.io/v1", "Role", "scaler"));
  EXPECT_FALSE(cluster_.Exists("rbac.authorization.k8s.io/v1", "RoleBinding", "scaler"));
  EXPECT_FALSE(cluster_.Exists("apps/v1", "Deployment", "scaler"));
  // A reconcile of the deleted CR does nothing (and creates nothing again).
  const int64_t writes = cluster_.Writes();
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, ReconcileResult::Outcome::kDone);
  EXPECT_EQ(cluster_.Writes(), writes);
  EXPECT_TRUE(cluster_.Exists("apps/v1", "Deployment", "web"));  // the target is not a child
}

TEST_F(ReconcilerTest, PauseHoldsTheTargetAndStopsTheAutoscalerThenResumes) {
  cluster_.CreateCpa(CpaYaml("scaler"));
  Converge();
  cluster_.EditCpa("scaler", [](JsonValue& cr, JsonAllocator& a) {
    JsonValue annotations(rapidjson::kObjectType);
    annotations.AddMember(JsonString(kPausedReplicasAnnotation, a), JsonValue("5"), a);
    cr["metadata"].AddMember("annotations", annotations, a);
  });
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->outcome, ReconcileResult::Outcome::kRequeue);
  EXPECT_EQ(cluster_.Get("apps/v1", "Deployment", "web")["spec"]["replicas"].GetInt(), 5);
  EXPECT_EQ(cluster_.Get("apps/v1", "Deployment", "scaler")["spec"]["replicas"].GetInt(), 0);
  JsonDocument cr = cluster_.Cpa("scaler");
  EXPECT_EQ(ConditionOf(cr, "Paused").status, "True");
  EXPECT_EQ(ConditionOf(cr, "Paused").reason, "PausedByAnnotation");
  EXPECT_EQ(ConditionOf(cr, "Ready").reason, "Paused");
  EXPECT_TRUE(cluster_.Exists(kCpaApiVersion, kCpaKind, "scaler"));  // the CR is kept

  // Someone scales the target while paused: the next look puts it back.
  ASSERT_TRUE(cluster_.server()
                  .MutateObject("apps/v1", "Deployment", "default", "web",
                                [](JsonValue& d, JsonAllocator&) { d["spec"]["replicas"] = 9; })
                  .has_value());
  ASSERT_TRUE(Reconcile().has_value());
  EXPECT_EQ(cluster_.Get("apps/v1", "Deployment", "web")["spec"]["replicas"].GetInt(), 5);

  cluster_.EditCpa(
      "scaler", [](JsonValue& cr, JsonAllocator&) { cr["metadata"].RemoveMember("annotations"); });
  r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, ReconcileResult::Outcome::kDone);
  EXPECT_EQ(cluster_.Get("apps/v1", "Deployment", "scaler")["spec"]["replicas"].GetInt(), 1);
  cr = cluster_.Cpa("scaler");
  EXPECT_EQ(ConditionOf(cr, "Paused").status, "False");
  EXPECT_EQ(ConditionOf(cr, "Ready").status, "True");
}

TEST_F(ReconcilerTest, InvalidPauseAnnotationIsReported) {
  cluster_.CreateCpa(
      CpaYaml("scaler", "", "    v1.custompodautoscaler.com/paused-replicas: \"lots\"\n"));
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, ReconcileResult::Outcome::kTerminal);
  auto cond = ConditionOf(cluster_.Cpa("scaler"), "Provisioned");
  EXPECT_EQ(cond.reason, "InvalidSpec");
  EXPECT_NE(cond.message.find("paused-replicas"), std::string::npos) << cond.message;
  EXPECT_NE(cond.message.find("lots"), std::string::npos) << cond.message;
}

TEST_F(ReconcilerTest, InvalidSpecIsATerminalConditionWithTheReason) {
  cluster_.CreateCpa(
      "apiVersion: custompodautoscaler.com/v1\nkind: CustomPodAutoscaler\n"
      "metadata: {name: scaler, namespace: default}\n"
      "spec:\n  template: {spec: {containers: []}}\n"
      "  scaleTargetRef: {kind: Deployment, name: web}\n");
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, ReconcileResult::Outcome::kTerminal);
  JsonDocument cr = cluster_.Cpa("scaler");
  auto cond = ConditionOf(cr, "Provisioned");
  EXPECT_EQ(cond.status, "False");
  EXPECT_EQ(cond.reason, "InvalidSpec");
  EXPECT_NE(cond.message.find("spec.template.spec.containers"), std::string::npos);
  EXPECT_EQ(ConditionOf(cr, "Ready").reason, "InvalidSpec");
  EXPECT_FALSE(cluster_.Exists("apps/v1", "Deployment", "scaler"));
  // Looking again writes nothing (no repeated status writes or events).
  const int64_t writes = cluster_.Writes();
  ASSERT_TRUE(Reconcile().has_value());
  EXPECT_EQ(cluster_.Writes(), writes);
  // Fixing the spec provisions.
  cluster_.EditCpa("scaler", [](JsonValue& cr, JsonAllocator& a) {
    JsonValue c(rapidjson::kObjectType);
    c.AddMember("name", "autoscaler", a);
    c.AddMember("image", "example/cpa:1.0", a);
    cr["spec"]["template"]["spec"]["containers"].PushBack(c, a);
  });
  Converge();
  EXPECT_EQ(ConditionOf(cluster_.Cpa("scaler"), "Provisioned").status, "True");
  EXPECT_TRUE(cluster_.Exists("apps/v1", "Deployment", "scaler"));
}

TEST_F(ReconcilerTest, ProvisionFalseWaitsThenAdoptsTheExistingObject) {
  cluster_.CreateCpa(
      CpaYaml("scaler", "  provisionServiceAccount: false\n  provisionPod: false\n"));
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, ReconcileResult::Outcome::kRequeue);
  auto cond = ConditionOf(cluster_.Cpa("scaler"), "Provisioned");
  EXPECT_EQ(cond.reason, "Waiting");
  EXPECT_NE(cond.message.find("ServiceAccount/scaler"), std::string::npos);
  EXPECT_NE(cond.message.find("provisionPod"), std::string::npos);
  EXPECT_FALSE(cluster_.Exists("v1", "ServiceAccount", "scaler"));

  // The user creates them: the operator adopts them (owner reference) without changing them.
  ASSERT_TRUE(cluster_.server()
                  .CreateObject(R"({"apiVersion":"v1","kind":"ServiceAccount",
                    "metadata":{"name":"scaler","namespace":"default"}})")
                  .has_value());
  ASSERT_TRUE(cluster_.server()
                  .CreateObject(R"({"apiVersion":"apps/v1","kind":"Deployment",
                    "metadata":{"name":"scaler","namespace":"default"},
                    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"mine"}},
                    "template":{"metadata":{"labels":{"app":"mine"}},
                    "spec":{"containers":[{"name":"mine","image":"my/autoscaler"}]}}}})")
                  .has_value());
  r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->actions, (std::vector<std::string>{"adopted ServiceAccount/scaler",
                                                  "adopted Deployment/scaler"}));
  JsonDocument cr = cluster_.Cpa("scaler");
  JsonDocument dep = cluster_.Get("apps/v1", "Deployment", "scaler");
  EXPECT_TRUE(ControlledBy(dep, cr));
  EXPECT_TRUE(ControlledBy(cluster_.Get("v1", "ServiceAccount", "scaler"), cr));
  EXPECT_EQ(StringMember(dep["spec"]["template"]["spec"]["containers"][0], "image"),
            "my/autoscaler");
  EXPECT_EQ(ConditionOf(cr, "Provisioned").status, "True");

  // Pausing scales an adopted Deployment to 0 and resuming restores its count.
  cluster_.EditCpa("scaler", [](JsonValue& c, JsonAllocator& a) {
    JsonValue annotations(rapidjson::kObjectType);
    annotations.AddMember(JsonString(kPausedReplicasAnnotation, a), JsonValue("2"), a);
    c["metadata"].AddMember("annotations", annotations, a);
  });
  ASSERT_TRUE(Reconcile().has_value());
  EXPECT_EQ(cluster_.Get("apps/v1", "Deployment", "scaler")["spec"]["replicas"].GetInt(), 0);
  cluster_.EditCpa("scaler",
                   [](JsonValue& c, JsonAllocator&) { c["metadata"].RemoveMember("annotations"); });
  ASSERT_TRUE(Reconcile().has_value());
  EXPECT_EQ(cluster_.Get("apps/v1", "Deployment", "scaler")["spec"]["replicas"].GetInt(), 1);
}

TEST_F(ReconcilerTest, AnObjectControlledBySomethingElseIsNotTakenOver) {
  ASSERT_TRUE(cluster_.server()
                  .CreateObject(R"({"apiVersion":"v1","kind":"ServiceAccount",
                    "metadata":{"name":"scaler","namespace":"default","ownerReferences":[
                    {"apiVersion":"v1","kind":"ConfigMap","name":"other","uid":"1234","controller":true}]}})")
                  .has_value());
  cluster_.CreateCpa(CpaYaml("scaler"));
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, ReconcileResult::Outcome::kRequeue);
  auto cond = ConditionOf(cluster_.Cpa("scaler"), "Provisioned");
  EXPECT_EQ(cond.reason, "OwnedByAnother");
  EXPECT_NE(cond.message.find("ConfigMap other"), std::string::npos) << cond.message;
}

TEST_F(ReconcilerTest, StorageProvisionsAClaimMountedIntoTheAutoscaler) {
  cluster_.CreateCpa(CpaYaml("scaler", "  storage: {size: 2Gi, storageClassName: fast}\n"));
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  JsonDocument pvc = cluster_.Get("v1", "PersistentVolumeClaim", "scaler");
  EXPECT_EQ(StringMember(pvc["spec"]["resources"]["requests"], "storage"), "2Gi");
  EXPECT_EQ(StringMember(pvc["spec"], "storageClassName"), "fast");
  EXPECT_TRUE(ControlledBy(pvc, cluster_.Cpa("scaler")));
  JsonDocument dep = cluster_.Get("apps/v1", "Deployment", "scaler");
  EXPECT_EQ(Env(dep, "store"), R"({"path":"/var/lib/cpa/history.db"})");
  const JsonValue& volume = dep["spec"]["template"]["spec"]["volumes"][0];
  EXPECT_EQ(StringMember(volume["persistentVolumeClaim"], "claimName"), "scaler");
  const JsonValue& mount = dep["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0];
  EXPECT_EQ(StringMember(mount, "mountPath"), "/var/lib/cpa");
}

TEST_F(ReconcilerTest, AFailureMidwayConvergesOnTheNextReconcileByANewOperator) {
  cluster_.CreateCpa(CpaYaml("scaler"));
  cluster_.server().InjectResponse(
      "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", 500,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcd is down","code":500})",
      -1);
  auto r = Reconcile();
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().Retryable()) << r.error().ToString();
  EXPECT_TRUE(cluster_.Exists("rbac.authorization.k8s.io/v1", "Role", "scaler"));
  EXPECT_FALSE(cluster_.Exists("apps/v1", "Deployment", "scaler"));
  EXPECT_EQ(ConditionOf(cluster_.Cpa("scaler"), "Provisioned").reason, "ReconcileError");

  // The operator restarts (a new Reconciler, a new client) once the API recovers.
  cluster_.server().ClearInjectedResponses();
  auto client = cluster_.NewClient();
  Reconciler restarted(*client, clock_);
  r = restarted.Reconcile("default", "scaler");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->actions,
            (std::vector<std::string>{"created RoleBinding/scaler", "created Deployment/scaler"}));
  EXPECT_EQ(ConditionOf(cluster_.Cpa("scaler"), "Provisioned").status, "True");
}

TEST_F(ReconcilerTest, UpgradeFromTheOriginalOperatorReplacesItsBarePod) {
  cluster_.CreateCpa(CpaYaml("scaler"));
  JsonDocument cr = cluster_.Cpa("scaler");
  std::string pod = fmt::format(
      R"({{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"scaler","namespace":"default",
      "labels":{{"v1.custompodautoscaler.com/owned-by":"scaler"}},
      "ownerReferences":[{{"apiVersion":"custompodautoscaler.com/v1","kind":"CustomPodAutoscaler",
      "name":"scaler","uid":"{}","controller":true}}]}},
      "spec":{{"containers":[{{"name":"autoscaler","image":"old"}}]}}}})",
      MetadataString(cr, "uid"));
  ASSERT_TRUE(cluster_.server().CreateObject(pod).has_value());
  auto r = Reconcile();
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->actions.front(), "deleted Pod/scaler");
  EXPECT_FALSE(cluster_.Exists("v1", "Pod", "scaler"));
  EXPECT_TRUE(cluster_.Exists("apps/v1", "Deployment", "scaler"));
}

}  // namespace
}  // namespace cpa::op
