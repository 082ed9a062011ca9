// Store faults under a running Autoscaler (issue 14), injected at SQLite's I/O layer: a VFS
// registered as the default for the test forwards to the real one and fails the writes (a full
// disk, a device error, a medium turned read-only) or the reads of the store's files on demand.
// A run that cannot store its evaluation fails in stage record and scales nothing; a run that
// cannot read the stabilization window fails in stage stabilize; each failed run is one log line
// naming the file; the history stored before the fault is intact; the next run after the fault
// scales; descriptors and child processes stay flat over many failed runs.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/log.h"
#include "engine/autoscaler.h"
#include "store/sqlite_store.h"
#include "tests/engine/memory_cluster.h"
#include "tests/engine/test_paths.h"
#include "tests/support/child_process.h"

namespace cpa::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing_paths::Logic;

// ------------------------------------------------------------------ the fault-injecting VFS

struct FaultState {
  sqlite3_vfs* real = nullptr;
  std::string prefix;               // files whose path starts with it are faulty
  std::atomic<int> write_error{0};  // SQLITE_OK: no fault
  std::atomic<int> read_error{0};
};
FaultState g_fault;

struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;  // the real VFS's file, allocated right after this struct
  bool faulty;
};
static_assert(sizeof(ShimFile) % 8 == 0);

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->real; }
bool Faulty(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->faulty; }

int ShimClose(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int ShimRead(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  if (int e = g_fault.read_error.load(); e != SQLITE_OK && Faulty(f)) return e;
  return Real(f)->pMethods->xRead(Real(f), buf, n, off);
}
int ShimWrite(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (int e = g_fault.write_error.load(); e != SQLITE_OK && Faulty(f)) return e;
  return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
}
int ShimTruncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int e = g_fault.write_error.load(); e != SQLITE_OK && Faulty(f)) return e;
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int ShimSync(sqlite3_file* f, int flags) { return Real(f)->pMethods->xSync(Real(f), flags); }
int ShimFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int ShimLock(sqlite3_file* f, int lock) { return Real(f)->pMethods->xLock(Real(f), lock); }
int ShimUnlock(sqlite3_file* f, int lock) { return Real(f)->pMethods->xUnlock(Real(f), lock); }
int ShimCheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int ShimFileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int ShimSectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int ShimDeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShimShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShimShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShimShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShimShmUnmap(sqlite3_file* f, int delete_flag) {
  return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
}
int ShimFetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), off, n, out);
}
int ShimUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, p);
}

const sqlite3_io_methods kShimMethods = {3,
                                         ShimClose,
                                         ShimRead,
                                         ShimWrite,
                                         ShimTruncate,
                                         ShimSync,
                                         ShimFileSize,
                                         ShimLock,
                                         ShimUnlock,
                                         ShimCheckReservedLock,
                                         ShimFileControl,
                                         ShimSectorSize,
                                         ShimDeviceCharacteristics,
                                         ShimShmMap,
                                         ShimShmLock,
                                         ShimShmBarrier,
                                         ShimShmUnmap,
                                         ShimFetch,
                                         ShimUnfetch};

int ShimOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out) {
  auto* f = reinterpret_cast<ShimFile*>(file);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->faulty = name != nullptr && std::string_view(name).starts_with(g_fault.prefix);
  f->base.pMethods = nullptr;
  int rc = g_fault.real->xOpen(g_fault.real, name, f->real, flags, out);
  if (f->real->pMethods != nullptr) f->base.pMethods = &kShimMethods;  // xClose is then called
  return rc;
}
int ShimDelete(sqlite3_vfs*, const char* name, int sync) {
  return g_fault.real->xDelete(g_fault.real, name, sync);
}
int ShimAccess(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_fault.real->xAccess(g_fault.real, name, flags, out);
}
int ShimFullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_fault.real->xFullPathname(g_fault.real, name, n, out);
}
int ShimRandomness(sqlite3_vfs*, int n, char* out) {
  return g_fault.real->xRandomness(g_fault.real, n, out);
}
int ShimSleep(sqlite3_vfs*, int us) { return g_fault.real->xSleep(g_fault.real, us); }
int ShimCurrentTime(sqlite3_vfs*, double* out) {
  return g_fault.real->xCurrentTime(g_fault.real, out);
}
int ShimGetLastError(sqlite3_vfs*, int n, char* out) {
  return g_fault.real->xGetLastError(g_fault.real, n, out);
}
int ShimCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_fault.real->xCurrentTimeInt64(g_fault.real, out);
}

sqlite3_vfs g_shim_vfs;

// Makes the shim SQLite's default VFS for files under `prefix` while it lives.
class ScopedFaultVfs {
 public:
  explicit ScopedFaultVfs(std::string prefix) {
    g_fault.real = sqlite3_vfs_find(nullptr);
    g_fault.prefix = std::move(prefix);
    g_fault.write_error = SQLITE_OK;
    g_fault.read_error = SQLITE_OK;
    g_shim_vfs = *g_fault.real;
    g_shim_vfs.iVersion = 2;  // no xSetSystemCall & co.
    g_shim_vfs.pNext = nullptr;
    g_shim_vfs.zName = "cpa-test-faults";
    g_shim_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + g_fault.real->szOsFile;
    g_shim_vfs.xOpen = ShimOpen;
    g_shim_vfs.xDelete = ShimDelete;
    g_shim_vfs.xAccess = ShimAccess;
    g_shim_vfs.xFullPathname = ShimFullPathname;
    g_shim_vfs.xDlOpen = nullptr;
    g_shim_vfs.xDlError = nullptr;
    g_shim_vfs.xDlSym = nullptr;
    g_shim_vfs.xDlClose = nullptr;
    g_shim_vfs.xRandomness = ShimRandomness;
    g_shim_vfs.xSleep = ShimSleep;
    g_shim_vfs.xCurrentTime = ShimCurrentTime;
    g_shim_vfs.xGetLastError = ShimGetLastError;
    g_shim_vfs.xCurrentTimeInt64 = ShimCurrentTimeInt64;
    EXPECT_EQ(sqlite3_vfs_register(&g_shim_vfs, 1), SQLITE_OK);
  }
  ~ScopedFaultVfs() {
    sqlite3_vfs_unregister(&g_shim_vfs);
    sqlite3_vfs_register(g_fault.real, 1);
  }
  ScopedFaultVfs(const ScopedFaultVfs&) = delete;
  ScopedFaultVfs& operator=(const ScopedFaultVfs&) = delete;
};

// ------------------------------------------------------------------ the tests

struct StoreFault {
  const char* name;
  int write_error;
  int read_error;
  const char* stage;    // of the failed runs
  const char* message;  // in each of their errors
};
void PrintTo(const StoreFault& f, std::ostream* os) { *os << f.name; }

class EngineStoreFaults : public testing::TestWithParam<StoreFault> {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("cpa-store-faults-" + std::to_string(::getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", "web"};
    config_.downscale_stabilization_s = 300;
    config_.metric.type = "shell";
    config_.metric.shell = config::ShellMethodConfig{"/bin/echo", {"1"}, false};
    config_.evaluate.type = "shell";
    config_.evaluate.shell = config::ShellMethodConfig{
        Logic("evaluate-from-env.sh"), {(dir_ / "evaluation.json").string()}, false};
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Evaluate(int n) {
    std::ofstream(dir_ / "evaluation.json") << "{\"targetReplicas\": " << n << "}";
  }
  std::string StorePath() const { return (dir_ / "history.db").string(); }
  std::unique_ptr<Autoscaler> Make(store::Store& store) {
    AutoscalerOptions options;
    options.store = &store;
    auto a = Autoscaler::Create(config_, cluster_, clock_, std::move(options));
    EXPECT_TRUE(a) << (a ? "" : a.error().message);
    return std::move(*a);
  }
  // The evaluations in the file, oldest first, and whether SQLite finds the file sound.
  std::vector<int64_t> StoredEvaluations(bool* sound) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(StorePath().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    std::vector<int64_t> out;
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr);
    *sound = sqlite3_step(stmt) == SQLITE_ROW &&
             std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "ok";
    sqlite3_finalize(stmt);
    sqlite3_prepare_v2(db, "SELECT target_replicas FROM evaluations ORDER BY ts", -1, &stmt,
                       nullptr);
    while (sqlite3_step(stmt) == SQLITE_ROW) out.push_back(sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close_v2(db);
    return out;
  }

  fs::path dir_;
  config::Config config_;
  MemoryCluster cluster_{2};
  ManualClock clock_{FromUnixMillis(1'800'000'000'000)};
};

TEST_P(EngineStoreFaults, FailedRunsScaleNothingAndTheNextGoodRunScales) {
  const StoreFault& fault = GetParam();
  {
    ScopedFaultVfs vfs(dir_.string());
    auto opened = store::OpenSqliteStore(store::StoreOptions{.path = StorePath()});
    ASSERT_TRUE(opened) << opened.error().ToString();
    auto a = Make(**opened);
    Evaluate(3);
    ASSERT_TRUE(a->Run(RunType::kScaler));
    ASSERT_EQ(cluster_.replicas(), 3);

    Evaluate(7);
    g_fault.write_error = fault.write_error;
    g_fault.read_error = fault.read_error;
    const int fds = testing_support::CountOpenFds(::getpid());
    for (int i = 0; i < 25; ++i) {
      clock_.Advance(15s);
      log::LogCapture logs;
      auto r = a->Run(RunType::kScaler);
      ASSERT_FALSE(r) << "run " << i << " succeeded during the fault";
      EXPECT_EQ(r.error().stage, fault.stage);
      EXPECT_NE(r.error().error.message.find(StorePath()), std::string::npos)
          << r.error().error.message;
      EXPECT_NE(r.error().error.message.find(fault.message), std::string::npos)
          << r.error().error.message;
      EXPECT_EQ(logs.Lines().size(), 1u) << "one line per failed run";
      ASSERT_EQ(cluster_.replicas(), 3) << "scaled during the fault";
    }
    EXPECT_EQ(testing_support::CountOpenFds(::getpid()), fds);
    EXPECT_EQ(testing_support::CountChildProcesses(::getpid()), 0);

    g_fault.write_error = SQLITE_OK;  // the fault clears
    g_fault.read_error = SQLITE_OK;
    clock_.Advance(15s);
    auto r = a->Run(RunType::kScaler);
    ASSERT_TRUE(r) << r.error().ToString();
    EXPECT_EQ(cluster_.replicas(), 7);
    Evaluate(2);
    clock_.Advance(15s);
    ASSERT_TRUE(a->Run(RunType::kScaler));
    EXPECT_EQ(cluster_.replicas(), 7);  // the 7 stored after the fault holds the window
  }
  bool sound = false;
  auto stored = StoredEvaluations(&sound);
  EXPECT_TRUE(sound) << "the store file is damaged after the fault";
  ASSERT_GE(stored.size(), 3u);
  EXPECT_EQ(stored.front(), 3);  // stored before the fault
  EXPECT_EQ(stored.back(), 2);
  if (fault.write_error != SQLITE_OK) {
    EXPECT_EQ(stored, (std::vector<int64_t>{3, 7, 2})) << "a failed write left a row behind";
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, EngineStoreFaults,
                         testing::Values(StoreFault{"disk_full", SQLITE_FULL, SQLITE_OK, "record",
                                                    "database or disk is full"},
                                         StoreFault{"write_io_error", SQLITE_IOERR_WRITE, SQLITE_OK,
                                                    "record", "disk I/O error"},
                                         StoreFault{"read_only_medium", SQLITE_READONLY, SQLITE_OK,
                                                    "record", "readonly"},
                                         StoreFault{"read_io_error", SQLITE_OK, SQLITE_IOERR_READ,
                                                    "stabilize", "read stabilization window"}),
                         [](const auto& info) { return std::string(info.param.name); });

// A store opened read-only (StoreOptions::read_only) cannot take a run: stage record.
TEST_F(EngineStoreFaults, ReadOnlyStoreFailsRunsInStageRecord) {
  {
    auto writable = store::OpenSqliteStore(store::StoreOptions{.path = StorePath()});
    ASSERT_TRUE(writable);
  }
  auto opened = store::OpenSqliteStore(store::StoreOptions{.path = StorePath(), .read_only = true});
  ASSERT_TRUE(opened) << opened.error().ToString();
  auto a = Make(**opened);
  Evaluate(5);
  log::LogCapture logs;
  auto r = a->Run(RunType::kScaler);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().stage, "record");
  EXPECT_NE(r.error().error.message.find("is open read-only"), std::string::npos);
  EXPECT_EQ(logs.Lines().size(), 1u);
  EXPECT_EQ(cluster_.scales(), 0);
}

}  // namespace
}  // namespace cpa::engine
