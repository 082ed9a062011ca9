// Where the Kubernetes API server is and how to authenticate to it.
//
// LoadConnectionConfig() resolves, in order: an explicit kubeconfig path (flag `--kubeconfig`,
// with an optional `--context`), $KUBECONFIG (the first existing file of a ':'-separated list),
// in-cluster service-account credentials (KUBERNETES_SERVICE_HOST/PORT plus
// /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}), then ~/.kube/config.
// The result is a plain value: the file system is read while loading (and, for a token file,
// again by the transport when the token rotates), never afterwards. All functions are
// thread-safe; they read the environment through the `Environment` given in LoadOptions.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "kube/exec_credential.h"

namespace cpa::kube {

struct ConnectionConfig {
  std::string server;  // "https://10.0.0.1:443" or "http://127.0.0.1:8080"
  // Server verification: a CA file, or CA PEM data, or neither (system trust store).
  std::string ca_file;
  std::string ca_data;  // PEM (already base64-decoded from certificate-authority-data)
  bool insecure_skip_tls_verify = false;
  // Bearer token, given directly or as a file re-read when it changes (service-account rotation).
  std::string token;
  std::string token_file;
  // Client certificate for mTLS, as files or PEM data.
  std::string client_cert_file;
  std::string client_cert_data;
  std::string client_key_file;
  std::string client_key_data;
  // An exec credential plugin (users[].user.exec), used when the user has no token, token file
  // or client certificate of its own: its token or client certificate authenticates requests.
  std::optional<ExecConfig> exec;
  // Default namespace of the context ("default" when the context names none).
  std::string namespace_ = "default";
  // Where the settings came from: "kubeconfig:<path>#<context>", "in-cluster", "explicit".
  std::string source;

  // Per-request timeouts (a call may ask for its own).
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};

  // The server URL parses, and certificate/key come in pairs.
  Status Validate() const;
};

struct LoadOptions {
  std::string kubeconfig_path;  // --kubeconfig (empty = not given)
  std::string context;          // --context (empty = the file's current-context)
  // Environment lookup; defaults to getenv. Tests inject their own.
  std::function<std::optional<std::string>(std::string_view)> getenv;
  // Directory of the in-cluster service account (tests point it at a temp dir).
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// Resolves the configuration in the documented order. kNotFound when no source exists.
Result<ConnectionConfig> LoadConnectionConfig(const LoadOptions& options);

// Reads one kubeconfig file (YAML or JSON); `context` empty = current-context. Relative file
// paths inside it are resolved against the file's directory, as kubectl does.
Result<ConnectionConfig> LoadKubeconfig(const std::string& path, const std::string& context);

// In-cluster configuration from the environment and the service-account directory.
Result<ConnectionConfig> LoadInClusterConfig(const LoadOptions& options);

// RFC 4648 base64 (whitespace ignored); kInvalidArgument on bad input.
Result<std::string> DecodeBase64(std::string_view text);
// RFC 4648 base64 with padding (certificate-authority-data and the like).
std::string EncodeBase64(std::string_view data);

}  // namespace cpa::kube
