// Connection and authentication failures in words a person can act on, instead of library enum
// names: "the server's certificate is not signed by the CA in /etc/ca.pem" rather than
// "SSLServerVerification"; a 401 or 403 names the credential that was used and where it came
// from. Pure functions; thread-safe.
#pragma once

#include <string>

#include <httplib.h>

#include "kube/config.h"

namespace cpa::kube {

// What went wrong in a request that got no HTTP response. `ca_description` says which CAs were
// trusted ("the CA in /path", "the system's trusted CAs"), for certificate failures.
std::string DescribeHttpError(httplib::Error error, const std::string& ca_description);

// "the CA in <file>", "the CA data of <source>", or "the system's trusted CAs".
std::string DescribeTrustedCa(const ConnectionConfig& config);

// The credential a request carried and where it came from, e.g. "bearer token from file
// /var/run/secrets/kubernetes.io/serviceaccount/token (in-cluster)" or "no credentials".
std::string DescribeCredentials(const ConnectionConfig& config);

}  // namespace cpa::kube
