// kubeconfig `users[].user.exec` credential plugins, as kubectl runs them (`aws eks get-token`,
// `gke-gcloud-auth-plugin`, `kubelogin`).
//
// RunExecPlugin() starts `command args...` with the kubeconfig's `env` added to ours and
// KUBERNETES_EXEC_INFO set (an ExecCredential with spec.interactive=false and, when
// provideClusterInfo is set, spec.cluster), stdin from /dev/null, and reads an ExecCredential of
// apiVersion client.authentication.k8s.io/v1 or v1beta1 from its stdout. A plugin that exits
// non-zero, prints something that is not such an ExecCredential, or runs longer than the timeout
// (its process group is then killed and reaped) is an error naming the plugin.
// ExecCredentialProvider caches the returned token or client certificate until its
// expirationTimestamp (an injected Clock decides) and runs the plugin again when it expired or
// after Invalidate() (the server answered 401). Thread-safe: one plugin run at a time; callers
// waiting meanwhile get its result.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/error.h"

namespace cpa::kube {

// users[].user.exec of a kubeconfig.
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 | v1beta1
  std::string command;      // resolved against the kubeconfig's directory when it contains '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string interactive_mode;  // Never | IfAvailable | Always ("" = v1beta1's IfAvailable)
  bool provide_cluster_info = false;
  std::string install_hint;  // shown when the command cannot be started
  std::chrono::milliseconds timeout{30000};

  // apiVersion known, command set, interactiveMode valid (required by v1). Errors name the key.
  Status Validate() const;
};

// What the plugin handed back.
struct ExecCredential {
  std::string token;
  std::string client_certificate_pem;
  std::string client_key_pem;
  std::optional<TimePoint> expiration;  // unset = valid until the server rejects it
};

// The cluster block of KUBERNETES_EXEC_INFO (sent only with provideClusterInfo).
struct ExecClusterInfo {
  std::string server;
  std::string certificate_authority_pem;
  bool insecure_skip_tls_verify = false;
};

// The JSON put into KUBERNETES_EXEC_INFO.
std::string ExecInfoJson(const ExecConfig& config, const ExecClusterInfo& cluster);

// Parses the plugin's stdout. `plugin` names it in errors.
Result<ExecCredential> ParseExecCredential(std::string_view output, const ExecConfig& config);

// Runs the plugin once (see the file comment).
Result<ExecCredential> RunExecPlugin(const ExecConfig& config, const ExecClusterInfo& cluster);

class ExecCredentialProvider {
 public:
  ExecCredentialProvider(ExecConfig config, ExecClusterInfo cluster,
                         const Clock& clock = SystemClock::Instance());

  // The cached credential while it has not expired, else a fresh one from the plugin.
  Result<ExecCredential> Get();
  // The server rejected `used`: the next Get() runs the plugin again (unless another caller
  // already replaced that credential).
  void Invalidate(const ExecCredential& used);
  // Plugin runs so far (tests).
  int runs() const;

 private:
  const ExecConfig config_;
  const ExecClusterInfo cluster_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::optional<ExecCredential> cached_;
  int runs_ = 0;
};

}  // namespace cpa::kube
