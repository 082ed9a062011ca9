#include "operator/controller.h"

#include <httplib.h>

#include <gtest/gtest.h>

#include <thread>

#include "kube/lease.h"
#include "operator/http_endpoints.h"
#include "operator/names.h"
#include "tests/operator/operator_test_util.h"

namespace cpa::op {
namespace {

using namespace std::chrono_literals;
using testing::ConditionOf;
using testing::CpaYaml;
using testing::Eventually;
using testing::FakeCluster;

// A controller running on its own thread until destroyed.
class RunningController {
 public:
  RunningController(FakeCluster& cluster, Clock& clock, ControllerOptions options)
      : client_(cluster.NewClient()), controller_(*client_, std::move(options), clock) {
    thread_ = std::jthread([this](std::stop_token stop) { result_ = controller_.Run(stop); });
  }
  ~RunningController() { Stop(); }
  void Stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }
  Controller& operator*() { return controller_; }
  Controller* operator->() { return &controller_; }
  const Status& result() const { return result_; }

 private:
  std::unique_ptr<kube::Client> client_;
  Controller controller_;
  Status result_;
  std::jthread thread_;
};

ControllerOptions Options(std::string identity, bool leader_election = false) {
  ControllerOptions o;
  o.identity = identity;
  o.reconciler.identity = identity;
  o.leader_election = leader_election;
  o.lease_namespace = "default";
  o.backoff = {.base = 100ms, .max = 2000ms};
  o.informer_backoff = 100ms;
  return o;
}

class ControllerTest : public ::testing::Test {
 protected:
  bool Provisioned(const std::string& name) {
    return ConditionOf(cluster_.Cpa(name), "Provisioned").status == "True";
  }
  FakeCluster cluster_;
  ManualClock clock_{FromUnixMillis(1'800'000'000'000)};
};

TEST_F(ControllerTest, ProvisionsCrsSeenByTheInformerAndReactsToChanges) {
  cluster_.CreateCpa(CpaYaml("one"));
  RunningController c(cluster_, clock_, Options("op-a"));
  ASSERT_TRUE(Eventually([&] { return Provisioned("one"); }));
  ASSERT_TRUE(Eventually([&] { return c->Synced(); }));
  // A CR created later is picked up from the watch.
  cluster_.CreateCpa(CpaYaml("two"));
  ASSERT_TRUE(Eventually([&] { return Provisioned("two"); }));
  // A deleted child is recreated (the Deployment watch queues its owner).
  ASSERT_TRUE(cluster_.server()
                  .DeleteObject("rbac.authorization.k8s.io/v1", "Role", "default", "two")
                  .has_value());
  ASSERT_TRUE(
      Eventually([&] { return cluster_.Exists("rbac.authorization.k8s.io/v1", "Role", "two"); }));
  // A config change rolls the Deployment.
  cluster_.EditCpa("two", [](JsonValue& cr, JsonAllocator&) {
    cr["spec"]["config"][0]["value"].SetString("30000");
  });
  ASSERT_TRUE(Eventually(
      [&] { return cluster_.Cpa("two")["status"]["observedGeneration"].GetInt64() == 2; }));
  EXPECT_EQ(c->Stats().custom_pod_autoscalers, 2u);
}

TEST_F(ControllerTest, AnExpiredWatchRelistsAndKeepsReconciling) {
  cluster_.CreateCpa(CpaYaml("one"));
  RunningController c(cluster_, clock_, Options("op-a"));
  ASSERT_TRUE(Eventually([&] { return Provisioned("one") && c->Synced(); }));
  const int64_t lists = c->Stats().informer_lists;
  EXPECT_EQ(lists, 6);                  // one LIST per informer
  cluster_.server().store().Compact();  // every watch position is now 410 Gone
  cluster_.CreateCpa(CpaYaml("two"));
  ASSERT_TRUE(Eventually([&] { return Provisioned("two"); }));
  ASSERT_TRUE(Eventually([&] { return c->Stats().informer_lists > lists; }));
  EXPECT_EQ(c->Stats().custom_pod_autoscalers, 2u);
}

TEST_F(ControllerTest, AResyncOfUnchangedCrsWritesNothing) {
  for (auto name : {"a", "b", "c"}) cluster_.CreateCpa(CpaYaml(name));
  RunningController c(cluster_, clock_, Options("op-a"));
  ASSERT_TRUE(Eventually([&] { return Provisioned("a") && Provisioned("b") && Provisioned("c"); }));
  ASSERT_TRUE(Eventually([&] { return c->queue().Len() == 0 && c->queue().WaitingLen() == 0; }));
  // Let in-flight reconciles (triggered by the operator's own writes) finish.
  int64_t settled = -1;
  ASSERT_TRUE(Eventually([&] {
    int64_t now = c->Stats().reconciles;
    bool same = now == settled && c->queue().Len() == 0;
    settled = now;
    return same;
  }));
  const int64_t writes = cluster_.Writes();
  const int64_t reconciles = c->Stats().reconciles;
  clock_.Advance(std::chrono::seconds(301));  // one resync period
  ASSERT_TRUE(Eventually([&] { return c->Stats().reconciles >= reconciles + 3; }));
  ASSERT_TRUE(Eventually([&] { return c->queue().Len() == 0; }));
  EXPECT_EQ(cluster_.Writes(), writes);
}

TEST_F(ControllerTest, ServerErrorsConflictsAndTimeoutsAreRetriedWithBackoff) {
  const std::string status500 =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"internal error","code":500})";
  const std::string status504 =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Timeout","message":"request timed out","code":504})";
  cluster_.server().InjectResponse("POST", "/apis/apps/v1/namespaces/default/deployments", 500,
                                   status500, 2);
  cluster_.server().InjectResponse("POST", "/api/v1/namespaces/default/serviceaccounts", 504,
                                   status504, 1);
  cluster_.CreateCpa(CpaYaml("one"));
  RunningController c(cluster_, clock_, Options("op-a"));
  ASSERT_TRUE(Eventually([&] { return Provisioned("one"); }, &clock_));
  EXPECT_GE(c->Stats().queue_retries, 3);
  EXPECT_GE(c->Stats().reconcile_errors, 3);
  // Forgotten after the success (the worker does so once the reconcile has returned).
  EXPECT_TRUE(Eventually([&] { return c->queue().Failures("default/one") == 0; }));

  // A conflict on the Deployment update is retried too.
  const std::string status409 =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Conflict","message":"the object has been modified","code":409})";
  cluster_.server().InjectResponse("PUT", "/apis/apps/v1/namespaces/default/deployments/one", 409,
                                   status409, 1);
  const int64_t retries = c->Stats().queue_retries;
  cluster_.EditCpa("one", [](JsonValue& cr, JsonAllocator&) {
    cr["spec"]["config"][0]["value"].SetString("30000");
  });
  ASSERT_TRUE(Eventually(
      [&] {
        JsonDocument cr = cluster_.Cpa("one");
        return cr["status"]["observedGeneration"].GetInt64() == 2 && Provisioned("one");
      },
      &clock_));
  EXPECT_EQ(c->Stats().queue_retries, retries + 1);
}

TEST_F(ControllerTest, InvalidSpecsAreNotRetried) {
  cluster_.CreateCpa(
      "apiVersion: custompodautoscaler.com/v1\nkind: CustomPodAutoscaler\n"
      "metadata: {name: bad, namespace: default}\n"
      "spec:\n  template: {spec: {containers: [{name: a}]}}\n"
      "  scaleTargetRef: {kind: Deployment}\n");
  RunningController c(cluster_, clock_, Options("op-a"));
  ASSERT_TRUE(Eventually(
      [&] { return ConditionOf(cluster_.Cpa("bad"), "Provisioned").reason == "InvalidSpec"; }));
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(10s);
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(c->Stats().queue_retries, 0);
  EXPECT_EQ(c->queue().WaitingLen(), 0u);
}

TEST_F(ControllerTest, WithLeaderElectionOnlyOneOperatorActs) {
  cluster_.CreateCpa(CpaYaml("one"));
  RunningController a(cluster_, clock_, Options("op-a", true));
  ASSERT_TRUE(Eventually([&] { return a->IsLeader(); }));
  RunningController b(cluster_, clock_, Options("op-b", true));
  ASSERT_TRUE(Eventually([&] { return b->Stats().lease_attempts >= 1 && b->Synced(); }));
  ASSERT_TRUE(Eventually([&] { return Provisioned("one"); }));
  cluster_.CreateCpa(CpaYaml("two"));
  ASSERT_TRUE(Eventually([&] { return Provisioned("two"); }));
  EXPECT_FALSE(b->IsLeader());
  EXPECT_GT(a->Stats().reconciles, 0);
  EXPECT_EQ(b->Stats().reconciles, 0);
  JsonDocument lease = cluster_.Get("coordination.k8s.io/v1", "Lease", "cpa-operator");
  EXPECT_EQ(StringMember(lease["spec"], "holderIdentity"), "op-a");

  // The leader stops (releasing the lease); the standby takes over at its next attempt, and acts.
  a.Stop();
  lease = cluster_.Get("coordination.k8s.io/v1", "Lease", "cpa-operator");
  EXPECT_EQ(StringMember(lease["spec"], "holderIdentity"), "");
  cluster_.CreateCpa(CpaYaml("three"));
  ASSERT_TRUE(Eventually([&] { return b->IsLeader(); }, &clock_, 1s));
  ASSERT_TRUE(Eventually([&] { return Provisioned("three"); }));
  EXPECT_GT(b->Stats().reconciles, 0);
}

TEST_F(ControllerTest, AStandbyTakesOverOnlyAfterACrashedLeadersLeaseExpires) {
  // The crashed leader's lease lasts an hour, so the attempts below are well within it however
  // slowly the test runs.
  auto held = kube::TryAcquireOrRenewLease(cluster_.client(), "default", "cpa-operator", "ghost",
                                           3600s, clock_.Now());
  ASSERT_TRUE(held.has_value() && held->leader);
  cluster_.CreateCpa(CpaYaml("one"));
  RunningController b(cluster_, clock_, Options("op-b", true));
  ASSERT_TRUE(Eventually([&] { return b->Stats().lease_attempts >= 1; }));
  const TimePoint start = clock_.Now();
  ASSERT_TRUE(Eventually([&] { return b->Stats().lease_attempts >= 3; }, &clock_, 500ms));
  ASSERT_LT(clock_.Now() - start, Duration(3600s));
  EXPECT_FALSE(b->IsLeader());
  EXPECT_FALSE(cluster_.Exists("apps/v1", "Deployment", "one"));
  clock_.Set(start + 3601s);  // the ghost's lease has expired
  ASSERT_TRUE(Eventually([&] { return b->IsLeader(); }, &clock_, 1s));
  ASSERT_TRUE(Eventually([&] { return Provisioned("one"); }));
}

TEST_F(ControllerTest, AnOperatorRestartedMidwayConverges) {
  cluster_.server().InjectResponse(
      "POST", "/apis/apps/v1/namespaces/default/deployments", 500,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"down","code":500})", -1);
  cluster_.CreateCpa(CpaYaml("one"));
  {
    RunningController first(cluster_, clock_, Options("op-a"));
    ASSERT_TRUE(Eventually([&] {
      return cluster_.Exists("rbac.authorization.k8s.io/v1", "RoleBinding", "one") &&
             first->Stats().reconcile_errors > 0;
    }));
  }  // stopped mid-way
  EXPECT_FALSE(cluster_.Exists("apps/v1", "Deployment", "one"));
  cluster_.server().ClearInjectedResponses();
  RunningController second(cluster_, clock_, Options("op-b"));
  ASSERT_TRUE(Eventually([&] { return Provisioned("one"); }));
  EXPECT_TRUE(cluster_.Exists("apps/v1", "Deployment", "one"));
}

TEST_F(ControllerTest, NamespacedModeOnlySeesItsNamespace) {
  ASSERT_TRUE(
      cluster_.server()
          .CreateObject(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}})")
          .has_value());
  std::string other = CpaYaml("elsewhere");
  other.replace(other.find("namespace: default"), 18, "namespace: other");
  cluster_.CreateCpa(other);
  cluster_.CreateCpa(CpaYaml("here"));
  ControllerOptions o = Options("op-a");
  o.watch_namespace = "default";
  RunningController c(cluster_, clock_, o);
  ASSERT_TRUE(Eventually([&] { return Provisioned("here"); }));
  ASSERT_TRUE(Eventually([&] { return c->queue().Len() == 0; }));
  EXPECT_FALSE(
      cluster_.server().GetObject("apps/v1", "Deployment", "other", "elsewhere").has_value());
  EXPECT_EQ(c->Stats().custom_pod_autoscalers, 1u);
}

TEST_F(ControllerTest, HealthAndMetricsEndpoints) {
  cluster_.CreateCpa(CpaYaml("one"));
  RunningController c(cluster_, clock_, Options("op-a"));
  HealthServer health([&] { return c->Stats(); });
  ASSERT_TRUE(health.Start("127.0.0.1", 0).has_value());
  ASSERT_TRUE(Eventually([&] { return Provisioned("one") && c->Synced(); }));
  httplib::Client http("127.0.0.1", health.port());
  auto healthz = http.Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_EQ(healthz->status, 200);
  auto readyz = http.Get("/readyz");
  ASSERT_TRUE(readyz);
  EXPECT_EQ(readyz->status, 200);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("cpa_operator_leader 1"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("cpa_operator_custompodautoscalers 1"), std::string::npos);
  EXPECT_NE(metrics->body.find("cpa_operator_writes_total{op=\"create\"} 4"), std::string::npos)
      << metrics->body;
}

}  // namespace
}  // namespace cpa::op
