// A contender: one autoscaler as the experiment runs it — a cpa config (engine::Autoscaler runs
// it through its stages and store, as `cpa run` does) plus, optionally, in-process methods that
// replace the config's metric/evaluate (the 2020 PHPA's legacy semantics wrap the hpa evaluator).
//
// Setup() is called once per run and must return fresh state (methods are not shared between
// runs, which run concurrently on different threads). A contender may ask to be rebuilt once at
// refit_at_s() with what its store holds by then (the fitted PHPA fits on its first day).
// Implementations are immutable after construction; thread-safe.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "engine/cluster.h"
#include "engine/config/config.h"
#include "engine/methods/method.h"
#include "kube/client.h"
#include "store/store.h"

namespace cpa::experiments {

// The simulated cluster and clock of one run, for contenders whose methods read them.
struct RunEnvironment {
  kube::Api& api;
  engine::Cluster& cluster;
  Clock& clock;
  store::Store& store;
};

struct ContenderSetup {
  config::Config config;
  std::unique_ptr<engine::Method> metric;    // null: the config's
  std::unique_ptr<engine::Method> evaluate;  // null: the config's
  std::string note;                          // for the report (e.g. fitted parameters)
};

class Contender {
 public:
  explicit Contender(std::string name) : name_(std::move(name)) {}
  virtual ~Contender() = default;
  const std::string& name() const { return name_; }
  // One line for the report.
  virtual std::string Describe() const = 0;
  virtual Result<ContenderSetup> Setup(const RunEnvironment& env) const = 0;
  // Seconds into the run at which Refit() replaces the setup (0: never).
  virtual double refit_at_s() const { return 0; }
  // The setup to continue with, from the history the run stored so far under `autoscaler`.
  virtual Result<ContenderSetup> Refit(const RunEnvironment& env,
                                       const std::string& /*autoscaler*/) const {
    return Setup(env);
  }

 private:
  std::string name_;
};

// A contender from a cpa config text (a user's config file, or a built-in's rendered config).
class ConfigContender final : public Contender {
 public:
  ConfigContender(std::string name, std::string config_text, std::string source,
                  std::string description);
  std::string Describe() const override { return description_; }
  Result<ContenderSetup> Setup(const RunEnvironment& env) const override;
  // The config alone (validation before any run).
  Result<config::Config> Config() const;

 private:
  std::string text_;
  std::string source_;
  std::string description_;
};

// Loads a cpa config text (validated as `cpa run` validates it, env overrides off) as a contender
// config: the scale target becomes the simulated Deployment default/web, the REST API is
// disabled and the store is in memory.
Result<config::Config> LoadContenderConfig(std::string_view text, const std::string& source);

}  // namespace cpa::experiments
