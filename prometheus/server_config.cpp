#include "prometheus/server_config.h"

#include <unistd.h>

#include <fmt/format.h>

namespace cpa::prometheus {

std::vector<ServerConfig::Problem> ServerConfig::Validate() const {
  std::vector<Problem> out;
  if (address.empty()) {
    out.push_back({"address", "is required (e.g. \"http://prometheus:9090\")"});
  } else if (address.rfind("http://", 0) != 0 && address.rfind("https://", 0) != 0) {
    out.push_back(
        {"address", fmt::format("must start with http:// or https://, got \"{}\"", address)});
  } else {
    std::string_view rest = address;
    rest.remove_prefix(rest.find("://") + 3);
    if (rest.empty() || rest.front() == '/') {
      out.push_back({"address", fmt::format("has no host: \"{}\"", address)});
    }
  }
  if (timeout_ms <= 0) {
    out.push_back({"timeout", fmt::format("must be > 0 (milliseconds), got {}", timeout_ms)});
  }
  auto readable = [&](const std::string& file, const char* field) {
    if (!file.empty() && ::access(file.c_str(), R_OK) != 0) {
      out.push_back({field, fmt::format("file \"{}\" does not exist or is not readable", file)});
    }
  };
  readable(bearer_token_file, "bearerTokenFile");
  readable(ca_file, "caFile");
  for (const auto& [name, value] : headers) {
    if (name.empty() || name.find_first_of(":\r\n ") != std::string::npos) {
      out.push_back({"headers", fmt::format("bad header name \"{}\"", name)});
    }
    if (value.find_first_of("\r\n") != std::string::npos) {
      out.push_back({"headers." + name, "must not contain a line break"});
    }
  }
  return out;
}

}  // namespace cpa::prometheus
