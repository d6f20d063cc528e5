#include "dbm/bench/engines.h"

#include <fcntl.h>
#include <gdbm.h>
#include <kclangc.h>
#include <lmdb.h>

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "leveldb/db.h"

namespace memkit {
namespace dbm {
namespace bench {
namespace {

class LevelDbEngine final : public Engine {
 public:
  std::string name() const override { return "leveldb"; }
  absl::Status Open(const std::string& dir, Access access) override {
    leveldb::Options options;
    options.create_if_missing = access == Access::kNew;
    if (access == Access::kNew) leveldb::DestroyDB(dir + "/ldb", options);
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, dir + "/ldb", &db);
    if (!s.ok()) return absl::InternalError(s.ToString());
    db_.reset(db);
    return absl::OkStatus();
  }
  absl::Status Close() override {
    db_.reset();
    return absl::OkStatus();
  }
  bool Put(absl::string_view key, absl::string_view value) override {
    return db_->Put(write_, Slice(key), Slice(value)).ok();
  }
  bool Get(absl::string_view key, std::string* value) override {
    return db_->Get(read_, Slice(key), value).ok();
  }
  bool Delete(absl::string_view key) override { return db_->Delete(write_, Slice(key)).ok(); }

 private:
  static leveldb::Slice Slice(absl::string_view s) { return leveldb::Slice(s.data(), s.size()); }
  std::unique_ptr<leveldb::DB> db_;
  leveldb::ReadOptions read_;
  leveldb::WriteOptions write_;  // sync = false
};

class LmdbEngine final : public Engine {
 public:
  ~LmdbEngine() override { Close().IgnoreError(); }
  std::string name() const override { return "lmdb"; }
  absl::Status Open(const std::string& dir, Access access) override {
    const std::string path = dir + "/data.mdb";
    if (access == Access::kNew) {
      std::remove(path.c_str());
      std::remove((path + "-lock").c_str());
    }
    int rc = mdb_env_create(&env_);
    if (rc == 0) rc = mdb_env_set_mapsize(env_, size_t{4} << 30);
    // Writes through the map, no fsync at commit: the same durability as the
    // others (a killed process loses nothing committed, a crashed machine may).
    unsigned flags = MDB_NOSUBDIR | MDB_WRITEMAP | MDB_NOSYNC | MDB_NOMETASYNC | MDB_NOTLS;
    if (access == Access::kReadOnly) flags |= MDB_RDONLY;
    if (rc == 0) rc = mdb_env_open(env_, path.c_str(), flags, 0644);
    MDB_txn* txn = nullptr;
    if (rc == 0) rc = mdb_txn_begin(env_, nullptr, access == Access::kReadOnly ? MDB_RDONLY : 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, nullptr, 0, &dbi_);
    if (rc == 0) rc = mdb_txn_commit(txn);
    // One read transaction, reset and renewed around every get: the cheap way
    // to do independent point reads in LMDB.
    if (rc == 0) rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &read_txn_);
    if (rc == 0) mdb_txn_reset(read_txn_);
    if (rc != 0) return absl::InternalError(absl::StrCat("lmdb: ", mdb_strerror(rc)));
    return absl::OkStatus();
  }
  absl::Status Close() override {
    if (read_txn_ != nullptr) mdb_txn_abort(read_txn_);
    read_txn_ = nullptr;
    if (env_ != nullptr) mdb_env_close(env_);
    env_ = nullptr;
    return absl::OkStatus();
  }
  bool Put(absl::string_view key, absl::string_view value) override {
    MDB_txn* txn;
    if (mdb_txn_begin(env_, nullptr, 0, &txn) != 0) return false;
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    if (mdb_put(txn, dbi_, &k, &v, 0) != 0) {
      mdb_txn_abort(txn);
      return false;
    }
    return mdb_txn_commit(txn) == 0;
  }
  bool Get(absl::string_view key, std::string* value) override {
    if (mdb_txn_renew(read_txn_) != 0) return false;
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v;
    const bool found = mdb_get(read_txn_, dbi_, &k, &v) == 0;
    if (found) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    mdb_txn_reset(read_txn_);
    return found;
  }
  bool Delete(absl::string_view key) override {
    MDB_txn* txn;
    if (mdb_txn_begin(env_, nullptr, 0, &txn) != 0) return false;
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    if (mdb_del(txn, dbi_, &k, nullptr) != 0) {
      mdb_txn_abort(txn);
      return false;
    }
    return mdb_txn_commit(txn) == 0;
  }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  MDB_txn* read_txn_ = nullptr;
};

class GdbmEngine final : public Engine {
 public:
  ~GdbmEngine() override { Close().IgnoreError(); }
  std::string name() const override { return "gdbm"; }
  absl::Status Open(const std::string& dir, Access access) override {
    const int mode = access == Access::kNew        ? GDBM_NEWDB
                     : access == Access::kReadOnly ? GDBM_READER
                                                   : GDBM_WRITER;
    db_ = gdbm_open((dir + "/data.gdbm").c_str(), 0, mode, 0644, nullptr);
    if (db_ == nullptr) return absl::InternalError(gdbm_strerror(gdbm_errno));
    return absl::OkStatus();
  }
  absl::Status Close() override {
    if (db_ != nullptr) gdbm_close(db_);
    db_ = nullptr;
    return absl::OkStatus();
  }
  bool Put(absl::string_view key, absl::string_view value) override {
    return gdbm_store(db_, Datum(key), Datum(value), GDBM_REPLACE) == 0;
  }
  bool Get(absl::string_view key, std::string* value) override {
    datum v = gdbm_fetch(db_, Datum(key));
    if (v.dptr == nullptr) return false;
    value->assign(v.dptr, static_cast<size_t>(v.dsize));
    std::free(v.dptr);
    return true;
  }
  bool Delete(absl::string_view key) override { return gdbm_delete(db_, Datum(key)) == 0; }

 private:
  static datum Datum(absl::string_view s) {
    return datum{const_cast<char*>(s.data()), static_cast<int>(s.size())};
  }
  GDBM_FILE db_ = nullptr;
};

class KyotoEngine final : public Engine {
 public:
  KyotoEngine() : db_(kcdbnew()) {}
  ~KyotoEngine() override {
    Close().IgnoreError();
    kcdbdel(db_);
  }
  std::string name() const override { return "kyoto"; }
  absl::Status Open(const std::string& dir, Access access) override {
    uint32_t mode = access == Access::kReadOnly ? KCOREADER : KCOWRITER;
    if (access == Access::kNew) mode |= KCOCREATE | KCOTRUNCATE;
    if (!kcdbopen(db_, (dir + "/data.kch").c_str(), mode)) {
      return absl::InternalError(absl::StrCat("kyoto: ", kcdbemsg(db_)));
    }
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status Close() override {
    if (open_) kcdbclose(db_);
    open_ = false;
    return absl::OkStatus();
  }
  bool Put(absl::string_view key, absl::string_view value) override {
    return kcdbset(db_, key.data(), key.size(), value.data(), value.size()) != 0;
  }
  bool Get(absl::string_view key, std::string* value) override {
    char buf[4096];
    const int32_t n = kcdbgetbuf(db_, key.data(), key.size(), buf, sizeof(buf));
    if (n < 0) return false;
    value->assign(buf, static_cast<size_t>(n));
    return true;
  }
  bool Delete(absl::string_view key) override {
    return kcdbremove(db_, key.data(), key.size()) != 0;
  }

 private:
  KCDB* const db_;
  bool open_ = false;
};

}  // namespace

std::vector<std::string> EngineNames() { return {"memkit", "leveldb", "lmdb", "gdbm", "kyoto"}; }

std::unique_ptr<Engine> MakeEngine(const std::string& name) {
  if (name == "memkit") return MakeMemkitEngine();
  if (name == "leveldb") return std::make_unique<LevelDbEngine>();
  if (name == "lmdb") return std::make_unique<LmdbEngine>();
  if (name == "gdbm") return std::make_unique<GdbmEngine>();
  if (name == "kyoto") return std::make_unique<KyotoEngine>();
  return nullptr;
}

}  // namespace bench
}  // namespace dbm
}  // namespace memkit
