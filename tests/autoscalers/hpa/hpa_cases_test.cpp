// The data-driven HPA cases (tests/data/hpa/<case>/: config.yaml + case.json with one or more
// steps, each a snapshot and the expected decision, and the reasoning written by hand). One
// parameterized test runs every case through the engine's gatherer and EvaluateHpa with a history
// carried from step to step (a scale is recorded as a scale event when the decision changes the
// count); single-step cases also run through the real `cpa evaluate` binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "engine/config/config_loader.h"
#include "engine/kube_cluster.h"
#include "engine/kubernetes_metrics/gatherer.h"
#include "engine/snapshot/snapshot.h"
#include "tests/autoscalers/hpa/hpa_test_util.h"

namespace cpa::hpa {
namespace {

namespace fs = std::filesystem;
using testing_util::CasesDir;
using testing_util::ReadFile;
using testing_util::SubsetMismatches;

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(CasesDir())) {
    if (fs::exists(entry.path() / "case.json")) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

struct LoadedCase {
  config::Config config;
  JsonDocument doc;
};

LoadedCase Load(const std::string& name) {
  testing_util::EnsureHpaRegistered();
  LoadedCase c;
  config::LoadOptions load;
  load.path = (CasesDir() / name / "config.yaml").string();
  load.env = nullptr;
  load.require_target = false;
  auto loaded = config::LoadConfig(load);
  EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().errors.front().ToString());
  if (loaded) c.config = loaded->config;
  auto doc = ParseJson(ReadFile(CasesDir() / name / "case.json"));
  EXPECT_TRUE(doc) << name;
  if (doc) c.doc = std::move(*doc);
  return c;
}

std::string SnapshotText(const std::string& name, const JsonValue& step) {
  const JsonValue& s = step["snapshot"];
  if (s.IsString()) return ReadFile(CasesDir() / name / s.GetString());
  return ToJson(s);
}

class HpaCase : public testing::TestWithParam<std::string> {};

TEST_P(HpaCase, EveryStepDecidesAsReasoned) {
  const std::string name = GetParam();
  LoadedCase c = Load(name);
  ASSERT_TRUE(c.doc.IsObject());
  ASSERT_TRUE(c.doc["reasoning"].IsArray() && c.doc["reasoning"].Size() > 0)
      << name << ": every case explains its numbers";
  auto options = LoadHpaOptions(c.config.evaluate.options_json, "evaluate.hpa", c.config);
  ASSERT_TRUE(options) << options.error().message;
  const engine::GatherPlan plan = PlanOf(*options);
  std::unique_ptr<InMemoryHpaHistory> history;
  const JsonValue& steps = c.doc["steps"];
  for (rapidjson::SizeType i = 0; i < steps.Size(); ++i) {
    SCOPED_TRACE(fmt::format("{} step {}", name, i));
    auto snapshot = engine::ParseSnapshot(SnapshotText(name, steps[i]));
    ASSERT_TRUE(snapshot) << snapshot.error().message;
    if (!history) history = std::make_unique<InMemoryHpaHistory>(snapshot->history);
    const TimePoint now = snapshot->now;
    engine::SnapshotApi api(std::move(*snapshot));
    engine::KubeCluster cluster(api);
    auto target = cluster.GetTarget({"apps/v1", "Deployment", "web"}, "default");
    ASSERT_TRUE(target) << target.error().message;
    std::vector<engine::GatheredMetric> gathered;
    for (const auto& spec : plan.specs) {
      engine::GatheredMetric g{spec, std::nullopt, std::nullopt};
      auto m = engine::GatherKubernetesMetric(api, spec, "default", *target, plan.periods, now);
      if (m) {
        g.metric = std::move(*m);
      } else {
        g.error = m.error();
      }
      gathered.push_back(std::move(g));
    }
    auto decision = EvaluateHpa(*options, *target, gathered, now, *history, true);
    ASSERT_TRUE(decision) << decision.error().message;
    JsonDocument actual = DecisionToJson(*decision, *options);
    std::string mismatches = SubsetMismatches(steps[i]["expected"], actual);
    EXPECT_EQ(mismatches, "") << "actual: " << ToJson(actual, true);
    if (!decision->disabled && decision->desired_replicas != decision->current_replicas) {
      ASSERT_TRUE(
          history->AddScaleEvent(now, decision->desired_replicas - decision->current_replicas));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Data, HpaCase, testing::ValuesIn(CaseNames()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

std::string CpaBinary() {
  const char* dir = std::getenv("CPA_BINARY_DIR");
  return std::string(dir != nullptr ? dir : "build") + "/cli/cpa";
}

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

CommandResult RunCpa(const std::string& args) {
  CommandResult r;
  std::string cmd = CpaBinary() + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class HpaEvaluateCommand : public testing::TestWithParam<std::string> {};

TEST_P(HpaEvaluateCommand, PrintsTheExpectedDecision) {
  const std::string name = GetParam();
  const fs::path dir = CasesDir() / name;
  auto r = RunCpa(fmt::format("evaluate --config {} --snapshot {}", (dir / "config.yaml").string(),
                              (dir / "snapshot.json").string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // Logs go to stderr (merged here): the JSON object starts at the first line that is "{".
  auto at = r.out.find("\n{");
  std::string json = r.out.starts_with("{") ? r.out : r.out.substr(at + 1);
  auto actual = ParseJson(json);
  ASSERT_TRUE(actual) << r.out;
  auto c = ParseJson(ReadFile(dir / "case.json"));
  ASSERT_TRUE(c);
  EXPECT_EQ(SubsetMismatches((*c)["steps"][0]["expected"], *actual), "") << r.out;
}

std::vector<std::string> SingleStepCases() {
  std::vector<std::string> names;
  for (const auto& n : CaseNames()) {
    if (fs::exists(CasesDir() / n / "snapshot.json")) names.push_back(n);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Data, HpaEvaluateCommand, testing::ValuesIn(SingleStepCases()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

class EvaluateCommandErrors : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("cpa-evaluate-{}", getpid());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& file, const std::string& text) {
    std::ofstream(dir_ / file) << text;
    return (dir_ / file).string();
  }
  fs::path dir_;
};

TEST_F(EvaluateCommandErrors, ABadSnapshotFieldExitsTwoNamingIt) {
  std::string config = (CasesDir() / "utilization-scale-up" / "config.yaml").string();
  auto snapshot = ParseJson(ReadFile(CasesDir() / "utilization-scale-up" / "snapshot.json"));
  ASSERT_TRUE(snapshot);
  auto& a = snapshot->GetAllocator();
  (*snapshot)["podMetrics"]["items"][1]["containers"][0]["usage"]["cpu"].SetString("lots", a);
  auto r = RunCpa(fmt::format("evaluate --config {} --snapshot {}", config,
                              Write("bad.json", ToJson(*snapshot))));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("podMetrics.items[1].containers[0].usage.cpu"), std::string::npos) << r.out;

  auto no_now = Write("no-now.json", R"({"scale": {"spec": {"replicas": 1}}, "pods": {}})");
  r = RunCpa(fmt::format("evaluate --config {} --snapshot {}", config, no_now));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("snapshot: now: is required"), std::string::npos) << r.out;
}

TEST_F(EvaluateCommandErrors, ABadHpaKeyExitsTwoWithItsPath) {
  std::string config = Write("c.yaml",
                             "evaluate:\n  type: hpa\n  hpa:\n    behavior:\n      scaleDown:\n"
                             "        policies: [{type: Pods, value: 1, periodSeconds: 0}]\n");
  auto r = RunCpa(fmt::format("evaluate --config {} --snapshot {}", config,
                              (CasesDir() / "utilization-scale-up" / "snapshot.json").string()));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("evaluate.hpa.behavior.scaleDown.policies[0].periodSeconds: must be > 0"),
            std::string::npos)
      << r.out;
}

TEST_F(EvaluateCommandErrors, ShellEvaluatorsRunOnTheSnapshot) {
  std::string script =
      Write("eval.sh", "#!/bin/sh\ncat >/dev/null\necho '{\"targetReplicas\": 7}'\n");
  fs::permissions(script, fs::perms::owner_all);
  std::string config = Write(
      "shell.yaml", fmt::format("metric: {{type: shell, shell: {{entrypoint: /bin/echo, command: "
                                "['5']}}}}\nevaluate: {{type: shell, shell: {{entrypoint: {}}}}}\n"
                                "runMode: per-resource\n",
                                script));
  auto r = RunCpa(fmt::format("evaluate --config {} --snapshot {}", config,
                              (CasesDir() / "utilization-scale-up" / "snapshot.json").string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto at = r.out.find('{');
  auto out = ParseJson(r.out.substr(at));
  ASSERT_TRUE(out) << r.out;
  EXPECT_EQ((*out)["desiredReplicas"].GetInt(), 7);
  EXPECT_EQ((*out)["currentReplicas"].GetInt(), 3);
  EXPECT_STREQ((*out)["metrics"][0]["current"].GetString(), "5\n");
}

}  // namespace
}  // namespace cpa::hpa
