#include "engine/methods/shell_method.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/engine/test_paths.h"
#include "tests/support/child_process.h"

namespace cpa::engine {
namespace {

using testing_paths::Logic;

ShellMethod Make(std::string entrypoint, std::vector<std::string> args, int64_t timeout_ms = 5000) {
  config::ShellMethodConfig c;
  c.entrypoint = std::move(entrypoint);
  c.command = std::move(args);
  return ShellMethod(c, timeout_ms, "metric");
}

TEST(EngineShellMethod, InputOnStdinOutputFromStdout) {
  auto m = Make(Logic("echo-input.sh"), {});
  auto out = m.Call(R"({"resource":{"metadata":{"name":"a"}},"runType":"scaler"})", {});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, R"({"resource":{"metadata":{"name":"a"}},"runType":"scaler"})");
}

TEST(EngineShellMethod, ArgumentsArePassedVerbatimWithoutAShell) {
  auto m = Make("printf", {"%s|%s", "$HOME", "a b;echo x"});
  auto out = m.Call("", {});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "$HOME|a b;echo x");
}

TEST(EngineShellMethod, LargeInputIsWrittenWhileOutputIsRead) {
  std::string big(3 * 1024 * 1024, 'x');
  auto m = Make(Logic("echo-input.sh"), {});
  auto out = m.Call(big, {});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->size(), big.size());
}

TEST(EngineShellMethod, NonZeroExitQuotesStderr) {
  auto m = Make(Logic("fail.sh"), {});
  auto out = m.Call("{}", {});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("exited with code 3"), std::string::npos)
      << out.error().message;
  EXPECT_NE(out.error().message.find("something went wrong: bad metric"), std::string::npos);
  EXPECT_NE(out.error().message.find("metric:"), std::string::npos);
}

TEST(EngineShellMethod, LongStderrIsSummarizedByItsFirstAndLastLines) {
  std::string traceback = "Traceback (most recent call last):\n";
  for (int i = 0; i < 40; ++i)
    traceback += "  File \"/metric.py\", line " + std::to_string(i) + "\n";
  traceback += "KeyError: 'numPods'\n";
  const std::string summary = SummarizeStderr(traceback);
  EXPECT_EQ(summary.find("Traceback (most recent call last):"), 1u) << summary;
  EXPECT_NE(summary.find("[38 lines omitted]"), std::string::npos) << summary;
  EXPECT_NE(summary.find("KeyError: 'numPods'"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("line 5\\n"), std::string::npos) << summary;
  EXPECT_LT(summary.size(), 400u);
  EXPECT_EQ(SummarizeStderr("short\n"), "\"short\"");
  EXPECT_NE(SummarizeStderr(std::string(300, 'x') + "\n" + std::string(300, 'y')).find("..."),
            std::string::npos);
}

TEST(EngineShellMethod, CrashIsReportedWithTheSignal) {
  auto m = Make(Logic("crash.sh"), {});
  auto out = m.Call("{}", {});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("killed by signal 11"), std::string::npos)
      << out.error().message;
}

TEST(EngineShellMethod, MissingEntrypointIsAClearError) {
  auto m = Make("/nonexistent/python", {"/metric.py"});
  auto out = m.Call("{}", {});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("cannot execute \"/nonexistent/python\""), std::string::npos)
      << out.error().message;
}

TEST(EngineShellMethod, TimeoutKillsTheWholeProcessGroup) {
  auto pid_file = std::filesystem::temp_directory_path() /
                  ("cpa-hang-grandchild-" + std::to_string(getpid()) + ".pid");
  std::filesystem::remove(pid_file);
  // 1 s: long enough for a loaded machine to start the grandchild and record it before the kill.
  auto m = Make(Logic("hang.sh"), {pid_file.string()}, 1000);
  auto out = m.Call("{}", {});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(out.error().message.find("timed out after 1000 ms"), std::string::npos)
      << out.error().message;
  pid_t grandchild = 0;
  std::ifstream(pid_file) >> grandchild;
  ASSERT_GT(grandchild, 0);
  // The grandchild was killed with the group; once init reaps it, it no longer exists.
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = ::kill(grandchild, 0) != 0;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "grandchild " << grandchild << " survived the timeout";
  std::filesystem::remove(pid_file);
}

TEST(EngineShellMethod, HugeOutputIsAnErrorNotAnOutOfMemory) {
  auto m = Make(Logic("huge-output.sh"), {});
  auto out = m.Call("{}", {});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("output exceeded the limit"), std::string::npos);
}

TEST(EngineShellMethod, StopCancelsTheCall) {
  auto pid_file = std::filesystem::temp_directory_path() /
                  ("cpa-stop-grandchild-" + std::to_string(getpid()) + ".pid");
  auto m = Make(Logic("hang.sh"), {pid_file.string()}, 60000);
  std::stop_source stop;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.request_stop();
  });
  auto out = m.Call("{}", stop.get_token());
  canceller.join();
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("cancelled"), std::string::npos);
  std::filesystem::remove(pid_file);
}

// User logic that leaves a process behind (tests/data/engine/logic/fault-switch.sh): in a
// temporary directory, a mode file, the output ("ok") and the pids of background processes.
class EngineShellMethodBackground : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cpa-shell-bg-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "out") << "ok";
  }
  void TearDown() override {
    for (pid_t pid : Pids()) ::kill(pid, SIGKILL);
    std::filesystem::remove_all(dir_);
  }
  ShellMethod Logic(const std::string& mode, int64_t timeout_ms) {
    std::ofstream(dir_ / "mode") << mode;
    return Make(testing_paths::Logic("fault-switch.sh"),
                {(dir_ / "mode").string(), (dir_ / "out").string(), (dir_ / "pids").string()},
                timeout_ms);
  }
  std::vector<pid_t> Pids() const {
    std::vector<pid_t> pids;
    std::ifstream in(dir_ / "pids");
    for (pid_t pid = 0; in >> pid;) pids.push_back(pid);
    return pids;
  }
  void ExpectAllGone() const {
    for (pid_t pid : Pids()) {
      EXPECT_TRUE(testing_support::WaitUntil([&] { return testing_support::ProcessGone(pid); }))
          << "background process " << pid << " outlived the call";
    }
  }
  std::filesystem::path dir_;
};

// `sleep 1000 &` keeps the pipe open after the script exits: stdout never ends, so the call ends
// at the timeout (not at the end of the sleep), says why, and the sleep dies with the group.
TEST_F(EngineShellMethodBackground, ProcessHoldingTheOutputEndsAtTheTimeoutWithAClearError) {
  auto m = Logic("holds-output", 300);
  const auto started = std::chrono::steady_clock::now();
  auto out = m.Call("{}", {});
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(out.error().message.find("timed out after 300 ms"), std::string::npos);
  EXPECT_NE(out.error().message.find("exited, but a process it left running still holds its "
                                     "output open"),
            std::string::npos)
      << out.error().message;
  EXPECT_LT(took, std::chrono::seconds(5));
  ASSERT_EQ(Pids().size(), 1u);
  ExpectAllGone();
}

// A background process that closed its output does not hold the call: it succeeds with the
// output, and the process is killed with the call's process group instead of running on.
TEST_F(EngineShellMethodBackground, ProcessThatClosedItsOutputIsKilledWhenTheCallEnds) {
  auto m = Logic("closes-output", 5000);
  auto out = m.Call("{}", {});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "ok");
  ASSERT_EQ(Pids().size(), 1u);
  ExpectAllGone();
}

// When cpa is PID 1 of its container (or a subreaper), the background processes it kills were
// adopted by it: they are reaped too, so no zombie accumulates over many calls. The test process
// stands in for PID 1 by becoming a subreaper.
TEST_F(EngineShellMethodBackground, AdoptedProcessesAreReapedNotLeftAsZombies) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  struct Restore {
    ~Restore() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
  } restore;
  for (int i = 0; i < 10; ++i) {
    auto closes = Logic("closes-output", 5000);
    EXPECT_TRUE(closes.Call("{}", {}));
    auto holds = Logic("holds-output", 100);
    EXPECT_FALSE(holds.Call("{}", {}));
  }
  EXPECT_EQ(Pids().size(), 20u);
  EXPECT_EQ(testing_support::CountChildProcesses(::getpid()), 0)
      << "processes of the calls left as children (zombies) of the process";
  ExpectAllGone();
}

}  // namespace
}  // namespace cpa::engine
