// The staged run with real shell user logic against an in-memory cluster and a manual clock.
#include "engine/autoscaler.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "engine/stages/evaluate_stage.h"
#include "tests/engine/memory_cluster.h"
#include "tests/engine/test_paths.h"

namespace cpa::engine {
namespace {

using testing_paths::Logic;
using namespace std::chrono_literals;

config::MethodConfig Shell(std::string script, std::vector<std::string> args = {},
                           int64_t timeout_ms = 5000) {
  config::MethodConfig m;
  m.type = "shell";
  m.timeout_ms = timeout_ms;
  m.shell = config::ShellMethodConfig{Logic(script), std::move(args), false};
  return m;
}

class EngineAutoscaler : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cpa-autoscaler-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    config_.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", "web"};
    config_.metric = Shell("echo-input.sh");
    SetEvaluation(R"({"targetReplicas": 4})");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void SetEvaluation(const std::string& text) {
    std::ofstream(dir_ / "evaluation.json") << text;
    config_.evaluate = Shell("evaluate-from-env.sh", {(dir_ / "evaluation.json").string()});
  }
  std::unique_ptr<Autoscaler> Make() {
    auto a = Autoscaler::Create(config_, cluster_, clock_);
    EXPECT_TRUE(a) << (a ? "" : a.error().message);
    return std::move(*a);
  }

  std::filesystem::path dir_;
  config::Config config_;
  MemoryCluster cluster_{2};
  ManualClock clock_{FromUnixMillis(1'700'000'000'000)};
};

TEST_F(EngineAutoscaler, ScalesToTheEvaluation) {
  auto a = Make();
  auto r = a->Run(RunType::kScaler);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->evaluation->target_replicas, 4);
  EXPECT_TRUE(r->decision->applied);
  EXPECT_EQ(cluster_.replicas(), 4);
  // Same target again: no PATCH.
  auto again = a->Run(RunType::kScaler);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->decision->applied);
  EXPECT_EQ(cluster_.scales(), 1);
}

TEST_F(EngineAutoscaler, PerPodInputIsOnePodAndRunType) {
  auto a = Make();
  auto r = a->Run(RunType::kScaler);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->metrics.size(), 2u);
  EXPECT_EQ(r->metrics[0].resource, "web-0");
  EXPECT_EQ(r->metrics[1].resource, "web-1");
  EXPECT_EQ(r->metrics[0].value,
            R"({"resource":{"kind":"Pod","metadata":{"name":"web-0"}},"runType":"scaler"})");
}

TEST_F(EngineAutoscaler, PerResourceInputIsTheTarget) {
  config_.run_mode = config::RunMode::kPerResource;
  auto a = Make();
  auto r = a->Run(RunType::kApi);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->metrics.size(), 1u);
  EXPECT_EQ(r->metrics[0].resource, "web");
  EXPECT_EQ(r->metrics[0].value,
            R"({"resource":{"kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}},)"
            R"("runType":"api"})");
}

TEST_F(EngineAutoscaler, PodsKeepOrdinalOrderWithManyWorkers) {
  cluster_.SetPods(12);
  auto a = Make();
  auto r = a->Run(RunType::kScaler);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->metrics.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(r->metrics[i].resource, "web-" + std::to_string(i));
}

TEST_F(EngineAutoscaler, ClampsToMinAndMax) {
  config_.min_replicas = 3;
  config_.max_replicas = 5;
  SetEvaluation(R"({"targetReplicas": 50})");
  auto a = Make();
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 5);
  SetEvaluation(R"({"targetReplicas": 0})");
  auto b = Make();
  ASSERT_TRUE(b->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 3);
}

TEST_F(EngineAutoscaler, ZeroReplicasWithNonZeroMinDisablesTheRun) {
  cluster_.set_replicas(0);
  auto a = Make();
  auto r = a->Run(RunType::kScaler);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->decision->disabled);
  EXPECT_EQ(cluster_.scales(), 0);
  EXPECT_EQ(cluster_.replicas(), 0);
}

TEST_F(EngineAutoscaler, ScaleFromZeroWhenMinIsZero) {
  config_.min_replicas = 0;
  cluster_.set_replicas(0);
  auto a = Make();
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 4);
}

TEST_F(EngineAutoscaler, DownscaleStabilizationHoldsTheMaximum) {
  config_.downscale_stabilization_s = 60;
  auto a = Make();
  SetEvaluation(R"({"targetReplicas": 6})");
  a = Make();
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 6);
  // The evaluate method reads the file each call, so the same Autoscaler sees new values.
  std::ofstream(dir_ / "evaluation.json") << R"({"targetReplicas": 2})";
  clock_.Advance(30s);
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 6);  // held: 6 was 30 s ago
  clock_.Advance(31s);
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 2);  // 6 left the 60 s window
  std::ofstream(dir_ / "evaluation.json") << R"({"targetReplicas": 9})";
  clock_.Advance(1s);
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 9);  // upscale is immediate
}

TEST_F(EngineAutoscaler, DryRunNeverScalesNorRecords) {
  config_.downscale_stabilization_s = 60;
  SetEvaluation(R"({"targetReplicas": 8})");
  auto a = Make();
  auto r = a->Run(RunType::kApiDryRun);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->decision->target_replicas, 8);
  EXPECT_FALSE(r->decision->applied);
  EXPECT_EQ(cluster_.scales(), 0);
  std::ofstream(dir_ / "evaluation.json") << R"({"targetReplicas": 3})";
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 3);  // the dry run's 8 was not held
}

TEST_F(EngineAutoscaler, EveryHookGetsItsInputInOrder) {
  auto record = (dir_ / "hooks.log").string();
  config_.run_mode = config::RunMode::kPerResource;
  for (auto [name, slot] : {std::pair{"preMetric", &config_.pre_metric},
                            {"postMetric", &config_.post_metric},
                            {"preEvaluate", &config_.pre_evaluate},
                            {"postEvaluate", &config_.post_evaluate},
                            {"preScale", &config_.pre_scale},
                            {"postScale", &config_.post_scale}}) {
    *slot = Shell("record-hook.sh", {name, record});
  }
  auto a = Make();
  ASSERT_TRUE(a->Run(RunType::kScaler));
  std::ifstream in(record);
  std::vector<std::pair<std::string, std::string>> calls;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto space = line.find(' ');
    calls.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  ASSERT_EQ(calls.size(), 6u);
  const char* order[] = {"preMetric",    "postMetric", "preEvaluate",
                         "postEvaluate", "preScale",   "postScale"};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(calls[i].first, order[i]);
  std::string target = R"({"kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}})";
  std::string metric_value =
      R"({\"resource\":{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":2}},\"runType\":\"scaler\"})";
  std::string metrics = R"([{"resource":"web","value":")" + metric_value + R"("}])";
  EXPECT_EQ(calls[0].second, R"({"resource":)" + target + R"(,"runType":"scaler"})");
  EXPECT_EQ(calls[1].second,
            R"({"resource":)" + target + R"(,"runType":"scaler","metrics":)" + metrics + "}");
  EXPECT_EQ(calls[2].second,
            R"({"metrics":)" + metrics + R"(,"resource":)" + target + R"(,"runType":"scaler"})");
  EXPECT_EQ(calls[3].second, R"({"metrics":)" + metrics + R"(,"resource":)" + target +
                                 R"(,"runType":"scaler","evaluation":{"targetReplicas":4}})");
  std::string scale_input = R"({"evaluation":{"targetReplicas":4},"resource":)" + target +
                            R"(,"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment",)"
                            R"("name":"web"},"namespace":"default","minReplicas":1,)"
                            R"("maxReplicas":10,"currentReplicas":2,"targetReplicas":4,)"
                            R"("runType":"scaler"})";
  EXPECT_EQ(calls[4].second, scale_input);
  EXPECT_EQ(calls[5].second, scale_input);
}

TEST_F(EngineAutoscaler, FailingHookAbortsBeforeScaling) {
  config_.pre_scale = Shell("fail.sh");
  auto a = Make();
  log::LogCapture logs;
  auto r = a->Run(RunType::kScaler);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().stage, "preScale");
  EXPECT_EQ(cluster_.scales(), 0);
  EXPECT_TRUE(logs.Contains("failed in stage preScale"));
}

struct BadLogicCase {
  const char* name;
  const char* metric_script;
  const char* evaluation;  // canned evaluation output (nullptr: keep the default)
  const char* stage;
  const char* message;
};

// Test names and `--gtest_list_tests` show the case name, not a byte dump of the struct.
void PrintTo(const BadLogicCase& c, std::ostream* os) { *os << c.name; }

class EngineBadUserLogic : public EngineAutoscaler,
                           public testing::WithParamInterface<BadLogicCase> {};

TEST_P(EngineBadUserLogic, ClearErrorAndNoScaling) {
  const auto& c = GetParam();
  std::string pid_file = (dir_ / "pid").string();
  config_.metric = Shell(c.metric_script, {pid_file}, 500);
  if (c.evaluation != nullptr) SetEvaluation(c.evaluation);
  auto a = Make();
  log::LogCapture logs;
  auto r = a->Run(RunType::kScaler);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().stage, c.stage);
  EXPECT_NE(r.error().error.message.find(c.message), std::string::npos) << r.error().error.message;
  EXPECT_EQ(cluster_.scales(), 0);
  EXPECT_EQ(cluster_.replicas(), 2);
  EXPECT_EQ(logs.Lines().size(), 1u);  // one clear line per failed run
}

// Issue 14 defect 1: 200,000 levels (400 KB, under the output cap) crashed the process.
const std::string kDeepEvaluation = R"({"targetReplicas":3,"x":)" + std::string(200000, '[');

INSTANTIATE_TEST_SUITE_P(
    Cases, EngineBadUserLogic,
    testing::Values(BadLogicCase{"failing", "fail.sh", nullptr, "metric", "exited with code 3"},
                    BadLogicCase{"hanging", "hang.sh", nullptr, "metric", "timed out after 500 ms"},
                    BadLogicCase{"crashing", "crash.sh", nullptr, "metric", "killed by signal"},
                    BadLogicCase{"huge", "huge-output.sh", nullptr, "metric", "exceeded the limit"},
                    BadLogicCase{"garbage", "echo-input.sh", "Traceback (most recent call last)",
                                 "evaluate", "received \"Traceback"},
                    BadLogicCase{"missing_field", "echo-input.sh", R"({"replicas": 3})", "evaluate",
                                 "the field targetReplicas is missing"},
                    BadLogicCase{"negative", "echo-input.sh", R"({"targetReplicas": -1})",
                                 "evaluate", "negative"},
                    BadLogicCase{"fractional", "echo-input.sh", R"({"targetReplicas": 2.5})",
                                 "evaluate", "not a whole number"},
                    BadLogicCase{"string", "echo-input.sh", R"({"targetReplicas": "3"})",
                                 "evaluate", "targetReplicas is a string"},
                    BadLogicCase{"trailing", "echo-input.sh", R"({"targetReplicas": 3} ok)",
                                 "evaluate", "received"},
                    BadLogicCase{"deep_nesting", "echo-input.sh", kDeepEvaluation.c_str(),
                                 "evaluate", "nested deeper than 256 levels"},
                    BadLogicCase{"duplicate_key", "echo-input.sh",
                                 R"({"targetReplicas": 1, "targetReplicas": 5})", "evaluate",
                                 "duplicate key \"targetReplicas\""},
                    BadLogicCase{"number_too_big", "echo-input.sh", R"({"targetReplicas": 1e400})",
                                 "evaluate", "near \"1e400}\""}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(EngineEvaluation, AcceptsIntegralNumbersAndExtraFields) {
  auto e = EvaluateStage::ParseEvaluation("{\"targetReplicas\": 3.0, \"why\": \"cpu\"}\n");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target_replicas, 3);
  EXPECT_FALSE(EvaluateStage::ParseEvaluation("[3]"));
  EXPECT_FALSE(EvaluateStage::ParseEvaluation(""));
  EXPECT_FALSE(EvaluateStage::ParseEvaluation(R"({"targetReplicas": 1e12})"));
}

TEST_F(EngineAutoscaler, ClusterErrorFailsInTargetStage) {
  cluster_.set_fail_get(true);
  auto a = Make();
  auto r = a->Run(RunType::kScaler);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().stage, "target");
  EXPECT_EQ(r.error().error.code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace cpa::engine
