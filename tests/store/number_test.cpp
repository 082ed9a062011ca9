#include "store/number.h"

#include <gtest/gtest.h>

namespace cpa::store {
namespace {

TEST(StoreNumberTest, ParsesDecimalAndScientificWithSurroundingSpace) {
  EXPECT_EQ(ParseNumber("3"), 3.0);
  EXPECT_EQ(ParseNumber(" 2.5\n"), 2.5);
  EXPECT_EQ(ParseNumber("-1e3"), -1000.0);
  EXPECT_EQ(ParseNumber("+4"), 4.0);
  EXPECT_EQ(ParseNumber(".5"), 0.5);
}

TEST(StoreNumberTest, RejectsWhatIsNotAFiniteNumber) {
  for (const char* text : {"", " ", "12abc", "0x10", "nan", "inf", "-inf", "1e999", "1 2", "+-1",
                           "{\"a\":1}", "--1"}) {
    EXPECT_EQ(ParseNumber(text), std::nullopt) << text;
  }
}

TEST(StoreNumberTest, FormatIsShortestRoundTrip) {
  EXPECT_EQ(FormatNumber(3.0), "3");
  EXPECT_EQ(FormatNumber(0.1), "0.1");
  EXPECT_EQ(FormatNumber(-2.5), "-2.5");
  EXPECT_EQ(ParseNumber(FormatNumber(1.0 / 3.0)), 1.0 / 3.0);
}

}  // namespace
}  // namespace cpa::store
