#include "kube/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/json.h"

namespace cpa::kube {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeErrorF(ErrorCode::kNotFound, "cannot read {}", path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool BoolMember(const JsonValue& object, std::string_view key) {
  const JsonValue* v = FindMember(object, key);
  if (v == nullptr) return false;
  if (v->IsBool()) return v->GetBool();
  if (v->IsString()) return std::string_view(v->GetString()) == "true";
  return false;
}

// Finds `{name: <name>, <field>: {...}}` in the list `list_key` of a kubeconfig.
const JsonValue* NamedEntry(const JsonValue& root, std::string_view list_key, std::string_view name,
                            std::string_view field) {
  const JsonValue* list = FindMember(root, list_key);
  if (list == nullptr || !list->IsArray()) return nullptr;
  for (const auto& entry : list->GetArray()) {
    if (StringMember(entry, "name") == name) {
      const JsonValue* inner = FindMember(entry, field);
      return inner != nullptr && inner->IsObject() ? inner : nullptr;
    }
  }
  return nullptr;
}

std::string Resolve(const fs::path& base, const std::string& path) {
  if (path.empty()) return path;
  fs::path p(path);
  if (p.is_absolute()) return path;
  return (base / p).lexically_normal().string();
}

std::optional<std::string> SystemGetenv(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// users[].user.exec; a command with a '/' is relative to the kubeconfig's directory, as in
// client-go (a bare name is looked up in $PATH).
Result<ExecConfig> ParseExecConfig(const JsonValue& exec, const fs::path& base) {
  if (!exec.IsObject()) return MakeError(ErrorCode::kInvalidArgument, "exec is not a mapping");
  ExecConfig config;
  config.api_version = StringMember(exec, "apiVersion");
  config.command = StringMember(exec, "command");
  if (config.command.find('/') != std::string::npos) config.command = Resolve(base, config.command);
  if (const JsonValue* args = FindMember(exec, "args"); args != nullptr) {
    if (!args->IsArray()) return MakeError(ErrorCode::kInvalidArgument, "exec.args is not a list");
    for (const auto& arg : args->GetArray()) {
      if (!arg.IsString()) {
        return MakeError(ErrorCode::kInvalidArgument, "exec.args has a non-string item");
      }
      config.args.emplace_back(arg.GetString(), arg.GetStringLength());
    }
  }
  if (const JsonValue* env = FindMember(exec, "env"); env != nullptr && !env->IsNull()) {
    if (!env->IsArray()) return MakeError(ErrorCode::kInvalidArgument, "exec.env is not a list");
    for (const auto& item : env->GetArray()) {
      std::string name = item.IsObject() ? StringMember(item, "name") : "";
      if (name.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "exec.env item without a name");
      }
      config.env.emplace_back(std::move(name), StringMember(item, "value"));
    }
  }
  config.interactive_mode = StringMember(exec, "interactiveMode");
  config.provide_cluster_info = BoolMember(exec, "provideClusterInfo");
  config.install_hint = StringMember(exec, "installHint");
  CPA_RETURN_IF_ERROR(config.Validate());
  return config;
}

}  // namespace

Status ConnectionConfig::Validate() const {
  if (server.rfind("https://", 0) != 0 && server.rfind("http://", 0) != 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "server \"{}\" must start with https:// or http://", server);
  }
  const bool has_cert = !client_cert_file.empty() || !client_cert_data.empty();
  const bool has_key = !client_key_file.empty() || !client_key_data.empty();
  if (has_cert != has_key) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "client certificate and client key must be given together");
  }
  if (!ca_file.empty() && !ca_data.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "certificate-authority and certificate-authority-data are exclusive");
  }
  if (exec) CPA_RETURN_IF_ERROR(exec->Validate());
  return OkStatus();
}

Result<std::string> DecodeBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    int v = value(c);
    if (v < 0 || padding) return MakeError(ErrorCode::kInvalidArgument, "invalid base64 data");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return MakeError(ErrorCode::kInvalidArgument, "truncated base64 data");
  return out;
}

std::string EncodeBase64(std::string_view in) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kTable[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {kTable[(v >> 18) & 63], kTable[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {kTable[(v >> 18) & 63], kTable[(v >> 12) & 63], kTable[(v >> 6) & 63], '='};
  }
  return out;
}

Result<ConnectionConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error());
  auto doc = ParseYaml(*text);
  if (!doc) return std::unexpected(doc.error().WithContext(fmt::format("kubeconfig {}", path)));
  const JsonValue& root = *doc;
  if (!root.IsObject()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "kubeconfig {}: not a mapping", path);
  }
  std::string context_name = context.empty() ? StringMember(root, "current-context") : context;
  if (context_name.empty()) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "kubeconfig {}: no context given and no current-context", path);
  }
  const JsonValue* ctx = NamedEntry(root, "contexts", context_name, "context");
  if (ctx == nullptr) {
    return MakeErrorF(ErrorCode::kNotFound, "kubeconfig {}: context \"{}\" not found", path,
                      context_name);
  }
  const std::string cluster_name = StringMember(*ctx, "cluster");
  const JsonValue* cluster = NamedEntry(root, "clusters", cluster_name, "cluster");
  if (cluster == nullptr) {
    return MakeErrorF(ErrorCode::kNotFound, "kubeconfig {}: cluster \"{}\" not found", path,
                      cluster_name);
  }
  const fs::path base = fs::path(path).parent_path();
  ConnectionConfig config;
  config.source = fmt::format("kubeconfig:{}#{}", path, context_name);
  config.server = StringMember(*cluster, "server");
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  config.ca_file = Resolve(base, StringMember(*cluster, "certificate-authority"));
  if (auto data = StringMember(*cluster, "certificate-authority-data"); !data.empty()) {
    auto decoded = DecodeBase64(data);
    if (!decoded) {
      return std::unexpected(decoded.error().WithContext("certificate-authority-data"));
    }
    config.ca_data = std::move(*decoded);
    config.ca_file.clear();  // data wins over a file, as in client-go
  }
  config.insecure_skip_tls_verify = BoolMember(*cluster, "insecure-skip-tls-verify");

  const std::string user_name = StringMember(*ctx, "user");
  if (!user_name.empty()) {
    const JsonValue* user = NamedEntry(root, "users", user_name, "user");
    if (user == nullptr) {
      return MakeErrorF(ErrorCode::kNotFound, "kubeconfig {}: user \"{}\" not found", path,
                        user_name);
    }
    const bool has_static = !StringMember(*user, "token").empty() ||
                            !StringMember(*user, "tokenFile").empty() ||
                            !StringMember(*user, "client-certificate").empty() ||
                            !StringMember(*user, "client-certificate-data").empty();
    if (FindMember(*user, "auth-provider") != nullptr && !has_static) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "kubeconfig {}: user \"{}\" uses a legacy auth-provider plugin, which "
                        "cpa does not run; use an exec plugin, a token, token file or client "
                        "certificate",
                        path, user_name);
    }
    if (const JsonValue* exec = FindMember(*user, "exec"); exec != nullptr && !has_static) {
      auto parsed = ParseExecConfig(*exec, base);
      if (!parsed) {
        return std::unexpected(
            parsed.error().WithContext(fmt::format("kubeconfig {}: user \"{}\"", path, user_name)));
      }
      config.exec = std::move(*parsed);
    }
    config.token = StringMember(*user, "token");
    config.token_file = Resolve(base, StringMember(*user, "tokenFile"));
    config.client_cert_file = Resolve(base, StringMember(*user, "client-certificate"));
    config.client_key_file = Resolve(base, StringMember(*user, "client-key"));
    for (auto [key, target, file] :
         {std::tuple{"client-certificate-data", &config.client_cert_data, &config.client_cert_file},
          std::tuple{"client-key-data", &config.client_key_data, &config.client_key_file}}) {
      if (auto data = StringMember(*user, key); !data.empty()) {
        auto decoded = DecodeBase64(data);
        if (!decoded) return std::unexpected(decoded.error().WithContext(key));
        *target = std::move(*decoded);
        file->clear();
      }
    }
  }
  if (auto ns = StringMember(*ctx, "namespace"); !ns.empty()) config.namespace_ = ns;
  if (auto valid = config.Validate(); !valid) {
    return std::unexpected(valid.error().WithContext(fmt::format("kubeconfig {}", path)));
  }
  return config;
}

Result<ConnectionConfig> LoadInClusterConfig(const LoadOptions& options) {
  auto getenv = options.getenv ? options.getenv : SystemGetenv;
  auto host = getenv("KUBERNETES_SERVICE_HOST");
  auto port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return MakeError(ErrorCode::kNotFound,
                     "not in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set");
  }
  const fs::path dir(options.service_account_dir);
  ConnectionConfig config;
  config.source = "in-cluster";
  // An IPv6 service host must be bracketed in a URL.
  std::string h = host->find(':') != std::string::npos ? "[" + *host + "]" : *host;
  config.server = fmt::format("https://{}:{}", h, *port);
  config.token_file = (dir / "token").string();
  std::error_code ec;
  if (!fs::exists(config.token_file, ec)) {
    return MakeErrorF(ErrorCode::kNotFound, "in-cluster token file {} does not exist",
                      config.token_file);
  }
  if (fs::exists(dir / "ca.crt", ec)) config.ca_file = (dir / "ca.crt").string();
  if (auto ns = ReadFile((dir / "namespace").string()); ns && !ns->empty()) {
    std::string n = *ns;
    while (!n.empty() && (n.back() == '\n' || n.back() == ' ')) n.pop_back();
    if (!n.empty()) config.namespace_ = n;
  }
  return config;
}

Result<ConnectionConfig> LoadConnectionConfig(const LoadOptions& options) {
  auto getenv = options.getenv ? options.getenv : SystemGetenv;
  if (!options.kubeconfig_path.empty()) {
    return LoadKubeconfig(options.kubeconfig_path, options.context);
  }
  if (auto env = getenv("KUBECONFIG"); env && !env->empty()) {
    // client-go merges the files of the list; we use the first that exists.
    std::string_view list = *env;
    while (!list.empty()) {
      size_t colon = list.find(':');
      std::string item(list.substr(0, colon));
      list = colon == std::string_view::npos ? std::string_view() : list.substr(colon + 1);
      std::error_code ec;
      if (!item.empty() && fs::exists(item, ec)) return LoadKubeconfig(item, options.context);
    }
    return MakeErrorF(ErrorCode::kNotFound, "no file of KUBECONFIG={} exists", *env);
  }
  auto in_cluster = LoadInClusterConfig(options);
  if (in_cluster) {
    if (!options.context.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--context needs a kubeconfig; none was found (running in-cluster)");
    }
    return in_cluster;
  }
  if (auto home = getenv("HOME"); home && !home->empty()) {
    std::string path = (fs::path(*home) / ".kube" / "config").string();
    std::error_code ec;
    if (fs::exists(path, ec)) return LoadKubeconfig(path, options.context);
  }
  return MakeError(ErrorCode::kNotFound,
                   "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, run in a "
                   "cluster, or create ~/.kube/config");
}

}  // namespace cpa::kube
