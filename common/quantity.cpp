#include "common/quantity.h"

#include <cctype>
#include <cmath>
#include <limits>

namespace cpa {
namespace {

struct Suffix {
  std::string_view text;
  long double multiplier;
};

constexpr Suffix kSuffixes[] = {
    {"Ki", 1024.0L},
    {"Mi", 1024.0L * 1024},
    {"Gi", 1024.0L * 1024 * 1024},
    {"Ti", 1024.0L * 1024 * 1024 * 1024},
    {"Pi", 1024.0L * 1024 * 1024 * 1024 * 1024},
    {"Ei", 1024.0L * 1024 * 1024 * 1024 * 1024 * 1024},
    {"n", 1e-9L},
    {"u", 1e-6L},
    {"m", 1e-3L},
    {"", 1.0L},
    {"k", 1e3L},
    {"M", 1e6L},
    {"G", 1e9L},
    {"T", 1e12L},
    {"P", 1e15L},
    {"E", 1e18L},
};

}  // namespace

Result<Quantity> Quantity::Parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid quantity \"{}\": {}", text, why);
  };
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  long double mantissa = 0;
  long double scale = 1;
  bool digits = false;
  bool dot = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
      mantissa = mantissa * 10 + (c - '0');
      if (dot) scale *= 10;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digits) return bad("expected a number such as 500m, 2 or 1Gi");
  std::string_view suffix = text.substr(i);
  long double multiplier = 0;
  if (!suffix.empty() && (suffix[0] == 'e' || suffix[0] == 'E') && suffix.size() > 1) {
    std::string exp(suffix.substr(1));
    char* end = nullptr;
    long e = std::strtol(exp.c_str(), &end, 10);
    if (end == nullptr || *end != '\0' || exp.empty()) return bad("bad exponent");
    multiplier = std::pow(10.0L, static_cast<long double>(e));
  } else {
    for (const auto& s : kSuffixes) {
      if (s.text == suffix) multiplier = s.multiplier;
    }
    if (multiplier == 0) return bad(fmt::format("unknown suffix \"{}\"", suffix));
  }
  long double milli = mantissa / scale * multiplier * 1000.0L;
  if (milli > static_cast<long double>(std::numeric_limits<int64_t>::max() / 2)) {
    return bad("too large");
  }
  // Round up to a whole milli-unit, as resource.Quantity.MilliValue() does; absorb binary noise.
  long double rounded = std::ceil(milli - 1e-9L);
  Quantity q;
  q.milli_ = static_cast<int64_t>(rounded) * (negative ? -1 : 1);
  return q;
}

Quantity Quantity::FromMilli(int64_t milli) {
  Quantity q;
  q.milli_ = milli;
  return q;
}

std::string Quantity::ToString() const {
  if (milli_ % 1000 == 0) return fmt::format("{}", milli_ / 1000);
  return fmt::format("{}m", milli_);
}

}  // namespace cpa
