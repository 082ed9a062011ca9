#include "store/sqlite_store.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "common/log.h"
#include "store/number.h"
#include "store/schema.h"
#include "store/sqlite_db.h"

namespace cpa::store {
namespace {

constexpr const char* kMemoryPath = ":memory:";

// Steps through the rows of one autoscaler in `query`'s window. `sql` is "SELECT ... FROM <table>
// WHERE autoscaler_id = ?1" plus any conditions on ?5 and up, which `bind_extra` binds; the window
// (?2, ?3) and the order are appended here: oldest first, or with query.last the newest `last`
// rows newest first (callers reverse them). `on_row` sees the statement on each row.
Status ForEachRowInWindow(Db& db, std::string sql, int64_t autoscaler_id, const Query& query,
                          const std::function<void(Stmt&)>& bind_extra,
                          const std::function<void(Stmt&)>& on_row) {
  const bool last = query.last > 0;
  sql += last ? " AND ts >= ?2 AND ts < ?3 ORDER BY ts DESC LIMIT ?4"
              : " AND ts >= ?2 AND ts < ?3 ORDER BY ts";
  auto select = db.Prepare(sql);
  if (!select) return std::unexpected(select.error());
  select->Bind(1, autoscaler_id)
      .Bind(2, ToMillis(query.window.from))
      .Bind(3, ToMillisCeil(query.window.to));
  if (last) select->Bind(4, static_cast<int64_t>(query.last));
  if (bind_extra) bind_extra(*select);
  while (true) {
    auto row = select->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return OkStatus();
    on_row(*select);
  }
}

// Runs `body` inside BEGIN/COMMIT on `db`; rolls back when it fails.
template <typename F>
auto InTransaction(Db& db, const char* begin, F&& body) -> decltype(body()) {
  if (auto st = db.Run(begin); !st) return std::unexpected(st.error());
  auto result = body();
  if (!result) {
    (void)db.Run("ROLLBACK");
    return result;
  }
  if (auto st = db.Run("COMMIT"); !st) {
    (void)db.Run("ROLLBACK");
    return std::unexpected(st.error());
  }
  return result;
}

struct SeriesKey {
  int64_t autoscaler_id;
  std::string resource;
  std::string metric;
  bool operator<(const SeriesKey& o) const {
    return std::tie(autoscaler_id, resource, metric) <
           std::tie(o.autoscaler_id, o.resource, o.metric);
  }
};

// Rows of the evaluations or decisions table belong to one "series" per autoscaler for count
// retention; points belong to their series id.
enum class Table { kPoints, kEvaluations, kDecisions };

class SqliteStore final : public Store {
 public:
  SqliteStore(StoreOptions options, std::unique_ptr<Db> writer, std::unique_ptr<Db> reader)
      : options_(std::move(options)), writer_(std::move(writer)), reader_(std::move(reader)) {}

  ~SqliteStore() override {
    reader_.reset();
    writer_.reset();
  }

  Status Record(std::span<const RunRecord> runs) override;
  Result<std::vector<std::string>> ListAutoscalers() override;
  Result<std::vector<SeriesInfo>> ListSeries(std::string_view autoscaler) override;
  Result<std::vector<Sample>> Values(const SeriesRef& series, const Query& query) override;
  Result<std::optional<double>> Aggregate(const SeriesRef& series, const Window& window,
                                          Extreme extreme) override;
  Result<std::vector<EvaluationRow>> Evaluations(std::string_view autoscaler,
                                                 const Query& query) override;
  Result<std::vector<DecisionRow>> Decisions(std::string_view autoscaler,
                                             const Query& query) override;
  Result<StoreStats> Stats() override;
  std::string Location() const override {
    return options_.path.empty() ? std::string("memory") : options_.path;
  }

 private:
  // Write side (writer_ under write_mu_).
  Result<int64_t> AutoscalerIdForWrite(const std::string& name);
  Result<int64_t> SeriesIdForWrite(int64_t autoscaler_id, const std::string& resource,
                                   const std::string& metric);
  Status WriteRun(const RunRecord& run, int64_t autoscaler_id, int64_t ts);
  Status InsertPoint(int64_t autoscaler_id, int64_t series_id, int64_t ts,
                     const MetricPoint& point);
  Status EnforceRetention(const std::map<int64_t, int64_t>& newest_by_autoscaler);
  Status TrimByAge(int64_t autoscaler_id, int64_t cutoff);
  Status TrimTableByAge(const char* table, int64_t autoscaler_id, int64_t cutoff);
  // `key` is the series id for points, the autoscaler id otherwise.
  Status TrimByCount(Table table, int64_t key, int64_t autoscaler_id);
  Result<int64_t> CountOf(Table table, int64_t key, int64_t autoscaler_id);
  void ForgetCaches();

  // Read side: runs `body(db)` in a read transaction on the read connection (or the writer's in
  // memory mode).
  template <typename F>
  auto Read(F&& body) -> decltype(body(std::declval<Db&>()));

  Result<std::optional<int64_t>> AutoscalerIdForRead(Db& db, std::string_view name);
  // The metric series a SeriesRef names (one, or every resource of the metric).
  struct MetricSeriesSet {
    int64_t autoscaler_id = 0;
    std::unordered_map<int64_t, std::string> resources;  // series id -> resource
  };
  Result<MetricSeriesSet> MetricSeriesForRead(Db& db, const SeriesRef& ref);
  Result<std::vector<Sample>> MetricValues(Db& db, const MetricSeriesSet& set, const Query& query);
  Result<std::vector<Sample>> ColumnValues(Db& db, int64_t autoscaler_id, const SeriesRef& ref,
                                           const Query& query);

  const StoreOptions options_;

  std::mutex write_mu_;
  std::unique_ptr<Db> writer_;
  std::unordered_map<std::string, int64_t> autoscaler_ids_;
  std::map<SeriesKey, int64_t> series_ids_;
  // Row counts for count retention (loaded lazily, exact while this is the only writer).
  std::map<std::pair<Table, int64_t>, int64_t> counts_;
  std::map<int64_t, std::set<int64_t>> touched_series_;  // per batch: autoscaler -> series

  std::mutex read_mu_;
  std::unique_ptr<Db> reader_;  // null in memory mode
};

// ---------------------------------------------------------------------------------- writing

Result<int64_t> SqliteStore::AutoscalerIdForWrite(const std::string& name) {
  if (auto it = autoscaler_ids_.find(name); it != autoscaler_ids_.end()) return it->second;
  auto select = writer_->Prepare("SELECT id FROM autoscalers WHERE name = ?1");
  if (!select) return std::unexpected(select.error());
  select->Bind(1, name);
  auto row = select->Step();
  if (!row) return std::unexpected(row.error());
  int64_t id = 0;
  if (*row) {
    id = select->Int(0);
  } else {
    auto insert = writer_->Prepare("INSERT INTO autoscalers (name) VALUES (?1)");
    if (!insert) return std::unexpected(insert.error());
    CPA_RETURN_IF_ERROR(insert->Bind(1, name).Run());
    id = writer_->LastInsertRowId();
  }
  autoscaler_ids_.emplace(name, id);
  return id;
}

Result<int64_t> SqliteStore::SeriesIdForWrite(int64_t autoscaler_id, const std::string& resource,
                                              const std::string& metric) {
  SeriesKey key{autoscaler_id, resource, metric};
  if (auto it = series_ids_.find(key); it != series_ids_.end()) return it->second;
  auto select = writer_->Prepare(
      "SELECT id FROM series WHERE autoscaler_id = ?1 AND metric = ?2 AND resource = ?3");
  if (!select) return std::unexpected(select.error());
  select->Bind(1, autoscaler_id).Bind(2, metric).Bind(3, resource);
  auto row = select->Step();
  if (!row) return std::unexpected(row.error());
  int64_t id = 0;
  if (*row) {
    id = select->Int(0);
  } else {
    auto insert = writer_->Prepare(
        "INSERT INTO series (autoscaler_id, resource, metric) VALUES (?1, ?2, ?3)");
    if (!insert) return std::unexpected(insert.error());
    CPA_RETURN_IF_ERROR(insert->Bind(1, autoscaler_id).Bind(2, resource).Bind(3, metric).Run());
    id = writer_->LastInsertRowId();
  }
  series_ids_.emplace(std::move(key), id);
  return id;
}

Status SqliteStore::InsertPoint(int64_t autoscaler_id, int64_t series_id, int64_t ts,
                                const MetricPoint& point) {
  // The text is stored only when it is not exactly the canonical form of the number.
  std::optional<std::string_view> text = point.text;
  if (point.value && (point.text.empty() || FormatNumber(*point.value) == point.text)) {
    text.reset();
  }
  auto insert = writer_->Prepare(
      "INSERT OR IGNORE INTO points (autoscaler_id, ts, series_id, value, text) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert) return std::unexpected(insert.error());
  insert->Bind(1, autoscaler_id).Bind(2, ts).Bind(3, series_id).Bind(4, point.value);
  if (text) {
    insert->Bind(5, *text);
  } else {
    insert->BindNull(5);
  }
  CPA_RETURN_IF_ERROR(insert->Run());
  if (writer_->Changes() > 0) {
    if (auto it = counts_.find({Table::kPoints, series_id}); it != counts_.end()) ++it->second;
    return OkStatus();
  }
  // Same series and millisecond as a stored point: the newer value replaces it.
  auto update = writer_->Prepare(
      "UPDATE points SET value = ?4, text = ?5 WHERE autoscaler_id = ?1 AND "
      "ts = ?2 AND series_id = ?3");
  if (!update) return std::unexpected(update.error());
  update->Bind(1, autoscaler_id).Bind(2, ts).Bind(3, series_id).Bind(4, point.value);
  if (text) {
    update->Bind(5, *text);
  } else {
    update->BindNull(5);
  }
  return update->Run();
}

Status SqliteStore::WriteRun(const RunRecord& run, int64_t autoscaler_id, int64_t ts) {
  for (const MetricPoint& point : run.metrics) {
    auto series_id = SeriesIdForWrite(autoscaler_id, point.resource, point.metric);
    if (!series_id) return std::unexpected(series_id.error());
    CPA_RETURN_IF_ERROR(InsertPoint(autoscaler_id, *series_id, ts, point));
    touched_series_[autoscaler_id].insert(*series_id);
  }
  if (run.evaluation) {
    // Same autoscaler and millisecond as a stored evaluation: the newer one replaces it.
    auto insert = writer_->Prepare(
        "INSERT OR IGNORE INTO evaluations (autoscaler_id, ts, target_replicas) VALUES (?1, ?2, "
        "?3)");
    if (!insert) return std::unexpected(insert.error());
    CPA_RETURN_IF_ERROR(
        insert->Bind(1, autoscaler_id).Bind(2, ts).Bind(3, run.evaluation->target_replicas).Run());
    if (writer_->Changes() > 0) {
      if (auto it = counts_.find({Table::kEvaluations, autoscaler_id}); it != counts_.end()) {
        ++it->second;
      }
    } else {
      auto update = writer_->Prepare(
          "UPDATE evaluations SET target_replicas = ?3 WHERE autoscaler_id = ?1 AND ts = ?2");
      if (!update) return std::unexpected(update.error());
      CPA_RETURN_IF_ERROR(update->Bind(1, autoscaler_id)
                              .Bind(2, ts)
                              .Bind(3, run.evaluation->target_replicas)
                              .Run());
      auto clear = writer_->Prepare("DELETE FROM predictions WHERE autoscaler_id = ?1 AND ts = ?2");
      if (!clear) return std::unexpected(clear.error());
      CPA_RETURN_IF_ERROR(clear->Bind(1, autoscaler_id).Bind(2, ts).Run());
    }
    for (const auto& [model, value] : run.evaluation->predictions) {
      auto prediction = writer_->Prepare(
          "INSERT OR REPLACE INTO predictions (autoscaler_id, ts, model, value) VALUES (?1, ?2, "
          "?3, ?4)");
      if (!prediction) return std::unexpected(prediction.error());
      CPA_RETURN_IF_ERROR(
          prediction->Bind(1, autoscaler_id).Bind(2, ts).Bind(3, model).Bind(4, value).Run());
    }
  }
  if (run.decision) {
    const Decision& d = *run.decision;
    auto bind = [&](Stmt& stmt) {
      stmt.Bind(1, autoscaler_id)
          .Bind(2, ts)
          .Bind(3, d.current_replicas)
          .Bind(4, d.raw_target)
          .Bind(5, d.stabilized_target)
          .Bind(6, int64_t{d.applied ? 1 : 0})
          .Bind(7, d.run_type);
      if (d.error.empty()) {
        stmt.BindNull(8);
      } else {
        stmt.Bind(8, d.error);
      }
    };
    auto insert = writer_->Prepare(
        "INSERT OR IGNORE INTO decisions (autoscaler_id, ts, current_replicas, raw_target, "
        "stabilized_target, applied, run_type, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!insert) return std::unexpected(insert.error());
    bind(*insert);
    CPA_RETURN_IF_ERROR(insert->Run());
    if (writer_->Changes() > 0) {
      if (auto it = counts_.find({Table::kDecisions, autoscaler_id}); it != counts_.end()) {
        ++it->second;
      }
    } else {
      auto update = writer_->Prepare(
          "UPDATE decisions SET current_replicas = ?3, raw_target = ?4, stabilized_target = ?5, "
          "applied = ?6, run_type = ?7, error = ?8 WHERE autoscaler_id = ?1 AND ts = ?2");
      if (!update) return std::unexpected(update.error());
      bind(*update);
      CPA_RETURN_IF_ERROR(update->Run());
    }
  }
  return OkStatus();
}

void SqliteStore::ForgetCaches() {
  // A rolled-back transaction may have created ids or changed counts that no longer exist.
  autoscaler_ids_.clear();
  series_ids_.clear();
  counts_.clear();
}

Status SqliteStore::Record(std::span<const RunRecord> runs) {
  if (options_.read_only) {
    return MakeErrorF(ErrorCode::kFailedPrecondition, "store \"{}\" is open read-only", Location());
  }
  if (runs.empty()) return OkStatus();
  std::lock_guard lock(write_mu_);
  if (!options_.path.empty() && writer_->FileHasMoved()) {
    // SQLite would go on writing to the open (now unreachable or deleted) file, and the batch
    // would be lost when the process ends: refuse until the file is back at its path.
    return MakeErrorF(ErrorCode::kUnavailable,
                      "recording a run: store \"{}\": the file was moved, replaced or deleted "
                      "while cpa runs; nothing is written until it is back at that path",
                      Location());
  }
  touched_series_.clear();
  std::map<int64_t, int64_t> newest_by_autoscaler;
  auto status = InTransaction(*writer_, "BEGIN IMMEDIATE", [&]() -> Status {
    for (const RunRecord& run : runs) {
      if (run.autoscaler.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "a run record needs an autoscaler id");
      }
      auto autoscaler_id = AutoscalerIdForWrite(run.autoscaler);
      if (!autoscaler_id) return std::unexpected(autoscaler_id.error());
      int64_t ts = ToMillis(run.time);
      CPA_RETURN_IF_ERROR(WriteRun(run, *autoscaler_id, ts));
      auto [it, inserted] = newest_by_autoscaler.emplace(*autoscaler_id, ts);
      if (!inserted) it->second = std::max(it->second, ts);
    }
    // Retention in a savepoint: its failure is logged and undone, the batch is still committed.
    CPA_RETURN_IF_ERROR(writer_->Run("SAVEPOINT retention"));
    if (auto st = EnforceRetention(newest_by_autoscaler); !st) {
      log::Warning("store \"{}\": retention skipped for this batch: {}", Location(),
                   st.error().ToString());
      counts_.clear();
      CPA_RETURN_IF_ERROR(writer_->Run("ROLLBACK TO retention"));
    }
    return writer_->Run("RELEASE retention");
  });
  if (!status) {
    ForgetCaches();
    writer_->DropCache();
    return std::unexpected(status.error().WithContext("recording a run"));
  }
  return OkStatus();
}

// ---------------------------------------------------------------------------------- retention

Result<int64_t> SqliteStore::CountOf(Table table, int64_t key, int64_t autoscaler_id) {
  if (auto it = counts_.find({table, key}); it != counts_.end()) return it->second;
  const char* sql = table == Table::kPoints
                        ? "SELECT count(*) FROM points WHERE autoscaler_id = ?2 AND series_id = ?1"
                    : table == Table::kEvaluations
                        ? "SELECT count(*) FROM evaluations WHERE autoscaler_id = ?1"
                        : "SELECT count(*) FROM decisions WHERE autoscaler_id = ?1";
  auto count = writer_->Prepare(sql);
  if (!count) return std::unexpected(count.error());
  count->Bind(1, key);
  if (table == Table::kPoints) count->Bind(2, autoscaler_id);
  auto row = count->Step();
  if (!row) return std::unexpected(row.error());
  int64_t n = *row ? count->Int(0) : 0;
  counts_[{table, key}] = n;
  return n;
}

// Deletes the autoscaler's rows of `table` older than `cutoff`, at most `chunk` of them (plus
// rows sharing the last deleted timestamp, so that progress is always made). Each step is an
// index range at the start of the autoscaler's rows.
Status SqliteStore::TrimTableByAge(const char* table, int64_t autoscaler_id, int64_t cutoff) {
  auto bound = writer_->Prepare(fmt::format(
      "SELECT ts FROM {} WHERE autoscaler_id = ?1 AND ts < ?2 ORDER BY ts LIMIT 1 OFFSET ?3",
      table));
  if (!bound) return std::unexpected(bound.error());
  bound->Bind(1, autoscaler_id).Bind(2, cutoff).Bind(3, options_.retention_chunk - 1);
  auto row = bound->Step();
  if (!row) return std::unexpected(row.error());
  // Fewer expired rows than a chunk: all of them; else up to the chunk-th oldest.
  const bool limited = *row;
  const int64_t last = limited ? bound->Int(0) : cutoff;
  const bool count_points =
      std::string_view(table) == "points" && options_.max_points_per_series > 0;
  auto del = writer_->Prepare(
      fmt::format("DELETE FROM {} WHERE autoscaler_id = ?1 AND (ts < ?2 OR (?3 AND ts = ?2)){}",
                  table, count_points ? " RETURNING series_id" : ""));
  if (!del) return std::unexpected(del.error());
  del->Bind(1, autoscaler_id).Bind(2, last).Bind(3, int64_t{limited ? 1 : 0});
  int64_t deleted = 0;
  while (true) {
    auto step = del->Step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    ++deleted;
    if (auto it = counts_.find({Table::kPoints, del->Int(0)}); it != counts_.end()) --it->second;
  }
  if (!count_points) deleted = writer_->Changes();
  Table kind = std::string_view(table) == "evaluations" ? Table::kEvaluations
               : std::string_view(table) == "decisions" ? Table::kDecisions
                                                        : Table::kPoints;
  if (kind != Table::kPoints) {
    if (auto it = counts_.find({kind, autoscaler_id}); it != counts_.end()) it->second -= deleted;
  }
  return OkStatus();
}

Status SqliteStore::TrimByAge(int64_t autoscaler_id, int64_t cutoff) {
  CPA_RETURN_IF_ERROR(TrimTableByAge("points", autoscaler_id, cutoff));
  CPA_RETURN_IF_ERROR(TrimTableByAge("evaluations", autoscaler_id, cutoff));
  return TrimTableByAge("decisions", autoscaler_id, cutoff);
}

Status SqliteStore::TrimByCount(Table table, int64_t key, int64_t autoscaler_id) {
  auto count = CountOf(table, key, autoscaler_id);
  if (!count) return std::unexpected(count.error());
  int64_t excess = *count - options_.max_points_per_series;
  if (excess <= 0) return OkStatus();
  int64_t n = std::min(excess, options_.retention_chunk);
  // Delete the n oldest rows: up to and including the n-th oldest timestamp (for evaluations and
  // decisions, rows sharing that timestamp go together).
  const char* sql =
      table == Table::kPoints
          ? "DELETE FROM points WHERE autoscaler_id = ?3 AND series_id = ?1 AND ts <= (SELECT ts "
            "FROM points WHERE autoscaler_id = ?3 AND series_id = ?1 ORDER BY ts LIMIT 1 OFFSET "
            "?2)"
      : table == Table::kEvaluations
          ? "DELETE FROM evaluations WHERE autoscaler_id = ?1 AND ts <= (SELECT ts FROM "
            "evaluations WHERE autoscaler_id = ?1 ORDER BY ts LIMIT 1 OFFSET ?2)"
          : "DELETE FROM decisions WHERE autoscaler_id = ?1 AND ts <= (SELECT ts FROM decisions "
            "WHERE autoscaler_id = ?1 ORDER BY ts LIMIT 1 OFFSET ?2)";
  auto del = writer_->Prepare(sql);
  if (!del) return std::unexpected(del.error());
  del->Bind(1, key).Bind(2, n - 1);
  if (table == Table::kPoints) del->Bind(3, autoscaler_id);
  CPA_RETURN_IF_ERROR(del->Run());
  counts_[{table, key}] = *count - writer_->Changes();
  return OkStatus();
}

Status SqliteStore::EnforceRetention(const std::map<int64_t, int64_t>& newest_by_autoscaler) {
  for (const auto& [autoscaler_id, newest] : newest_by_autoscaler) {
    if (options_.max_age.count() > 0) {
      CPA_RETURN_IF_ERROR(TrimByAge(autoscaler_id, newest - options_.max_age.count()));
    }
    if (options_.max_points_per_series > 0) {
      for (int64_t series_id : touched_series_[autoscaler_id]) {
        CPA_RETURN_IF_ERROR(TrimByCount(Table::kPoints, series_id, autoscaler_id));
      }
      CPA_RETURN_IF_ERROR(TrimByCount(Table::kEvaluations, autoscaler_id, autoscaler_id));
      CPA_RETURN_IF_ERROR(TrimByCount(Table::kDecisions, autoscaler_id, autoscaler_id));
    }
  }
  return OkStatus();
}

// ---------------------------------------------------------------------------------- reading

template <typename F>
auto SqliteStore::Read(F&& body) -> decltype(body(std::declval<Db&>())) {
  auto read = [&](Db& db) {
    auto result = InTransaction(db, "BEGIN", [&] { return body(db); });
    if (!result) db.DropCache();  // see Db::DropCache
    return result;
  };
  if (reader_ == nullptr) {
    std::lock_guard lock(write_mu_);
    return read(*writer_);
  }
  std::lock_guard lock(read_mu_);
  return read(*reader_);
}

Result<std::optional<int64_t>> SqliteStore::AutoscalerIdForRead(Db& db, std::string_view name) {
  auto select = db.Prepare("SELECT id FROM autoscalers WHERE name = ?1");
  if (!select) return std::unexpected(select.error());
  select->Bind(1, name);
  auto row = select->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(select->Int(0));
}

Result<SqliteStore::MetricSeriesSet> SqliteStore::MetricSeriesForRead(Db& db,
                                                                      const SeriesRef& ref) {
  MetricSeriesSet set;
  auto select = db.Prepare(
      "SELECT s.id, s.resource, a.id FROM autoscalers a JOIN series s ON s.autoscaler_id = a.id "
      "WHERE a.name = ?1 AND s.metric = ?2 AND (?3 = '' OR s.resource = ?3)");
  if (!select) return std::unexpected(select.error());
  select->Bind(1, ref.autoscaler).Bind(2, ref.name).Bind(3, ref.resource);
  while (true) {
    auto row = select->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    set.resources.emplace(select->Int(0), select->Text(1));
    set.autoscaler_id = select->Int(2);
  }
  return set;
}

// One scan of the autoscaler's points in the window (they are clustered by autoscaler and time),
// keeping the rows of the wanted series; for `last`, the scan runs backwards and stops early.
Result<std::vector<Sample>> SqliteStore::MetricValues(Db& db, const MetricSeriesSet& set,
                                                      const Query& query) {
  std::vector<Sample> out;
  if (set.resources.empty()) return out;
  const bool last = query.last > 0;
  const bool single = set.resources.size() == 1;
  std::string sql =
      "SELECT ts, series_id, value, text FROM points WHERE autoscaler_id = ?1 AND "
      "ts >= ?2 AND ts < ?3";
  if (single) sql += " AND series_id = ?4";
  sql += last ? " ORDER BY ts DESC, series_id DESC" : " ORDER BY ts, series_id";
  auto select = db.Prepare(sql);
  if (!select) return std::unexpected(select.error());
  select->Bind(1, set.autoscaler_id)
      .Bind(2, ToMillis(query.window.from))
      .Bind(3, ToMillisCeil(query.window.to));
  if (single) select->Bind(4, set.resources.begin()->first);
  while (!last || out.size() < query.last) {
    auto row = select->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    auto it = set.resources.find(select->Int(1));
    if (it == set.resources.end()) continue;
    Sample s;
    s.time = FromMillis(select->Int(0));
    s.value = select->OptionalDouble(2);
    if (!select->IsNull(3)) {
      s.text = select->Text(3);
    } else if (s.value) {
      s.text = FormatNumber(*s.value);
    }
    s.resource = it->second;
    out.push_back(std::move(s));
  }
  if (last) std::reverse(out.begin(), out.end());
  // Same instant: by resource name (the scan ordered them by series id). One series has one row
  // per instant, already in time order.
  if (!single) {
    std::stable_sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) {
      return std::tie(a.time, a.resource) < std::tie(b.time, b.resource);
    });
  }
  return out;
}

Result<std::vector<Sample>> SqliteStore::ColumnValues(Db& db, int64_t autoscaler_id,
                                                      const SeriesRef& ref, const Query& query) {
  std::string sql;
  switch (ref.kind) {
    case SeriesKind::kEvaluationTarget:
      sql = "SELECT ts, target_replicas FROM evaluations WHERE autoscaler_id = ?1";
      break;
    case SeriesKind::kPrediction:
      sql = "SELECT ts, value FROM predictions WHERE model = ?5 AND autoscaler_id = ?1";
      break;
    case SeriesKind::kDecisionCurrent:
      sql = "SELECT ts, current_replicas FROM decisions WHERE autoscaler_id = ?1";
      break;
    case SeriesKind::kDecisionRawTarget:
      sql = "SELECT ts, raw_target FROM decisions WHERE autoscaler_id = ?1";
      break;
    case SeriesKind::kDecisionStabilizedTarget:
      sql = "SELECT ts, stabilized_target FROM decisions WHERE autoscaler_id = ?1";
      break;
    case SeriesKind::kMetric:
      return MakeError(ErrorCode::kInternal, "metric series are not a column");
  }
  std::vector<Sample> out;
  auto bind_model = [&](Stmt& select) {
    if (ref.kind == SeriesKind::kPrediction) select.Bind(5, ref.name);
  };
  CPA_RETURN_IF_ERROR(
      ForEachRowInWindow(db, std::move(sql), autoscaler_id, query, bind_model, [&](Stmt& select) {
        Sample s;
        s.time = FromMillis(select.Int(0));
        s.value = select.OptionalDouble(1);
        if (s.value) s.text = FormatNumber(*s.value);
        out.push_back(std::move(s));
      }));
  if (query.last > 0) std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> SqliteStore::ListAutoscalers() {
  return Read([&](Db& db) -> Result<std::vector<std::string>> {
    auto select = db.Prepare("SELECT name FROM autoscalers ORDER BY name");
    if (!select) return std::unexpected(select.error());
    std::vector<std::string> names;
    while (true) {
      auto row = select->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      names.push_back(select->Text(0));
    }
    return names;
  });
}

Result<std::vector<SeriesInfo>> SqliteStore::ListSeries(std::string_view autoscaler) {
  return Read([&](Db& db) -> Result<std::vector<SeriesInfo>> {
    auto select = db.Prepare(
        "SELECT s.id, s.resource, s.metric FROM autoscalers a JOIN series s ON s.autoscaler_id "
        "= a.id WHERE a.name = ?1 ORDER BY s.metric, s.resource");
    if (!select) return std::unexpected(select.error());
    select->Bind(1, autoscaler);
    std::vector<std::tuple<int64_t, std::string, std::string>> series;
    while (true) {
      auto row = select->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      series.emplace_back(select->Int(0), select->Text(1), select->Text(2));
    }
    std::map<int64_t, std::tuple<int64_t, int64_t, int64_t>> extents;  // id -> count, min, max
    auto extent = db.Prepare(
        "SELECT p.series_id, count(*), min(p.ts), max(p.ts) FROM autoscalers a JOIN points p ON "
        "p.autoscaler_id = a.id WHERE a.name = ?1 GROUP BY p.series_id");
    if (!extent) return std::unexpected(extent.error());
    extent->Bind(1, autoscaler);
    while (true) {
      auto row = extent->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      extents[extent->Int(0)] = {extent->Int(1), extent->Int(2), extent->Int(3)};
    }
    std::vector<SeriesInfo> out;
    for (auto& [id, resource, metric] : series) {
      auto it = extents.find(id);
      if (it == extents.end()) continue;  // emptied by retention
      auto [count, first, last] = it->second;
      out.push_back(SeriesInfo{std::move(resource), std::move(metric), count, FromMillis(first),
                               FromMillis(last)});
    }
    return out;
  });
}

Result<std::vector<Sample>> SqliteStore::Values(const SeriesRef& series, const Query& query) {
  return Read([&](Db& db) -> Result<std::vector<Sample>> {
    if (series.kind != SeriesKind::kMetric) {
      auto id = AutoscalerIdForRead(db, series.autoscaler);
      if (!id) return std::unexpected(id.error());
      if (!*id) return std::vector<Sample>{};
      return ColumnValues(db, **id, series, query);
    }
    auto set = MetricSeriesForRead(db, series);
    if (!set) return std::unexpected(set.error());
    return MetricValues(db, *set, query);
  });
}

Result<std::optional<double>> SqliteStore::Aggregate(const SeriesRef& series, const Window& window,
                                                     Extreme extreme) {
  const char* fn = extreme == Extreme::kMax ? "max" : "min";
  const int64_t from = ToMillis(window.from);
  const int64_t to = ToMillisCeil(window.to);
  return Read([&](Db& db) -> Result<std::optional<double>> {
    std::vector<int64_t> keys;
    std::string sql;
    int64_t series_id = 0;
    if (series.kind == SeriesKind::kMetric) {
      auto set = MetricSeriesForRead(db, series);
      if (!set) return std::unexpected(set.error());
      if (set->resources.empty()) return std::optional<double>();
      if (set->resources.size() > 1) {
        // Every resource of a metric: one scan of the window, filtered here.
        auto values = MetricValues(db, *set, Query{window, 0});
        if (!values) return std::unexpected(values.error());
        std::optional<double> best;
        for (const Sample& v : *values) {
          if (v.value &&
              (!best || (extreme == Extreme::kMax ? *v.value > *best : *v.value < *best))) {
            best = v.value;
          }
        }
        return best;
      }
      keys.push_back(set->autoscaler_id);
      series_id = set->resources.begin()->first;
      sql = fmt::format(
          "SELECT {}(value) FROM points WHERE autoscaler_id = ?1 AND ts >= ?2 AND ts < ?3 AND "
          "series_id = ?4",
          fn);
    } else {
      auto id = AutoscalerIdForRead(db, series.autoscaler);
      if (!id) return std::unexpected(id.error());
      if (*id) keys.push_back(**id);
      switch (series.kind) {
        case SeriesKind::kEvaluationTarget:
          sql = fmt::format(
              "SELECT {}(target_replicas) FROM evaluations WHERE autoscaler_id = ?1 AND ts >= ?2 "
              "AND ts < ?3",
              fn);
          break;
        case SeriesKind::kPrediction:
          sql = fmt::format(
              "SELECT {}(value) FROM predictions WHERE autoscaler_id = ?1 AND ts >= ?2 AND ts < ?3 "
              "AND model = ?4",
              fn);
          break;
        default: {
          const char* column = series.kind == SeriesKind::kDecisionCurrent ? "current_replicas"
                               : series.kind == SeriesKind::kDecisionRawTarget
                                   ? "raw_target"
                                   : "stabilized_target";
          sql = fmt::format(
              "SELECT {}({}) FROM decisions WHERE autoscaler_id = ?1 AND ts >= ?2 AND ts < ?3", fn,
              column);
        }
      }
    }
    std::optional<double> best;
    for (int64_t key : keys) {
      auto select = db.Prepare(sql);
      if (!select) return std::unexpected(select.error());
      select->Bind(1, key).Bind(2, from).Bind(3, to);
      if (series.kind == SeriesKind::kPrediction) select->Bind(4, series.name);
      if (series.kind == SeriesKind::kMetric) select->Bind(4, series_id);
      auto row = select->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row || select->IsNull(0)) continue;
      double v = select->Double(0);
      if (!best || (extreme == Extreme::kMax ? v > *best : v < *best)) best = v;
    }
    return best;
  });
}

Result<std::vector<EvaluationRow>> SqliteStore::Evaluations(std::string_view autoscaler,
                                                            const Query& query) {
  return Read([&](Db& db) -> Result<std::vector<EvaluationRow>> {
    auto id = AutoscalerIdForRead(db, autoscaler);
    if (!id) return std::unexpected(id.error());
    std::vector<EvaluationRow> out;
    if (!*id) return out;
    std::map<int64_t, size_t> index_by_ts;
    CPA_RETURN_IF_ERROR(ForEachRowInWindow(
        db, "SELECT ts, target_replicas FROM evaluations WHERE autoscaler_id = ?1", **id, query, {},
        [&](Stmt& select) {
          index_by_ts[select.Int(0)] = out.size();
          out.push_back(EvaluationRow{FromMillis(select.Int(0)), Evaluation{select.Int(1), {}}});
        }));
    if (!out.empty()) {
      // The predictions of the rows read: one range of the predictions table.
      auto pred = db.Prepare(
          "SELECT ts, model, value FROM predictions WHERE autoscaler_id = ?1 AND ts >= ?2 AND "
          "ts <= ?3");
      if (!pred) return std::unexpected(pred.error());
      pred->Bind(1, **id).Bind(2, index_by_ts.begin()->first).Bind(3, index_by_ts.rbegin()->first);
      while (true) {
        auto row = pred->Step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        auto it = index_by_ts.find(pred->Int(0));
        if (it == index_by_ts.end()) continue;
        out[it->second].evaluation.predictions.emplace(pred->Text(1), pred->Double(2));
      }
    }
    if (query.last > 0) std::reverse(out.begin(), out.end());
    return out;
  });
}

Result<std::vector<DecisionRow>> SqliteStore::Decisions(std::string_view autoscaler,
                                                        const Query& query) {
  return Read([&](Db& db) -> Result<std::vector<DecisionRow>> {
    auto id = AutoscalerIdForRead(db, autoscaler);
    if (!id) return std::unexpected(id.error());
    std::vector<DecisionRow> out;
    if (!*id) return out;
    CPA_RETURN_IF_ERROR(ForEachRowInWindow(
        db,
        "SELECT ts, current_replicas, raw_target, stabilized_target, applied, run_type, error "
        "FROM decisions WHERE autoscaler_id = ?1",
        **id, query, {}, [&](Stmt& select) {
          DecisionRow d;
          d.time = FromMillis(select.Int(0));
          d.decision.current_replicas = select.OptionalInt(1);
          d.decision.raw_target = select.OptionalInt(2);
          d.decision.stabilized_target = select.OptionalInt(3);
          d.decision.applied = select.Int(4) != 0;
          d.decision.run_type = select.Text(5);
          d.decision.error = select.Text(6);
          out.push_back(std::move(d));
        }));
    if (query.last > 0) std::reverse(out.begin(), out.end());
    return out;
  });
}

Result<StoreStats> SqliteStore::Stats() {
  return Read([&](Db& db) -> Result<StoreStats> {
    StoreStats stats;
    stats.location = Location();
    auto page_count = db.QueryInt("PRAGMA page_count");
    auto freelist = db.QueryInt("PRAGMA freelist_count");
    auto page_size = db.QueryInt("PRAGMA page_size");
    auto version = db.QueryInt("PRAGMA user_version");
    for (auto* r : {&page_count, &freelist, &page_size, &version}) {
      if (!*r) return std::unexpected(r->error());
    }
    stats.bytes_used = (*page_count - *freelist) * *page_size;
    stats.schema_version = *version;
    if (!options_.path.empty()) {
      std::error_code ec;
      for (const std::string& file : {options_.path, options_.path + "-wal"}) {
        auto size = std::filesystem::file_size(file, ec);
        if (!ec) stats.bytes_on_disk += static_cast<int64_t>(size);
      }
    }
    return stats;
  });
}

// ---------------------------------------------------------------------------------- opening

Status CheckIsStore(Db& db, const std::string& path) {
  // The first read of the header: a file of garbage fails here with SQLITE_NOTADB.
  auto tables = db.QueryInt("SELECT count(*) FROM sqlite_master");
  if (!tables) {
    return MakeErrorF(
        tables.error().code == ErrorCode::kDataLoss ? ErrorCode::kDataLoss : tables.error().code,
        "store file \"{}\" cannot be read ({}); it is left unchanged", path,
        tables.error().message);
  }
  auto app = db.QueryInt("PRAGMA application_id");
  if (!app) return std::unexpected(app.error());
  auto version = db.QueryInt("PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  if (*app != 0 && *app != kApplicationId) {
    return MakeErrorF(ErrorCode::kFailedPrecondition,
                      "\"{}\" is an SQLite database of another application (application_id {}), "
                      "not a cpa store; it is left unchanged",
                      path, *app);
  }
  if (*app == 0 && *tables > 0) {
    return MakeErrorF(ErrorCode::kFailedPrecondition,
                      "\"{}\" is an SQLite database without the cpa store schema; it is left "
                      "unchanged",
                      path);
  }
  if (*version > kSchemaVersion) {
    return MakeErrorF(ErrorCode::kFailedPrecondition,
                      "store file \"{}\" has schema version {}, newer than version {} that this "
                      "cpa understands; upgrade cpa (the file is left unchanged)",
                      path, *version, kSchemaVersion);
  }
  return OkStatus();
}

Result<std::unique_ptr<Store>> OpenFile(const StoreOptions& options) {
  const std::string& path = options.path;
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (options.read_only && !exists) {
    return MakeErrorF(ErrorCode::kNotFound, "store file \"{}\" does not exist", path);
  }
  if (exists && std::filesystem::is_directory(path, ec)) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "store path \"{}\" is a directory", path);
  }
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  auto writer = Db::Open(path, flags);
  if (!writer) return std::unexpected(writer.error());
  Db& db = **writer;
  CPA_RETURN_IF_ERROR(
      db.Exec(fmt::format("PRAGMA busy_timeout = {}", options.busy_timeout.count())));
  CPA_RETURN_IF_ERROR(CheckIsStore(db, path));
  auto version = db.QueryInt("PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  if (options.read_only) {
    if (*version < kSchemaVersion) {
      return MakeErrorF(
          ErrorCode::kFailedPrecondition,
          "store file \"{}\" has schema version {}, older than {}; upgrade it by opening it "
          "for writing once (`cpa run`, or `cpa history ... --upgrade`)",
          path, *version, kSchemaVersion);
    }
  } else {
    // Journal mode is the first write to the file: only after it has been recognized.
    {
      auto mode = db.Prepare("PRAGMA journal_mode = WAL");
      if (!mode) return std::unexpected(mode.error());
      auto row = mode->Step();
      if (!row) {
        return std::unexpected(row.error().WithContext(
            fmt::format("store file \"{}\" cannot be written (is its directory writable?)", path)));
      }
      std::string journal = *row ? mode->Text(0) : "";
      if (journal != "wal") {
        return MakeErrorF(ErrorCode::kFailedPrecondition,
                          "store file \"{}\": cannot use WAL journal mode (got \"{}\")", path,
                          journal);
      }
    }
    CPA_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous = NORMAL"));
    CPA_RETURN_IF_ERROR(RegisterStoreFunctions(db));
    // Another process may migrate at the same time: re-read the version under the write lock.
    auto migrated = InTransaction(db, "BEGIN IMMEDIATE", [&]() -> Status {
      auto current = db.QueryInt("PRAGMA user_version");
      if (!current) return std::unexpected(current.error());
      if (*current != 0 && *current != kSchemaVersion) {
        log::Info("store \"{}\": upgrading schema from version {} to {}", path, *current,
                  kSchemaVersion);
      }
      return MigrateSchema(db, *current);
    });
    if (!migrated) return std::unexpected(migrated.error());
  }
  auto reader = Db::Open(path, SQLITE_OPEN_READONLY);
  if (!reader) return std::unexpected(reader.error());
  CPA_RETURN_IF_ERROR(
      (*reader)->Exec(fmt::format("PRAGMA busy_timeout = {}", options.busy_timeout.count())));
  return std::unique_ptr<Store>(
      std::make_unique<SqliteStore>(options, std::move(*writer), std::move(*reader)));
}

Result<std::unique_ptr<Store>> OpenMemory(const StoreOptions& options) {
  auto db = Db::Open(kMemoryPath, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return std::unexpected(db.error());
  auto created = InTransaction(**db, "BEGIN IMMEDIATE", [&] { return MigrateSchema(**db, 0); });
  if (!created) return std::unexpected(created.error());
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(options, std::move(*db), nullptr));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options) {
  auto errors = options.Validate();
  if (!errors.empty()) {
    std::string message = "invalid store options:";
    for (const auto& e : errors) message += fmt::format(" store.{}: {};", e.field, e.message);
    message.pop_back();
    return MakeError(ErrorCode::kInvalidArgument, std::move(message));
  }
  if (options.path.empty()) return OpenMemory(options);
  return OpenFile(options);
}

}  // namespace cpa::store
