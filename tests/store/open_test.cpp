// Opening store files: migration, refusal of newer/foreign/corrupt files, read-only places,
// and the in-memory fallback.
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "common/log.h"
#include "store/open_store.h"
#include "store/schema.h"
#include "store/sqlite_store.h"
#include "tests/store/store_test_util.h"

namespace cpa::store {
namespace {

using testing::MetricRun;
using testing::Ms;
using testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ExecSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::string DataFile(const std::string& name) {
  const char* root = std::getenv("CPA_SOURCE_DIR");
  return std::string(root != nullptr ? root : ".") + "/tests/data/store/" + name;
}

TEST(StoreOpenTest, UpgradesAVersion1File) {
  TempDir dir;
  std::string path = dir.File("v1.db");
  std::string v1_sql = ReadFile(DataFile("v1.sql"));
  ASSERT_FALSE(v1_sql.empty()) << "missing " << DataFile("v1.sql");
  ExecSql(path, v1_sql);

  auto store = OpenSqliteStore(StoreOptions{.path = path, .max_age = {}});
  ASSERT_TRUE(store) << store.error().ToString();
  auto stats = (*store)->Stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->schema_version, kSchemaVersion);
  auto names = (*store)->ListAutoscalers();
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"default/web", "shop/api"}));

  auto web = (*store)->Values(SeriesRef::Metric("default/web", "", "value"), {});
  ASSERT_TRUE(web);
  ASSERT_EQ(web->size(), 4u);
  EXPECT_EQ((*web)[0].resource, "web-1");
  EXPECT_EQ((*web)[0].value, 3.0);
  EXPECT_EQ((*web)[0].text, "3");
  EXPECT_EQ((*web)[1].resource, "web-2");
  EXPECT_EQ((*web)[1].value, 5.5);
  EXPECT_EQ((*web)[1].text, "5.5\n");  // raw text kept exactly
  EXPECT_EQ((*web)[3].text, "n/a");
  EXPECT_EQ((*web)[3].value, std::nullopt);
  auto api = (*store)->Values(SeriesRef::Metric("shop/api", "api", "value"), {});
  ASSERT_TRUE(api);
  ASSERT_EQ(api->size(), 1u);
  EXPECT_EQ((*api)[0].text, "{\"rps\": 12}");

  auto max = MaxEvaluatedTarget(**store, "default/web", Ms(1700000015000), std::chrono::hours(1));
  ASSERT_TRUE(max);
  EXPECT_EQ(*max, 3);
  auto decisions = (*store)->Decisions("default/web", {});
  ASSERT_TRUE(decisions);
  ASSERT_EQ(decisions->size(), 2u);
  EXPECT_EQ((*decisions)[1].decision.current_replicas, 2);
  EXPECT_EQ((*decisions)[1].decision.raw_target, 3);
  EXPECT_EQ((*decisions)[1].decision.stabilized_target, 3);
  EXPECT_TRUE((*decisions)[1].decision.applied);
  EXPECT_EQ((*decisions)[1].decision.run_type, "scaler");
  auto api_decisions = (*store)->Decisions("shop/api", {});
  ASSERT_TRUE(api_decisions);
  ASSERT_EQ(api_decisions->size(), 1u);
  EXPECT_FALSE((*api_decisions)[0].decision.applied);

  // The upgraded file takes new writes and reopens as version 2 without migrating again.
  ASSERT_TRUE((*store)->Record(MetricRun("default/web", 1700000030000, "web-1", "6")));
  store->reset();
  auto again = OpenSqliteStore(StoreOptions{.path = path, .max_age = {}});
  ASSERT_TRUE(again) << again.error().ToString();
  auto after = (*again)->Values(SeriesRef::Metric("default/web", "web-1", "value"), {});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), 3u);
}

TEST(StoreOpenTest, RefusesANewerSchemaAndLeavesTheFileUnchanged) {
  TempDir dir;
  std::string path = dir.File("future.db");
  ExecSql(path,
          "PRAGMA application_id = 1129333075; PRAGMA user_version = 3;"
          "CREATE TABLE future (x INTEGER);");
  std::string before = ReadFile(path);
  auto store = OpenSqliteStore(StoreOptions{.path = path});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(store.error().message.find("schema version 3"), std::string::npos)
      << store.error().message;
  EXPECT_NE(store.error().message.find("version 2"), std::string::npos) << store.error().message;
  EXPECT_EQ(ReadFile(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(StoreOpenTest, RefusesAnotherApplicationsDatabase) {
  TempDir dir;
  std::string path = dir.File("app.db");
  ExecSql(path, "CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('x');");
  std::string before = ReadFile(path);
  auto store = OpenSqliteStore(StoreOptions{.path = path});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("without the cpa store schema"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(ReadFile(path), before);
}

TEST(StoreOpenTest, GarbageFileIsAClearErrorAndTheAutoscalerFallsBackToMemory) {
  TempDir dir;
  std::string path = dir.File("garbage.db");
  {
    std::mt19937 rng(42);
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 65536; ++i) out.put(static_cast<char>(rng() & 0xff));
  }
  std::string before = ReadFile(path);
  auto strict = OpenSqliteStore(StoreOptions{.path = path});
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error().code, ErrorCode::kDataLoss);
  EXPECT_NE(strict.error().message.find(path), std::string::npos) << strict.error().message;
  EXPECT_NE(strict.error().message.find("left unchanged"), std::string::npos);

  log::LogCapture capture;
  OpenedStore opened = OpenStore(StoreOptions{.path = path});
  ASSERT_NE(opened.store, nullptr);
  ASSERT_TRUE(opened.fallback_reason.has_value());
  EXPECT_EQ(opened.fallback_reason->code, ErrorCode::kDataLoss);
  EXPECT_EQ(opened.store->Location(), "memory");
  EXPECT_TRUE(capture.Contains("in memory"));
  ASSERT_TRUE(opened.store->Record(MetricRun("a/b", 1, "r", "1")));
  auto values = opened.store->Values(SeriesRef::Metric("a/b", "r", "value"), {});
  ASSERT_TRUE(values);
  EXPECT_EQ(values->size(), 1u);
  EXPECT_EQ(ReadFile(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(StoreOpenTest, DamagedPagesGiveErrorsNotCrashes) {
  TempDir dir;
  std::string path = dir.File("damaged.db");
  {
    auto store = OpenSqliteStore(StoreOptions{.path = path, .max_age = {}});
    ASSERT_TRUE(store);
    std::vector<RunRecord> runs;
    for (int i = 0; i < 5000; ++i)
      runs.push_back(MetricRun("a/b", i, "r", std::string("x").append(std::to_string(i))));
    ASSERT_TRUE((*store)->Record(runs));
  }
  auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 4096u * 4);
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(4096 * 2);
    std::mt19937 rng(7);
    for (std::uintmax_t i = 4096 * 2; i < size; ++i) f.put(static_cast<char>(rng() & 0xff));
  }
  auto store = OpenSqliteStore(StoreOptions{.path = path, .max_age = {}});
  bool reported = !store.has_value();
  if (store) {
    auto values = (*store)->Values(SeriesRef::Metric("a/b", "r", "value"), {});
    auto series = (*store)->ListSeries("a/b");
    reported = !values || !series;
    if (!values) {
      EXPECT_EQ(values.error().code, ErrorCode::kDataLoss);
    }
  }
  EXPECT_TRUE(reported);
}

TEST(StoreOpenTest, ReadOnlyOpenReadsButDoesNotWriteOrCreate) {
  TempDir dir;
  std::string path = dir.File("ro.db");
  auto missing = OpenSqliteStore(StoreOptions{.path = path, .read_only = true});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path));
  {
    auto store = OpenSqliteStore(StoreOptions{.path = path});
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->Record(MetricRun("a/b", 1, "r", "1")));
  }
  auto store = OpenSqliteStore(StoreOptions{.path = path, .read_only = true});
  ASSERT_TRUE(store) << store.error().ToString();
  auto values = (*store)->Values(SeriesRef::Metric("a/b", "r", "value"), {});
  ASSERT_TRUE(values);
  EXPECT_EQ(values->size(), 1u);
  auto write = (*store)->Record(MetricRun("a/b", 2, "r", "2"));
  ASSERT_FALSE(write);
  EXPECT_EQ(write.error().code, ErrorCode::kFailedPrecondition);
}

TEST(StoreOpenTest, ReadOnlyOpenOfAVersion1FileAsksForAnUpgrade) {
  TempDir dir;
  std::string path = dir.File("v1.db");
  ExecSql(path, ReadFile(DataFile("v1.sql")));
  auto store = OpenSqliteStore(StoreOptions{.path = path, .read_only = true});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("schema version 1"), std::string::npos)
      << store.error().message;
}

// Exit codes of the unprivileged child below.
constexpr int kChildOk = 0;
constexpr int kChildOpenedNewFile = 10;
constexpr int kChildOpenedExistingFile = 11;
constexpr int kChildBadError = 12;
constexpr int kChildNoFallback = 13;
constexpr int kChildCannotDropRoot = 14;

// In a read-only directory: a new file cannot be created, and an existing store cannot be opened
// for writing (WAL needs its -wal and -shm files beside it). Both are clear errors, and OpenStore
// falls back to memory. Root ignores directory permissions, so the check runs in a child process
// that drops to an unprivileged user when the test runs as root.
TEST(StoreOpenTest, ReadOnlyDirectoryIsAClearErrorAndFallsBack) {
  TempDir dir;
  std::string existing = dir.File("existing.db");
  {
    auto store = OpenSqliteStore(StoreOptions{.path = existing});
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->Record(MetricRun("a/b", 1, "r", "1")));
  }
  const uid_t nobody = 65534;
  if (geteuid() == 0) {
    ASSERT_EQ(chown(existing.c_str(), nobody, nobody), 0);
  }
  ASSERT_EQ(chmod(dir.path().c_str(), 0555), 0);
  std::string fresh = dir.File("new.db");

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(nobody) != 0 || setuid(nobody) != 0)) _exit(kChildCannotDropRoot);
    auto created = OpenSqliteStore(StoreOptions{.path = fresh});
    if (created) _exit(kChildOpenedNewFile);
    if (created.error().code != ErrorCode::kPermissionDenied ||
        created.error().message.find(fresh) == std::string::npos) {
      _exit(kChildBadError);
    }
    auto opened = OpenSqliteStore(StoreOptions{.path = existing});
    if (opened) _exit(kChildOpenedExistingFile);
    if (opened.error().message.find(existing) == std::string::npos) _exit(kChildBadError);
    OpenedStore fallback = OpenStore(StoreOptions{.path = fresh});
    if (!fallback.fallback_reason || !fallback.store->Record(MetricRun("a/b", 1, "r", "1"))) {
      _exit(kChildNoFallback);
    }
    _exit(kChildOk);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kChildOk);
  EXPECT_FALSE(std::filesystem::exists(fresh));
}

}  // namespace
}  // namespace cpa::store
