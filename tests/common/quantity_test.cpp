#include "common/quantity.h"

#include <gtest/gtest.h>

namespace cpa {
namespace {

struct QuantityCase {
  const char* text;
  int64_t milli;
};

class CommonQuantity : public testing::TestWithParam<QuantityCase> {};

TEST_P(CommonQuantity, ParsesToMilliUnits) {
  auto q = Quantity::Parse(GetParam().text);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->MilliValue(), GetParam().milli);
}

INSTANTIATE_TEST_SUITE_P(Grammar, CommonQuantity,
                         testing::Values(QuantityCase{"500m", 500}, QuantityCase{"2", 2000},
                                         QuantityCase{"1.5", 1500}, QuantityCase{"1k", 1'000'000},
                                         QuantityCase{"1Ki", 1'024'000},
                                         QuantityCase{"128Mi", 134'217'728'000},
                                         QuantityCase{"2e3", 2'000'000},
                                         QuantityCase{"100n", 1},  // rounds up like MilliValue
                                         QuantityCase{"-1", -1000}, QuantityCase{"+3", 3000},
                                         QuantityCase{".5", 500}, QuantityCase{"0", 0}));

TEST(CommonQuantityErrors, NameTheInput) {
  for (const char* bad : {"", "m", "5x", "1.2.3", "abc", "5e"}) {
    auto q = Quantity::Parse(bad);
    ASSERT_FALSE(q) << bad;
    EXPECT_NE(q.error().message.find(std::string("\"") + bad + "\""), std::string::npos);
  }
}

TEST(CommonQuantityFormat, Canonical) {
  EXPECT_EQ(Quantity::FromMilli(2000).ToString(), "2");
  EXPECT_EQ(Quantity::FromMilli(1500).ToString(), "1500m");
}

}  // namespace
}  // namespace cpa
