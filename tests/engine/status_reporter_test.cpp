// engine/status_reporter: the autoscaler's part of a CustomPodAutoscaler's status, decided
// purely from a run, and written with a merge PATCH of the status subresource of a real CR in
// kube/fake (created from deploy/crd.yaml), only when it changes.
#include "engine/status_reporter.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kube/fake/fake_api_server.h"

namespace cpa::engine {
namespace {

RunResult RunOf(int current, int target, bool applied, RunType type = RunType::kScaler) {
  RunResult r;
  r.run_type = type;
  r.started = FromUnixMillis(1'764'000'000'000);
  ScaleDecision d;
  d.current_replicas = current;
  d.evaluated_replicas = target;
  d.target_replicas = target;
  d.applied = applied;
  r.decision = d;
  return r;
}

TEST(EngineStatusReporter, AppliedScaleSetsTheTimeAndTheNewSize) {
  auto s = StatusAfterRun(RunOf(2, 5, true), true, std::nullopt);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->current_replicas, 5);
  EXPECT_EQ(s->desired_replicas, 5);
  ASSERT_TRUE(s->last_scale_time);
  EXPECT_EQ(StatusPatch(*s), R"({"status":{"currentReplicas":5,"desiredReplicas":5,)"
                             R"("lastScaleTime":"2025-11-24T16:00:00Z"}})");
}

TEST(EngineStatusReporter, NothingNewWritesNothing) {
  auto first = StatusAfterRun(RunOf(3, 3, false), true, std::nullopt);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->last_scale_time);
  EXPECT_EQ(StatusPatch(*first), R"({"status":{"currentReplicas":3,"desiredReplicas":3}})");
  EXPECT_FALSE(StatusAfterRun(RunOf(3, 3, false), true, first));
  // A later decision keeps the last scale time it does not change.
  auto scaled = StatusAfterRun(RunOf(3, 4, true), true, first);
  ASSERT_TRUE(scaled);
  auto held = StatusAfterRun(RunOf(4, 4, false), true, scaled);
  EXPECT_FALSE(held);
  auto observed = StatusAfterRun(RunOf(4, 6, false), true, scaled);
  ASSERT_TRUE(observed);
  EXPECT_EQ(observed->desired_replicas, 6);
  EXPECT_EQ(observed->current_replicas, 4);
  EXPECT_EQ(observed->last_scale_time, scaled->last_scale_time);
}

TEST(EngineStatusReporter, DryRunsAndFailedRunsWriteNothing) {
  EXPECT_FALSE(StatusAfterRun(RunOf(2, 5, false, RunType::kApiDryRun), true, std::nullopt));
  EXPECT_FALSE(StatusAfterRun(RunOf(2, 5, false), false, std::nullopt));
  RunResult no_decision;
  EXPECT_FALSE(StatusAfterRun(no_decision, true, std::nullopt));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(EngineStatusReporter, PatchesTheStatusOfTheCustomPodAutoscalerOnlyWhenItChanges) {
  kube::fake::FakeApiServer server;
  ASSERT_TRUE(server.Start());
  const char* src = std::getenv("CPA_SOURCE_DIR");
  ASSERT_TRUE(server.CreateObject(ReadFile(std::string(src ? src : ".") + "/deploy/crd.yaml")));
  ASSERT_TRUE(server.CreateObject(std::string_view(
      R"({"apiVersion":"custompodautoscaler.com/v1","kind":"CustomPodAutoscaler",)"
      R"("metadata":{"name":"web-cpa","namespace":"default"},)"
      R"("spec":{"template":{"spec":{"containers":[{"name":"a","image":"cpa"}]}},)"
      R"("scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}}})")));
  kube::ConnectionConfig config;
  config.server = server.url();
  auto client = kube::Client::Create(config);
  ASSERT_TRUE(client);
  CrStatusReporter reporter(**client, "default", "web-cpa");
  const int64_t writes_before = server.WriteCount();
  reporter.Report(RunOf(2, 5, true), true);
  reporter.Report(RunOf(5, 5, false), true);  // nothing new: no write
  EXPECT_EQ(server.WriteCount() - writes_before, 1);
  auto cr =
      server.GetObject("custompodautoscaler.com/v1", "CustomPodAutoscaler", "default", "web-cpa");
  ASSERT_TRUE(cr);
  const JsonValue& status = (*cr)["status"];
  EXPECT_EQ(status["currentReplicas"].GetInt(), 5);
  EXPECT_EQ(status["desiredReplicas"].GetInt(), 5);
  EXPECT_STREQ(status["lastScaleTime"].GetString(), "2025-11-24T16:00:00Z");
  // A resource that does not exist: logged, never fatal.
  CrStatusReporter missing(**client, "default", "nope");
  missing.Report(RunOf(2, 3, true), true);
  server.Stop();
}

}  // namespace
}  // namespace cpa::engine
