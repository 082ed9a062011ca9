#include "kube/error_text.h"

#include <fmt/format.h>

namespace cpa::kube {

std::string DescribeHttpError(httplib::Error error, const std::string& ca_description) {
  switch (error) {
    case httplib::Error::Success:
      return "no error";
    case httplib::Error::Connection:
      return "cannot connect: connection refused, or the host is unreachable or unknown";
    case httplib::Error::BindIPAddress:
      return "cannot bind the local address for the connection";
    case httplib::Error::Read:
      return "the connection failed or timed out while reading the response";
    case httplib::Error::Write:
      return "the connection failed while sending the request";
    case httplib::Error::ExceedRedirectCount:
      return "too many redirects";
    case httplib::Error::Canceled:
      return "the request was cancelled";
    case httplib::Error::SSLConnection:
      return "the TLS handshake failed (is it an https:// server on that port? does it accept "
             "TLS 1.2 or newer?)";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the CA bundle or the client certificate and key (check the files exist, "
             "are PEM, and that the key matches the certificate)";
    case httplib::Error::SSLServerVerification:
      return fmt::format(
          "the server's certificate is not signed by {} (or does not name this host); set the "
          "cluster's certificate-authority, or fix the server address",
          ca_description);
    case httplib::Error::UnsupportedMultipartBoundaryChars:
      return "unsupported multipart boundary";
    case httplib::Error::Compression:
      return "cannot decompress the response";
    case httplib::Error::ConnectionTimeout:
      return "timed out connecting to the server";
    default:
      return fmt::format("request failed ({})", httplib::to_string(error));
  }
}

std::string DescribeTrustedCa(const ConnectionConfig& config) {
  if (!config.ca_file.empty()) return fmt::format("the CA in {}", config.ca_file);
  if (!config.ca_data.empty()) {
    return fmt::format("the certificate-authority-data of {}",
                       config.source.empty() ? "the config" : config.source);
  }
  return "the system's trusted CAs";
}

std::string DescribeCredentials(const ConnectionConfig& config) {
  const std::string from = config.source.empty() ? "" : fmt::format(" ({})", config.source);
  if (!config.token_file.empty()) {
    return fmt::format("bearer token from file {}{}", config.token_file, from);
  }
  if (!config.token.empty()) return fmt::format("bearer token{}", from);
  if (!config.client_cert_file.empty()) {
    return fmt::format("client certificate {}{}", config.client_cert_file, from);
  }
  if (!config.client_cert_data.empty()) return fmt::format("client certificate data{}", from);
  return fmt::format("no credentials{}", from);
}

}  // namespace cpa::kube
