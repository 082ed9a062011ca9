#include "common/log.h"

#include <gtest/gtest.h>

#include <thread>

namespace cpa::log {
namespace {

TEST(CommonLog, VerbosityGatesDetail) {
  LogCapture capture;
  SetVerbosity(1);
  V(1, "shown {}", 1);
  V(2, "hidden {}", 2);
  Info("always");
  SetVerbosity(0);
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("DEBUG shown 1"), std::string::npos);
  EXPECT_NE(lines[1].find("INFO always"), std::string::npos);
}

TEST(CommonLog, OneLinePerEvent) {
  LogCapture capture;
  Error("user logic wrote\nTraceback\n  line 2");
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find('\n'), std::string::npos);
  EXPECT_NE(lines[0].find("ERROR user logic wrote\\nTraceback\\n  line 2"), std::string::npos);
}

TEST(CommonLog, ScopedContextNamesTheAutoscalerOnItsThreadOnly) {
  LogCapture capture;
  {
    ScopedContext context("autoscaler default/web");
    Warning("metric stderr: boom");
    Info("autoscaler default/web: scaled");  // already names it: not repeated
    EXPECT_EQ(CurrentContext(), "autoscaler default/web");
    std::thread([] { Info("from another thread"); }).join();
  }
  Info("after");
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[0].find("WARN autoscaler default/web: metric stderr: boom"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("INFO autoscaler default/web: scaled"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[1].find("default/web: autoscaler"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("INFO from another thread"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("INFO after"), std::string::npos) << lines[3];
  EXPECT_EQ(CurrentContext(), "");
}

TEST(CommonLog, VerbosityIsClamped) {
  SetVerbosity(9);
  EXPECT_EQ(Verbosity(), 4);
  SetVerbosity(-1);
  EXPECT_EQ(Verbosity(), 0);
}

}  // namespace
}  // namespace cpa::log
