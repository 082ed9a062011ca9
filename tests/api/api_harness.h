// Shared pieces for API tests: a temp dir, an autoscaler over an in-memory cluster with canned
// user logic, and a server on a loopback port picked by the kernel.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "api/api_server.h"
#include "engine/autoscaler.h"
#include "tests/engine/memory_cluster.h"
#include "tests/engine/test_paths.h"

namespace cpa::api::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("cpa-api-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const {
    auto p = path_ / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

// Per-resource autoscaler of Deployment `name`: the metric is the metric input echoed back
// (so tests see the runType), the evaluation is read from `evaluation_file`.
inline config::Config MakeConfig(const std::string& name, const std::string& evaluation_file) {
  config::Config c;
  c.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", name};
  c.run_mode = config::RunMode::kPerResource;
  c.min_replicas = 1;
  c.max_replicas = 10;
  c.metric.type = "shell";
  c.metric.shell =
      config::ShellMethodConfig{engine::testing_paths::Logic("echo-input.sh"), {}, false};
  c.evaluate.type = "shell";
  c.evaluate.shell = config::ShellMethodConfig{
      engine::testing_paths::Logic("evaluate-from-env.sh"), {evaluation_file}, false};
  return c;
}

inline config::ApiConfig LoopbackApi() {
  config::ApiConfig api;
  api.host = "127.0.0.1";
  api.port = 0;
  return api;
}

}  // namespace cpa::api::testing
