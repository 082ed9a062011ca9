#include "store/schema.h"

#include <string>

#include <fmt/format.h>

#include "store/number.h"

namespace cpa::store {
namespace {

// Version 2, the current layout.
//  - autoscalers/series give each (autoscaler, resource, metric) a small integer id; a point row
//    is (autoscaler_id, ts, series_id, value, text) in a WITHOUT ROWID table clustered by
//    autoscaler and time: a run's points (one per pod) land on the same page, so a commit
//    writes few pages, a window of an autoscaler is one contiguous index range, and age
//    retention deletes from the start of that range.
//  - points.text is NULL when the raw text is exactly the canonical form of value (the common
//    case), which halves the row size; it is read back as FormatNumber(value).
//  - evaluations, predictions and decisions are clustered the same way, keyed by (autoscaler,
//    ms): the downscale stabilization max is one short range of the evaluations table, and a
//    run's commit touches one page per table. A second record in the same millisecond replaces
//    the first.
constexpr const char* kCreateV2 = R"sql(
CREATE TABLE autoscalers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  autoscaler_id INTEGER NOT NULL REFERENCES autoscalers (id),
  resource TEXT NOT NULL,
  metric TEXT NOT NULL,
  UNIQUE (autoscaler_id, metric, resource)
);
CREATE TABLE points (
  autoscaler_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  value REAL,
  text TEXT,
  PRIMARY KEY (autoscaler_id, ts, series_id)
) WITHOUT ROWID;
CREATE TABLE evaluations (
  autoscaler_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  target_replicas INTEGER NOT NULL,
  PRIMARY KEY (autoscaler_id, ts)
) WITHOUT ROWID;
CREATE TABLE predictions (
  autoscaler_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  model TEXT NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (autoscaler_id, ts, model)
) WITHOUT ROWID;
CREATE TABLE decisions (
  autoscaler_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  current_replicas INTEGER,
  raw_target INTEGER,
  stabilized_target INTEGER,
  applied INTEGER NOT NULL,
  run_type TEXT NOT NULL,
  error TEXT,
  PRIMARY KEY (autoscaler_id, ts)
) WITHOUT ROWID;
CREATE TRIGGER evaluations_delete_predictions AFTER DELETE ON evaluations BEGIN
  DELETE FROM predictions WHERE autoscaler_id = old.autoscaler_id AND ts = old.ts;
END;
)sql";

// Version 1 -> 2: metric text becomes a series named "value" (what user logic produced) with the
// number parsed as the engine parses it now; v1 decisions had one target, which was both the
// raw and the stabilized target; v1 only recorded scheduled runs ("scaler").
constexpr const char* kMigrateV1ToV2 = R"sql(
ALTER TABLE metrics RENAME TO v1_metrics;
ALTER TABLE evaluations RENAME TO v1_evaluations;
ALTER TABLE decisions RENAME TO v1_decisions;
DROP INDEX IF EXISTS metrics_by_time;
DROP INDEX IF EXISTS evaluations_by_time;
DROP INDEX IF EXISTS decisions_by_time;
)sql";

constexpr const char* kCopyV1 = R"sql(
INSERT INTO autoscalers (name)
  SELECT autoscaler FROM v1_metrics UNION SELECT autoscaler FROM v1_evaluations
  UNION SELECT autoscaler FROM v1_decisions ORDER BY 1;
INSERT INTO series (autoscaler_id, resource, metric)
  SELECT DISTINCT a.id, m.resource, 'value' FROM v1_metrics m JOIN autoscalers a ON a.name = m.autoscaler
  ORDER BY a.id, m.resource;
INSERT OR REPLACE INTO points (autoscaler_id, ts, series_id, value, text)
  SELECT a.id, m.ts, s.id, cpa_number(m.value), cpa_extra_text(m.value)
  FROM v1_metrics m JOIN autoscalers a ON a.name = m.autoscaler
  JOIN series s ON s.autoscaler_id = a.id AND s.resource = m.resource AND s.metric = 'value'
  ORDER BY m.rowid;
INSERT OR REPLACE INTO evaluations (autoscaler_id, ts, target_replicas)
  SELECT a.id, e.ts, e.target_replicas FROM v1_evaluations e JOIN autoscalers a ON a.name = e.autoscaler
  ORDER BY e.rowid;
INSERT OR REPLACE INTO decisions (autoscaler_id, ts, current_replicas, raw_target, stabilized_target, applied,
                       run_type, error)
  SELECT a.id, d.ts, d.current_replicas, d.target_replicas, d.target_replicas, d.applied != 0,
         'scaler', NULL
  FROM v1_decisions d JOIN autoscalers a ON a.name = d.autoscaler ORDER BY d.rowid;
DROP TABLE v1_metrics;
DROP TABLE v1_evaluations;
DROP TABLE v1_decisions;
)sql";

std::string_view ArgText(sqlite3_value* arg) {
  const unsigned char* text = sqlite3_value_text(arg);
  if (text == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(text),
                          static_cast<size_t>(sqlite3_value_bytes(arg)));
}

void NumberFunction(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  auto value = ParseNumber(ArgText(argv[0]));
  if (value) {
    sqlite3_result_double(context, *value);
  } else {
    sqlite3_result_null(context);
  }
}

void ExtraTextFunction(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  std::string_view text = ArgText(argv[0]);
  auto value = ParseNumber(text);
  if (value && FormatNumber(*value) == text) {
    sqlite3_result_null(context);
  } else {
    sqlite3_result_text64(context, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
}

Status SetVersion(Db& db, int64_t version) {
  return db.Exec(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};",
                             kApplicationId, version));
}

}  // namespace

Status RegisterStoreFunctions(Db& db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function_v2(db.handle(), "cpa_number", 1, kFlags, nullptr, NumberFunction,
                                      nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db.handle(), "cpa_extra_text", 1, kFlags, nullptr,
                                    ExtraTextFunction, nullptr, nullptr, nullptr);
  }
  if (rc != SQLITE_OK) return std::unexpected(db.LastError("register SQL functions", rc));
  return OkStatus();
}

Status MigrateSchema(Db& db, int64_t from_version) {
  if (from_version == 0) {
    CPA_RETURN_IF_ERROR(db.Exec(kCreateV2));
    return SetVersion(db, kSchemaVersion);
  }
  if (from_version == 1) {
    Status step = db.Exec(kMigrateV1ToV2);
    if (step) step = db.Exec(kCreateV2);
    if (step) step = db.Exec(kCopyV1);
    if (step) step = SetVersion(db, 2);
    if (!step) return std::unexpected(step.error().WithContext("upgrading schema 1 to 2"));
    return OkStatus();
  }
  if (from_version == kSchemaVersion) return OkStatus();
  return MakeErrorF(ErrorCode::kFailedPrecondition,
                    "store \"{}\": no migration from schema version {} to {}", db.path(),
                    from_version, kSchemaVersion);
}

}  // namespace cpa::store
