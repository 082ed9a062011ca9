// Thin RAII over the SQLite C API for the store: a connection with a cache of prepared statements.
//
// A Db is used by one thread at a time (the owner serializes access with its own mutex).
// Statements are prepared once per SQL text and reset after each use. Every failure is returned
// as an Error that carries SQLite's message and the file path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include "common/error.h"

namespace cpa::store {

class Db;

// A prepared statement borrowed from a Db's cache; reset and unbound when it goes out of scope.
class Stmt {
 public:
  Stmt(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }

  // Parameters are 1-based, as in SQLite.
  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, double value);
  Stmt& Bind(int index, std::string_view value);
  Stmt& Bind(int index, std::optional<double> value);
  Stmt& Bind(int index, std::optional<int64_t> value);
  Stmt& BindNull(int index);

  // Advances: true when a row is available, false when done.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  Status Run();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;
  std::optional<double> OptionalDouble(int column) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
};

class Db {
 public:
  // `flags` as sqlite3_open_v2. `path` ":memory:" opens a private in-memory database.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, int flags);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements without results (parsed each time: DDL, PRAGMAs).
  Status Exec(std::string_view sql);
  // Runs one statement without results through the prepared-statement cache (BEGIN, COMMIT...).
  Status Run(std::string_view sql);
  // A cached prepared statement for `sql`.
  Result<Stmt> Prepare(std::string_view sql);
  // Runs a one-row, one-integer query (PRAGMA user_version, count(*) ...).
  Result<int64_t> QueryInt(std::string_view sql);

  int64_t Changes() const { return sqlite3_changes64(db_); }
  int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

  // An Error for the last failure on this connection, prefixed with `what`.
  Error LastError(std::string_view what, int rc) const;
  // True when the file at path() is no longer the one this connection has open (moved, replaced
  // or deleted): what is written then would be lost with the process.
  bool FileHasMoved() const;
  // Drops the pages this connection caches, so the next statement reads the file as it is now.
  // After an error: a cached damaged page would otherwise be served again even once the file is
  // repaired (with no commit, nothing tells SQLite that the file changed).
  void DropCache() { sqlite3_db_release_memory(db_); }

 private:
  // " (<strerror>)" for I/O failures that carry a system error, else "".
  std::string SystemErrorSuffix(int rc) const;
  // The errno of the last failed system call on this connection's files (0: none known).
  int SystemErrno() const;
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  // Keyed by SQL text; looked up by string_view without allocating.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> statements_;
};

// Maps an SQLite result code to the project's error codes.
ErrorCode ErrorCodeForSqlite(int rc);

}  // namespace cpa::store
