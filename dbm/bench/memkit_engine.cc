#include <memory>
#include <string>
#include <utility>

#include "dbm/bench/engine.h"
#include "dbm/db.h"

namespace memkit {
namespace dbm {
namespace bench {
namespace {

class MemkitEngine final : public Engine {
 public:
  std::string name() const override { return "memkit"; }
  absl::Status Open(const std::string& dir, Access access) override {
    Options options;
    options.mode = access == Access::kNew        ? OpenMode::kNew
                   : access == Access::kReadOnly ? OpenMode::kReadOnly
                                                 : OpenMode::kReadWrite;
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(dir + "/data.dbm", options);
    if (!db.ok()) return db.status();
    db_ = std::move(*db);
    return absl::OkStatus();
  }
  absl::Status Close() override {
    absl::Status s = db_->Close();
    db_.reset();
    return s;
  }
  bool Put(absl::string_view key, absl::string_view value) override {
    return db_->Put(key, value).ok();
  }
  bool Get(absl::string_view key, std::string* value) override {
    return db_->Get(key, value).ok();
  }
  bool Delete(absl::string_view key) override { return db_->Delete(key).ok(); }

 private:
  std::unique_ptr<Db> db_;
};

}  // namespace

std::unique_ptr<Engine> MakeMemkitEngine() { return std::make_unique<MemkitEngine>(); }

}  // namespace bench
}  // namespace dbm
}  // namespace memkit
