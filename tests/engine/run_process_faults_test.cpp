// Fault injection end to end (issue 14): the real `cpa run` with a store file while the disk
// fills up, the file is moved away or corrupted, and while user logic prints gigabytes, leaves
// processes behind or is killed by a signal. For each fault: no scale while it lasts, one ERROR
// line per failed run naming the stage (as many as cpa_run_failures_total counts), the process
// keeps running and scales again once the fault clears, the history stored before the fault is
// intact, and neither descriptors nor processes accumulate over many failed runs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>

#include "store/sqlite_store.h"
#include "tests/engine/run_process_fixture.h"
#include "tests/engine/test_paths.h"
#include "tests/support/child_process.h"

namespace cpa::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing_paths::Logic;
using testing_support::CountChildProcessesAtRest;
using testing_support::CountLinesWith;
using testing_support::CountOpenFdsAtRest;
using testing_support::ProcessGone;
using testing_support::ProcStatusKiB;
using testing_support::WaitUntil;
using Process = testing_support::ChildProcess;

// A read-only connection to a store file, for checks from outside the process that writes it.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  // The rows of a query, each as its columns' text joined by ','.
  std::vector<std::string> Rows(const std::string& sql) {
    std::vector<std::string> rows;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return rows;
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, c);
        if (c > 0) row.push_back(',');
        if (text != nullptr) row.append(reinterpret_cast<const char*>(text));
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return rows;
  }

 private:
  sqlite3* db_ = nullptr;
};

class EngineRunProcessFaults : public testing_e2e::EngineRunProcess {
 protected:
  void TearDown() override {
    // Background processes of the user logic that a failing test may have left running.
    std::ifstream pids(dir_ / "pids");
    for (pid_t pid = 0; pids >> pid;) ::kill(pid, SIGKILL);
    EngineRunProcess::TearDown();
  }
  std::string StorePath() const { return (dir_ / "store" / "history.db").string(); }
  // An autoscaler of "web" every 100 ms whose metric and evaluate run fault-switch.sh: each
  // prints <dir>/web.json in mode "ok" (the evaluation, 4 replicas to start with), and SetMode
  // switches either to a fault. The REST API listens on a free port (for /metrics).
  std::string FaultConfig(const std::string& extra = "", int64_t evaluate_timeout_ms = 2000) {
    fs::create_directories(dir_ / "store");
    SetMode("metric", "ok");
    SetMode("evaluate", "ok");
    SetEvaluation("web", R"({"targetReplicas": 4})");
    auto method = [&](const std::string& which, int64_t timeout) {
      return fmt::format(
          "{{type: shell, timeout: {}, shell: {{entrypoint: {}, command: [{}, {}, {}]}}}}", timeout,
          Logic("fault-switch.sh"), (dir_ / (which + ".mode")).string(),
          (dir_ / "web.json").string(), (dir_ / "pids").string());
    };
    std::string path = (dir_ / "faults.yaml").string();
    std::ofstream(path) << fmt::format(
        "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
        "runMode: per-resource\ninterval: 100\n"
        "apiConfig: {{enabled: true, host: 127.0.0.1, port: 0}}\n"
        "metric: {}\nevaluate: {}\n{}",
        method("metric", 2000), method("evaluate", evaluate_timeout_ms), extra);
    return path;
  }
  std::string StoreConfig(const std::string& extra = "") {
    return FaultConfig(
        fmt::format("downscaleStabilization: 300\nstore: {{path: {}}}\n{}", StorePath(), extra));
  }
  void SetMode(const std::string& which, const std::string& mode) {
    const fs::path file = dir_ / (which + ".mode");
    std::ofstream(file.string() + ".tmp") << mode;
    fs::rename(file.string() + ".tmp", file);
  }
  // Waits until the log has `count` more lines containing `needle` than `since`.
  static bool WaitForLines(const Process& p, const std::string& needle, int count, int since = 0) {
    return WaitUntil([&] { return CountLinesWith(p.Output(), needle) >= since + count; }, 20s);
  }
  // cpa_run_failures_total{stage=...} of the process's /metrics (-1 when not found).
  static int64_t FailureCount(int port, const std::string& stage) {
    httplib::Client client("127.0.0.1", port);
    auto res = client.Get("/metrics");
    if (!res) return -1;
    std::istringstream lines(res->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("cpa_run_failures_total{", 0) == 0 &&
          line.find("stage=\"" + stage + "\"") != std::string::npos) {
        return std::atoll(line.c_str() + line.rfind(' ') + 1);
      }
    }
    return 0;
  }
  // Every ERROR line names `stage`, there is exactly one per failed run of that stage (the
  // process's own count), and no other line reports the same failures again.
  static void ExpectOneErrorLinePerFailedRun(const Process& p, int port, const std::string& stage,
                                             int64_t failed_runs) {
    EXPECT_EQ(FailureCount(port, stage), failed_runs);
    std::istringstream log(p.Output());
    int errors = 0;
    for (std::string line; std::getline(log, line);) {
      EXPECT_EQ(line.find("could not record"), std::string::npos) << line;
      if (line.find(" ERROR ") == std::string::npos) continue;
      ++errors;
      EXPECT_NE(line.find("failed in stage " + stage + ":"), std::string::npos) << line;
    }
    EXPECT_EQ(errors, failed_runs);
  }
  int64_t StoredRows(const std::string& table) {
    return std::atoll(RawDb(StorePath()).Rows("SELECT count(*) FROM " + table)[0].c_str());
  }
  std::vector<std::string> StoredEvaluations() {
    return RawDb(StorePath()).Rows("SELECT ts, target_replicas FROM evaluations ORDER BY ts");
  }
  // The history written before a fault is still there, unchanged, and the file is sound.
  void ExpectIntactStore(const std::vector<std::string>& before) {
    RawDb db(StorePath());
    EXPECT_EQ(db.Rows("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
    auto after = db.Rows("SELECT ts, target_replicas FROM evaluations ORDER BY ts");
    ASSERT_GE(after.size(), before.size());
    EXPECT_TRUE(std::equal(before.begin(), before.end(), after.begin()))
        << "the evaluations stored before the fault changed";
  }
  static void SetFileSizeLimit(pid_t pid, rlim_t bytes) {
    rlimit limit{bytes, RLIM_INFINITY};
    ASSERT_EQ(::prlimit(pid, RLIMIT_FSIZE, &limit, nullptr), 0) << std::strerror(errno);
  }
  std::vector<pid_t> BackgroundPids() {
    std::vector<pid_t> out;
    std::ifstream pids(dir_ / "pids");
    for (pid_t pid = 0; pids >> pid;) out.push_back(pid);
    return out;
  }
  // Writes `count` bytes of seeded garbage at `offset` of `file`.
  static void Scribble(const std::string& file, std::uintmax_t offset, std::uintmax_t count,
                       unsigned seed) {
    std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset));
    std::mt19937 rng(seed);
    for (std::uintmax_t i = 0; i < count; ++i) f.put(static_cast<char>(rng() & 0xff));
  }
  static std::string ReadAll(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

// A full disk, as RLIMIT_FSIZE set on the running process at the present size of its WAL: every
// write that would grow a file fails with EFBIG (SIGXFSZ must not kill cpa). Runs fail in stage
// record before anything is scaled, so the upscale to 6 waits until the space is back.
TEST_F(EngineRunProcessFaults, FullDiskFailsRunsInStageRecordAndKeepsTheHistory) {
  auto p = Cpa({"run", "--config", StoreConfig()});
  const int port = ApiPort(p);
  ASSERT_NE(port, 0) << p.Output();
  const std::string wal = StorePath() + "-wal";
  ASSERT_TRUE(WaitUntil([&] {
    return Replicas("web") == 4 && StoredRows("decisions") >= 3 &&
           fs::file_size(wal) > fs::file_size(p.log()) + 64 * 1024;  // room for the log
  })) << p.Output();
  const auto before = StoredEvaluations();
  SetFileSizeLimit(p.pid(), fs::file_size(wal));
  SetEvaluation("web", R"({"targetReplicas": 6})");
  ASSERT_TRUE(WaitForLines(p, "failed in stage record", 5)) << p.Output();
  EXPECT_EQ(Replicas("web"), 4) << "scaled although the run could not be stored";
  const int fds_during = CountOpenFdsAtRest(p.pid());
  ASSERT_TRUE(WaitForLines(p, "failed in stage record", 15)) << p.Output();
  EXPECT_EQ(Replicas("web"), 4);
  EXPECT_TRUE(p.Running()) << "the process died of the full disk";
  EXPECT_LE(CountOpenFdsAtRest(p.pid()), fds_during) << "descriptors grew over failed runs";
  EXPECT_EQ(CountChildProcessesAtRest(p.pid()), 0);
  std::string out = p.Output();
  EXPECT_NE(out.find(StorePath()), std::string::npos) << "the error does not name the file";
  EXPECT_NE(out.find("File too large"), std::string::npos) << out;

  SetFileSizeLimit(p.pid(), RLIM_INFINITY);  // space is back
  ASSERT_TRUE(WaitUntil([&] { return Replicas("web") == 6; })) << p.Output();
  ExpectOneErrorLinePerFailedRun(p, port, "record", CountLinesWith(p.Output(), " ERROR "));
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(10s), 0) << p.Output();
  ExpectIntactStore(before);
  EXPECT_EQ(StoredEvaluations().back().substr(StoredEvaluations().back().find(',') + 1), "6");
}

// The store's directory is moved away and an empty one put in its place (a volume remounted,
// a restore from backup): SQLite would go on writing to the old file, which nothing can reach
// any more, and lose it with the process. Runs fail in stage record until the file is back, and
// nothing is created in the new directory.
TEST_F(EngineRunProcessFaults, MovedStoreFailsRunsInStageRecordUntilItIsBack) {
  auto p = Cpa({"run", "--config", StoreConfig()});
  const int port = ApiPort(p);
  ASSERT_NE(port, 0) << p.Output();
  ASSERT_TRUE(WaitUntil([&] { return Replicas("web") == 4 && StoredRows("decisions") >= 3; }))
      << p.Output();
  const auto before = StoredEvaluations();
  fs::rename(dir_ / "store", dir_ / "store-moved");
  fs::create_directories(dir_ / "store");
  SetEvaluation("web", R"({"targetReplicas": 6})");
  ASSERT_TRUE(WaitForLines(p, "failed in stage record", 5)) << p.Output();
  const int fds_during = CountOpenFdsAtRest(p.pid());
  ASSERT_TRUE(WaitForLines(p, "failed in stage record", 20)) << p.Output();
  EXPECT_EQ(Replicas("web"), 4) << "scaled although the run could not be stored";
  EXPECT_TRUE(fs::is_empty(dir_ / "store")) << "a file was created in the replacement directory";
  EXPECT_NE(p.Output().find("the file was moved, replaced or deleted"), std::string::npos);
  EXPECT_NE(p.Output().find(StorePath()), std::string::npos);
  EXPECT_LE(CountOpenFdsAtRest(p.pid()), fds_during) << "descriptors grew over failed runs";
  EXPECT_EQ(CountChildProcessesAtRest(p.pid()), 0);

  fs::remove(dir_ / "store");
  fs::rename(dir_ / "store-moved", dir_ / "store");
  ASSERT_TRUE(WaitUntil([&] { return Replicas("web") == 6; })) << p.Output();
  ExpectOneErrorLinePerFailedRun(p, port, "record", CountLinesWith(p.Output(), " ERROR "));
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(10s), 0) << p.Output();
  ExpectIntactStore(before);
}

// A store written by an earlier run: `runs` evaluations of 4, one per second up to now, so the
// downscale window of 300 s holds 4.
std::vector<store::RunRecord> History(int runs) {
  std::vector<store::RunRecord> out;
  const auto now = std::chrono::system_clock::now();
  for (int i = runs; i > 0; --i) {
    store::RunRecord r;
    r.autoscaler = "default/web";
    r.time = now - std::chrono::seconds(i);
    r.metrics.push_back(store::MetricPoint::FromText("web", "value", std::to_string(i)));
    r.evaluation = store::Evaluation{4, {}};
    r.decision = store::Decision{2, 4, 4, true, "scaler", ""};
    out.push_back(std::move(r));
  }
  return out;
}

// A damaged header: the file is refused at start-up with an error naming it, cpa exits 1 without
// scaling, and the file is left byte for byte as it was (never recreated or repaired).
TEST_F(EngineRunProcessFaults, CorruptStoreHeaderIsRefusedAtStartAndLeftUnchanged) {
  const std::string config = StoreConfig();
  {
    auto s = store::OpenSqliteStore(store::StoreOptions{.path = StorePath()});
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->Record(History(300)));
  }
  Scribble(StorePath(), 0, 100, 1);
  const std::string bytes = ReadAll(StorePath());
  auto p = Cpa({"run", "--config", config});
  EXPECT_EQ(p.Wait(20s), 1) << p.Output();
  EXPECT_EQ(CountLinesWith(p.Output(), "cannot open the store: store file \"" + StorePath()), 1)
      << p.Output();
  EXPECT_EQ(ReadAll(StorePath()), bytes) << "the damaged file was changed";
  EXPECT_FALSE(fs::exists(StorePath() + "-wal"));
  EXPECT_EQ(Replicas("web"), 2);
}

// Pages damaged past the header, found at start-up: the file opens, but every run that needs the
// stabilization window fails in stage stabilize naming the file, and nothing is scaled (here a
// downscale that the stored window forbids). The process keeps running.
TEST_F(EngineRunProcessFaults, CorruptStorePagesFailRunsThatNeedTheWindow) {
  const std::string config = StoreConfig();
  {
    auto s = store::OpenSqliteStore(store::StoreOptions{.path = StorePath()});
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->Record(History(3000)));
  }
  ASSERT_TRUE(
      server_->MutateObject("apps/v1", "Deployment", "default", "web",
                            [](JsonValue& d, JsonAllocator&) { d["spec"]["replicas"] = 4; }));
  SetEvaluation("web", R"({"targetReplicas": 2})");
  const auto size = fs::file_size(StorePath());
  Scribble(StorePath(), 2 * 4096, size - 2 * 4096, 2);  // pages 3 to the end
  auto p = Cpa({"run", "--config", config});
  const int port = ApiPort(p);
  ASSERT_NE(port, 0) << p.Output();
  ASSERT_TRUE(WaitForLines(p, "failed in stage stabilize", 5)) << p.Output();
  const int fds_during = CountOpenFdsAtRest(p.pid());
  ASSERT_TRUE(WaitForLines(p, "failed in stage stabilize", 20)) << p.Output();
  EXPECT_EQ(Replicas("web"), 4) << "scaled down without the stabilization window";
  EXPECT_TRUE(p.Running());
  EXPECT_LE(CountOpenFdsAtRest(p.pid()), fds_during) << "descriptors grew over failed runs";
  EXPECT_EQ(CountChildProcessesAtRest(p.pid()), 0);
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(10s), 0) << p.Output();
  const std::string out = p.Output();
  EXPECT_NE(out.find("read stabilization window: store \"" + StorePath() + "\""), std::string::npos)
      << out;
  EXPECT_NE(out.find("malformed"), std::string::npos) << out;
  std::istringstream log(out);
  for (std::string line; std::getline(log, line);) {
    if (line.find(" ERROR ") != std::string::npos) {
      EXPECT_NE(line.find("failed in stage stabilize:"), std::string::npos) << line;
    }
  }
}

// The file is damaged while cpa runs: checkpointed (so the history is in the file, not the WAL),
// then pages 3 to the end overwritten. Runs that read the window fail in stage stabilize and the
// forbidden downscale does not happen; once the bytes are restored, runs scale again.
TEST_F(EngineRunProcessFaults, StoreCorruptedWhileRunningFailsRunsUntilRepaired) {
  const std::string target = "/apis/apps/v1/namespaces/default/deployments/web";
  auto p = Cpa({"run", "--config", StoreConfig()});
  const int port = ApiPort(p);
  ASSERT_NE(port, 0) << p.Output();
  ASSERT_TRUE(WaitUntil([&] { return Replicas("web") == 4 && StoredRows("evaluations") >= 3; }))
      << p.Output();
  const auto before = StoredEvaluations();
  // Runs fail before they touch the evaluations (the API server is down), so nothing written
  // after the checkpoint below brings the evaluations' pages back into the WAL.
  server_->InjectResponse("GET", target, 503, "unavailable", -1);
  ASSERT_TRUE(WaitForLines(p, "failed in stage target", 2)) << p.Output();
  EXPECT_EQ(RawDb(StorePath()).Rows("PRAGMA wal_checkpoint(TRUNCATE)").at(0).substr(0, 2), "0,");
  const std::string good = ReadAll(StorePath());
  Scribble(StorePath(), 2 * 4096, good.size() - 2 * 4096, 3);
  SetEvaluation("web", R"({"targetReplicas": 2})");  // a downscale the window forbids
  const int target_failures = CountLinesWith(p.Output(), "failed in stage target");
  server_->ClearInjectedResponses();
  ASSERT_TRUE(WaitForLines(p, "failed in stage stabilize", 5)) << p.Output();
  const int fds_during = CountOpenFdsAtRest(p.pid());
  ASSERT_TRUE(WaitForLines(p, "failed in stage stabilize", 20)) << p.Output();
  EXPECT_EQ(Replicas("web"), 4) << "scaled down without the stabilization window";
  EXPECT_TRUE(p.Running());
  EXPECT_LE(CountOpenFdsAtRest(p.pid()), fds_during) << "descriptors grew over failed runs";
  EXPECT_EQ(CountChildProcessesAtRest(p.pid()), 0);
  EXPECT_NE(p.Output().find("store \"" + StorePath() + "\""), std::string::npos);

  {  // the fault clears: the file is restored
    std::ofstream restore(StorePath(), std::ios::binary | std::ios::in | std::ios::out);
    restore.write(good.data(), static_cast<std::streamsize>(good.size()));
  }
  SetEvaluation("web", R"({"targetReplicas": 6})");
  ASSERT_TRUE(WaitUntil([&] { return Replicas("web") == 6; })) << p.Output();
  const int stabilize_failures = CountLinesWith(p.Output(), "failed in stage stabilize");
  EXPECT_EQ(FailureCount(port, "stabilize"), stabilize_failures);
  EXPECT_EQ(FailureCount(port, "target"), CountLinesWith(p.Output(), "failed in stage target"));
  EXPECT_GE(CountLinesWith(p.Output(), "failed in stage target"), target_failures);
  EXPECT_EQ(CountLinesWith(p.Output(), " ERROR "),
            stabilize_failures + CountLinesWith(p.Output(), "failed in stage target"));
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(10s), 0) << p.Output();
  ExpectIntactStore(before);
}

// How much cpa's peak resident memory may grow over the runs below, whose user logic prints
// 2 GiB and more: the output cap is 4 MiB; malloc arenas of the worker threads keep some freed
// memory. Under AddressSanitizer freed memory sits in its quarantine (256 MiB by default).
#if defined(__SANITIZE_ADDRESS__)
constexpr int64_t kPeakGrowthBoundKiB = 512 * 1024;
#else
constexpr int64_t kPeakGrowthBoundKiB = 48 * 1024;
#endif

// User logic printing gigabytes (2 GiB of zeros from the metric, `yes` without end from
// evaluate): each run fails at the output cap naming the stage and the cap, the memory of cpa
// stays near what it was (the cap is 4 MiB), the processes are killed and reaped, nothing is
// scaled; the next good run scales.
TEST_F(EngineRunProcessFaults, GigabytesOfOutputFailTheRunWithBoundedMemory) {
  auto p = Cpa({"run", "--config", FaultConfig()});
  const int port = ApiPort(p);
  ASSERT_NE(port, 0) << p.Output();
  ASSERT_TRUE(WaitUntil([&] { return Replicas("web") == 4; })) << p.Output();
  const int64_t peak_before = ProcStatusKiB(p.pid(), "VmHWM");
  // The fault first, and the new evaluation only once a run has failed: a run already past its
  // metric stage would otherwise read the new evaluation and scale.
  SetMode("metric", "huge");
  ASSERT_TRUE(WaitForLines(p, "failed in stage metric", 1)) << p.Output();
  SetEvaluation("web", R"({"targetReplicas": 6})");
  ASSERT_TRUE(WaitForLines(p, "failed in stage metric", 3)) << p.Output();
  const int fds_during = CountOpenFdsAtRest(p.pid());
  ASSERT_TRUE(WaitForLines(p, "failed in stage metric", 15)) << p.Output();
  EXPECT_EQ(Replicas("web"), 4);
  SetMode("metric", "ok");
  SetMode("evaluate", "yes");
  ASSERT_TRUE(WaitForLines(p, "failed in stage evaluate", 15)) << p.Output();
  EXPECT_EQ(Replicas("web"), 4);
  EXPECT_TRUE(p.Running());
  const int64_t peak_after = ProcStatusKiB(p.pid(), "VmHWM");
  const int64_t resident_after = ProcStatusKiB(p.pid(), "VmRSS");
  EXPECT_LT(peak_after, peak_before + kPeakGrowthBoundKiB)
      << "peak resident memory grew from " << peak_before << " KiB to " << peak_after << " KiB";
  EXPECT_LE(CountOpenFdsAtRest(p.pid()), fds_during) << "descriptors grew over failed runs";
  EXPECT_EQ(CountChildProcessesAtRest(p.pid()), 0);
  const std::string out = p.Output();
  EXPECT_NE(out.find("metric: output exceeded the limit of 4194304 bytes"), std::string::npos);
  EXPECT_NE(out.find("evaluate: output exceeded the limit of 4194304 bytes"), std::string::npos);
  SetMode("evaluate", "ok");
  ASSERT_TRUE(WaitUntil([&] { return Replicas("web") == 6; })) << p.Output();
  EXPECT_EQ(FailureCount(port, "metric"), CountLinesWith(p.Output(), "failed in stage metric"));
  EXPECT_EQ(FailureCount(port, "evaluate"), CountLinesWith(p.Output(), "failed in stage evaluate"));
  EXPECT_EQ(CountLinesWith(p.Output(), " ERROR "),
            CountLinesWith(p.Output(), "failed in stage metric") +
                CountLinesWith(p.Output(), "failed in stage evaluate"));
  RecordProperty("peak_resident_kib_before", std::to_string(peak_before));
  RecordProperty("peak_resident_kib_after", std::to_string(peak_after));
  RecordProperty("resident_kib_after", std::to_string(resident_after));
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(10s), 0) << p.Output();
}

// User logic that leaves a process behind, and user logic killed by a signal. A background
// process holding stdout open: the run ends at the method timeout with an error that says so. A
// background process that closed its output: the run succeeds and the process is killed with the
// call's process group. A signal: the run fails naming it. Every background process is gone, and
// cpa has no children left.
TEST_F(EngineRunProcessFaults, ProcessesLeftByUserLogicEndWithTheCall) {
  auto p = Cpa({"run", "--config", FaultConfig("", 400)});
  const int port = ApiPort(p);
  ASSERT_NE(port, 0) << p.Output();
  ASSERT_TRUE(WaitUntil([&] { return Replicas("web") == 4; })) << p.Output();
  // Each fault first, and the new evaluation only once a run has failed with it (a run that
  // started in the previous mode would otherwise read the new evaluation and scale).
  SetMode("evaluate", "holds-output");
  ASSERT_TRUE(WaitForLines(p, "failed in stage evaluate", 1)) << p.Output();
  SetEvaluation("web", R"({"targetReplicas": 6})");
  ASSERT_TRUE(WaitForLines(p, "failed in stage evaluate", 2)) << p.Output();
  const int fds_during = CountOpenFdsAtRest(p.pid());
  ASSERT_TRUE(WaitForLines(p, "failed in stage evaluate", 4)) << p.Output();
  EXPECT_EQ(Replicas("web"), 4);
  EXPECT_NE(p.Output().find("timed out after 400 ms: \"" + Logic("fault-switch.sh") +
                            "\" exited, but a process it left running still holds its output"),
            std::string::npos)
      << p.Output();
  SetMode("evaluate", "closes-output");
  ASSERT_TRUE(WaitUntil([&] { return Replicas("web") == 6; })) << p.Output();
  const size_t started = BackgroundPids().size();
  ASSERT_TRUE(WaitUntil([&] { return BackgroundPids().size() >= started + 10; })) << p.Output();
  SetMode("evaluate", "signal");
  ASSERT_TRUE(WaitForLines(p, "was killed by signal 9", 1)) << p.Output();
  SetEvaluation("web", R"({"targetReplicas": 8})");
  const int before_signal = CountLinesWith(p.Output(), "failed in stage evaluate");
  ASSERT_TRUE(WaitForLines(p, "was killed by signal 9", 11)) << p.Output();
  EXPECT_EQ(Replicas("web"), 6);
  EXPECT_GE(CountLinesWith(p.Output(), "failed in stage evaluate"), before_signal + 10);
  EXPECT_TRUE(p.Running());
  EXPECT_LE(CountOpenFdsAtRest(p.pid()), fds_during) << "descriptors grew over failed runs";
  EXPECT_EQ(CountChildProcessesAtRest(p.pid()), 0);
  for (pid_t pid : BackgroundPids()) {
    EXPECT_TRUE(WaitUntil([&] { return ProcessGone(pid); }, 5s))
        << "background process " << pid << " outlived its call";
  }
  SetMode("evaluate", "ok");
  ASSERT_TRUE(WaitUntil([&] { return Replicas("web") == 8; })) << p.Output();
  EXPECT_EQ(FailureCount(port, "evaluate"), CountLinesWith(p.Output(), "failed in stage evaluate"));
  EXPECT_EQ(CountLinesWith(p.Output(), " ERROR "),
            CountLinesWith(p.Output(), "failed in stage evaluate"));
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(10s), 0) << p.Output();
}

}  // namespace
}  // namespace cpa::engine
