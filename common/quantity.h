// Kubernetes resource quantities ("500m", "1.5", "128Mi", "2e3").
//
// The grammar is the API's: <signed decimal number><suffix>, where the suffix is binary SI
// (Ki Mi Gi Ti Pi Ei), decimal SI (n u m "" k M G T P E) or a decimal exponent (e3, E-2).
// Values are kept exactly as milli-units (int64) like resource.Quantity's MilliValue(), rounding
// up fractions of a milli-unit as the API does. Immutable value type; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace cpa {

class Quantity {
 public:
  Quantity() = default;
  static Result<Quantity> Parse(std::string_view text);
  static Quantity FromMilli(int64_t milli);

  int64_t MilliValue() const { return milli_; }
  double Value() const { return static_cast<double>(milli_) / 1000.0; }
  // Canonical text: whole numbers plain ("2"), otherwise milli-units ("1500m").
  std::string ToString() const;

  friend bool operator==(const Quantity&, const Quantity&) = default;

 private:
  int64_t milli_ = 0;
};

}  // namespace cpa
