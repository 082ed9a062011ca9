// Helpers shared by the store tests: temporary directories and run builders.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/records.h"

namespace cpa::store::testing {

// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cpa-store-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline TimePoint Ms(int64_t ms) {
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms)));
}

inline RunRecord MetricRun(std::string autoscaler, int64_t ms, std::string resource,
                           std::string text, std::string metric = "value") {
  RunRecord run;
  run.autoscaler = std::move(autoscaler);
  run.time = Ms(ms);
  run.metrics.push_back(
      MetricPoint::FromText(std::move(resource), std::move(metric), std::move(text)));
  return run;
}

inline RunRecord EvaluationRun(std::string autoscaler, int64_t ms, int64_t target) {
  RunRecord run;
  run.autoscaler = std::move(autoscaler);
  run.time = Ms(ms);
  run.evaluation = Evaluation{target, {}};
  return run;
}

}  // namespace cpa::store::testing
