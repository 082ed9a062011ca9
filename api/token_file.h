// The bearer token the API requires, read from a file (apiConfig.authTokenFile).
//
// The token is the file's content with surrounding whitespace trimmed. The file is re-read when
// its modification time or size changes, so a rotated Secret takes effect without a restart.
// Fail closed: an unreadable or empty file matches no request. Check() compares in constant
// time. Thread-safe.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "common/error.h"

namespace cpa::api {

class TokenFile {
 public:
  explicit TokenFile(std::filesystem::path path) : path_(std::move(path)) {}

  // OK when `authorization` (the whole header value) is "Bearer <token>" with the file's token;
  // kUnauthenticated otherwise, with a message that never quotes the token.
  Status Check(std::string_view authorization);

 private:
  Result<std::string> Current();  // mu_ held

  std::filesystem::path path_;
  std::mutex mu_;
  std::string token_;
  std::filesystem::file_time_type mtime_{};
  std::uintmax_t size_ = static_cast<std::uintmax_t>(-1);
  bool loaded_ = false;
};

// Equal strings, in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace cpa::api
