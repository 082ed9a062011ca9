#include "common/error.h"

#include <gtest/gtest.h>

namespace cpa {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return MakeErrorF(ErrorCode::kInvalidArgument, "{} is odd", v);
  return v / 2;
}

Status HalfTwice(int v) {
  auto once = Half(v);
  CPA_RETURN_IF_ERROR(once);
  CPA_RETURN_IF_ERROR(Half(*once));
  return OkStatus();
}

TEST(CommonError, CarriesCodeAndMessage) {
  auto r = Half(3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().ToString(), "invalid_argument: 3 is odd");
}

TEST(CommonError, ReturnIfErrorPropagatesFirstFailure) {
  EXPECT_TRUE(HalfTwice(8));
  auto s = HalfTwice(6);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "3 is odd");
}

TEST(CommonError, ContextKeepsCode) {
  Error e{ErrorCode::kUnavailable, "connection refused"};
  Error c = e.WithContext("get scale");
  EXPECT_EQ(c.code, ErrorCode::kUnavailable);
  EXPECT_EQ(c.message, "get scale: connection refused");
  EXPECT_TRUE(c.Retryable());
  EXPECT_FALSE((Error{ErrorCode::kConflict, ""}).Retryable());
}

TEST(CommonError, EveryCodeHasADistinctName) {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    names.insert(ErrorCodeName(static_cast<ErrorCode>(c)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(ErrorCode::kInternal) + 1);
}

}  // namespace
}  // namespace cpa
