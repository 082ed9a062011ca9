#include "store/sqlite_db.h"

#include <cstring>

#include <fmt/format.h>

namespace cpa::store {

ErrorCode ErrorCodeForSqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::kDataLoss;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return ErrorCode::kPermissionDenied;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
      return ErrorCode::kUnavailable;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return ErrorCode::kInvalidArgument;
    default:
      return ErrorCode::kInternal;
  }
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, int flags) {
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close_v2(handle);
    return MakeErrorF(ErrorCodeForSqlite(rc), "cannot open store file \"{}\": {}", path, message);
  }
  sqlite3_extended_result_codes(handle, 1);
  return std::unique_ptr<Db>(new Db(handle, path));
}

Db::~Db() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

std::string Db::SystemErrorSuffix(int rc) const {
  // SQLite's messages for I/O faults are generic ("disk I/O error"); the system's says which.
  switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      break;
    default:
      return "";
  }
  const int e = SystemErrno();
  return e != 0 ? fmt::format(" ({})", std::strerror(e)) : "";
}

int Db::SystemErrno() const {
  if (int e = sqlite3_system_errno(db_); e != 0) return e;
  // SQLite records the errno of a failed write in the file that failed: the database file, or
  // (most writes, in WAL mode) the write-ahead log.
  int last = 0;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_LAST_ERRNO, &last) == SQLITE_OK && last != 0) {
    return last;
  }
  sqlite3_file* journal = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &journal) == SQLITE_OK &&
      journal != nullptr && journal->pMethods != nullptr &&
      journal->pMethods->xFileControl(journal, SQLITE_FCNTL_LAST_ERRNO, &last) == SQLITE_OK) {
    return last;
  }
  return 0;
}

Error Db::LastError(std::string_view what, int rc) const {
  return Error{ErrorCodeForSqlite(rc), fmt::format("store \"{}\": {}: {}{}", path_, what,
                                                   sqlite3_errmsg(db_), SystemErrorSuffix(rc))};
}

bool Db::FileHasMoved() const {
  int moved = 0;
  return sqlite3_file_control(db_, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK &&
         moved != 0;
}

Status Db::Exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
    detail += SystemErrorSuffix(rc);
    sqlite3_free(message);
    return MakeErrorF(ErrorCodeForSqlite(rc), "store \"{}\": {}", path_, detail);
  }
  return OkStatus();
}

Status Db::Run(std::string_view sql) {
  auto stmt = Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Run();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return Stmt(this, it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(LastError("prepare", rc));
  statements_.emplace(std::string(sql), stmt);
  return Stmt(this, stmt);
}

Result<int64_t> Db::QueryInt(std::string_view sql) {
  auto stmt = Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return MakeErrorF(ErrorCode::kInternal, "store \"{}\": no row for {}", path_, sql);
  return stmt->Int(0);
}

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Stmt& Stmt::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Stmt& Stmt::Bind(int index, std::string_view value) {
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Stmt& Stmt::Bind(int index, std::optional<double> value) {
  return value ? Bind(index, *value) : BindNull(index);
}
Stmt& Stmt::Bind(int index, std::optional<int64_t> value) {
  return value ? Bind(index, *value) : BindNull(index);
}
Stmt& Stmt::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(db_->LastError("query", rc));
}

Status Stmt::Run() {
  while (true) {
    auto row = Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return OkStatus();
  }
}

bool Stmt::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
int64_t Stmt::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Stmt::Double(int column) const { return sqlite3_column_double(stmt_, column); }
std::string Stmt::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}
std::optional<int64_t> Stmt::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}
std::optional<double> Stmt::OptionalDouble(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Double(column);
}

}  // namespace cpa::store
