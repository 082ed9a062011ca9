#include "engine/methods/shell_method.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/engine/test_paths.h"

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
  auto pid_file = std::filesystem::temp_directory_path() / "cpa-hang-grandchild.pid";
  std::filesystem::remove(pid_file);
  auto m = Make(Logic("hang.sh"), {pid_file.string()}, 300);
  auto out = m.Call("{}", {});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(out.error().message.find("timed out after 300 ms"), std::string::npos);
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
  auto pid_file = std::filesystem::temp_directory_path() / "cpa-stop-grandchild.pid";
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

}  // namespace
}  // namespace cpa::engine
