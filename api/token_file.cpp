#include "api/token_file.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "common/log.h"

namespace cpa::api {
namespace {

std::string_view Trim(std::string_view s) {
  const char* kSpace = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

bool IEqualsPrefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

Result<std::string> TokenFile::Current() {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(path_, ec);
  auto size = ec ? 0 : std::filesystem::file_size(path_, ec);
  if (ec) {
    loaded_ = false;
    return MakeErrorF(ErrorCode::kUnauthenticated, "auth token file {} cannot be read: {}",
                      path_.string(), ec.message());
  }
  if (!loaded_ || mtime != mtime_ || size != size_) {
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
      loaded_ = false;
      return MakeErrorF(ErrorCode::kUnauthenticated, "auth token file {} cannot be read",
                        path_.string());
    }
    token_ = std::string(Trim(text.str()));
    mtime_ = mtime;
    size_ = size;
    loaded_ = true;
    log::V(1, "api: auth token loaded from {}", path_.string());
  }
  if (token_.empty()) {
    return MakeErrorF(ErrorCode::kUnauthenticated, "auth token file {} is empty", path_.string());
  }
  return token_;
}

Status TokenFile::Check(std::string_view authorization) {
  std::lock_guard lock(mu_);
  auto token = Current();
  if (!token) {
    log::Error("api: {}; refusing requests that need the token", token.error().message);
    return MakeError(ErrorCode::kUnauthenticated, "authentication is not available");
  }
  constexpr std::string_view kScheme = "Bearer ";
  if (!IEqualsPrefix(authorization, kScheme)) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "missing bearer token: send 'Authorization: Bearer <token>'");
  }
  if (!ConstantTimeEquals(Trim(authorization.substr(kScheme.size())), *token)) {
    return MakeError(ErrorCode::kUnauthenticated, "invalid bearer token");
  }
  return OkStatus();
}

}  // namespace cpa::api
