// The simulated cluster served live over the Kubernetes API (`cpa sim`): an in-memory API server
// (kube/fake) mirrors the simulation's Deployment, pods and metrics-server answers, and scale
// requests made through the API (by `cpa run`, kubectl, anyone) drive the simulation.
//
// The caller advances simulated time with Step(t) (at real or accelerated speed); the server's
// clock is the simulation's wall time, so timestamps it writes agree with the simulation. The
// server serves requests on its own threads; Step() is called from one thread. Start() before
// Step(); the destructor stops the server.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "experiments/sim_api.h"
#include "experiments/simulation.h"
#include "kube/fake/fake_api_server.h"

namespace cpa::experiments {

class LiveCluster {
 public:
  LiveCluster(SimulationOptions simulation, kube::fake::FakeApiServerOptions server);
  ~LiveCluster();

  // Creates the Deployment and starts serving.
  Status Start();
  // Applies a spec.replicas changed through the API, advances the simulation to `t` seconds
  // since the start and mirrors pods, their status and the latest metrics into the server.
  Status Step(double t);
  void Stop();

  std::string url() const { return server_->url(); }
  // A kubeconfig for the server (namespace default; the token when the server requires one).
  std::string Kubeconfig() const;
  const Simulation& simulation() const { return sim_; }

 private:
  Status MirrorPods();
  void MirrorMetrics();

  kube::fake::FakeApiServerOptions server_options_;
  ManualClock clock_;
  Simulation sim_;
  SimApi api_;
  std::unique_ptr<kube::fake::FakeApiServer> server_;
  std::map<std::string, bool> mirrored_;  // pod name -> ready as mirrored
  double last_scrape_s_ = -1;
};

}  // namespace cpa::experiments
