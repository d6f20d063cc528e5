// Persister::WriteSnapshot and Persister::Load: a cache into a dbm file and
// back (the format is in persist_format.h).

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dbm/db.h"
#include "server/persist.h"
#include "server/persist_format.h"

namespace memkit {
namespace server {
namespace {

// Keys are read back from the cache this many at a time (one GetMulti: each
// shard lock taken once per batch, held for a few microseconds).
constexpr size_t kBatch = 256;

// memcached's boundary between relative and absolute exptimes.
constexpr int64_t kRelativeMax = 60 * 60 * 24 * 30;

dbm::Options SnapshotDbOptions(dbm::Env* env, dbm::OpenMode mode) {
  dbm::Options o;
  o.mode = mode;
  o.auto_compact = false;  // written once, never rewritten
  o.write_hint = false;    // read once, in full
  o.use_hint = false;      // so Open checks every record's CRC
  o.env = env;
  return o;
}

// The listed keys of the cache, one arena for all of them.
struct KeyList {
  struct Entry {
    size_t offset;
    uint32_t size;
    int64_t last_access_unix;
  };
  std::string bytes;
  std::vector<Entry> entries;

  absl::string_view key(const Entry& e) const {
    return absl::string_view(bytes.data() + e.offset, e.size);
  }
};

}  // namespace

absl::StatusOr<SnapshotReport> Persister::WriteSnapshot() {
  const absl::Time start = absl::Now();
  SnapshotReport report;

  // 1. The keys. ForEachItem holds each shard's lock while it visits that
  //    shard, so copy nothing but keys there (no values, no disk).
  KeyList keys;
  // Sized up front so the visits below never reallocate under a shard lock.
  const CacheStats stats = cache_->GetStats();
  keys.entries.reserve(stats.curr_items + stats.curr_items / 8 + 16);
  keys.bytes.reserve((stats.curr_items + stats.curr_items / 8) * 24);
  cache_->ForEachItem([&keys](const ItemInfo& info) {
    keys.entries.push_back({keys.bytes.size(), static_cast<uint32_t>(info.key.size()),
                            info.last_access_unix});
    keys.bytes.append(info.key.data(), info.key.size());
    return true;
  });
  report.listing = absl::Now() - start;

  // 2. A fresh file, headed by an "incomplete" header.
  auto db = dbm::Db::Open(tmp_path_, SnapshotDbOptions(env_, dbm::OpenMode::kNew));
  if (!db.ok()) return db.status();
  persist::SnapshotHeader header;
  header.written_unix = cache_->ProcessStarted() + cache_->CurrentTime();
  if (absl::Status s = (*db)->Put(persist::kHeaderKey, persist::EncodeHeader(header)); !s.ok()) {
    return s;
  }

  // 3. Each item, read back as a `mg u` would (no LRU bump). Items deleted,
  //    expired or replaced since the listing are simply as they are now.
  GetOptions peek;
  peek.bump = false;
  std::vector<absl::string_view> batch;
  std::vector<GetResult> results;
  std::string record;
  for (size_t first = 0; first < keys.entries.size(); first += kBatch) {
    const size_t n = std::min(kBatch, keys.entries.size() - first);
    batch.clear();
    for (size_t i = 0; i < n; ++i) batch.push_back(keys.key(keys.entries[first + i]));
    // A hit's ttl counts from GetMulti's own reading of the clock, which is
    // this one or (if a second ticked meanwhile) the next: the expiry below
    // is exact, or at worst one second early, never late.
    const int64_t now_unix = cache_->ProcessStarted() + cache_->CurrentTime();
    cache_->GetMulti(batch, peek, &results);
    for (size_t i = 0; i < n; ++i) {
      const GetResult& r = results[i];
      if (!r.hit()) continue;
      persist::ItemRecord item;
      item.client_flags = r.item.client_flags();
      item.exptime_unix = r.ttl < 0 ? 0 : now_unix + r.ttl;
      item.cas = r.cas;
      item.last_access_unix = keys.entries[first + i].last_access_unix;
      item.key_binary = r.item.key_binary();
      item.value = r.item.value();
      persist::EncodeItem(item, &record);
      if (absl::Status s = (*db)->Put(batch[i], record); !s.ok()) return s;
      ++header.item_count;
      header.item_bytes += cache_->ItemSize(batch[i].size(), item.client_flags, item.value.size());
      header.max_cas = std::max(header.max_cas, item.cas);
    }
    results.clear();  // drop the item references before the next batch
  }

  // 4. The final header, then durably in place: sync, close (which trims the
  //    preallocated tail), sync again for the new size, rename, sync the
  //    directory. Until the rename the old snapshot stays whole.
  header.complete = true;
  if (absl::Status s = (*db)->Put(persist::kHeaderKey, persist::EncodeHeader(header)); !s.ok()) {
    return s;
  }
  if (absl::Status s = (*db)->Sync(); !s.ok()) return s;
  if (absl::Status s = (*db)->Close(); !s.ok()) return s;
  db->reset();
  {
    auto file = env_->OpenFile(tmp_path_, dbm::OpenFileOptions());
    if (!file.ok()) return file.status();
    if (absl::Status s = (*file)->Sync(); !s.ok()) return s;
    auto size = (*file)->Size();
    if (!size.ok()) return size.status();
    report.file_bytes = *size;
  }
  if (absl::Status s = env_->Rename(tmp_path_, path_); !s.ok()) return s;
  if (absl::Status s = env_->SyncDir(options_.dir); !s.ok()) return s;
  report.items = header.item_count;
  report.elapsed = absl::Now() - start;
  return report;
}

namespace {

// Load, step 1: the header record says whether `db` is a memkit-server
// snapshot (usable) and whether it is whole (complete); else `problem` says
// why not.
persist::SnapshotHeader CheckHeader(const absl::StatusOr<std::unique_ptr<dbm::Db>>& db,
                                    LoadReport* report) {
  persist::SnapshotHeader header;
  if (!db.ok()) {
    report->problem = std::string(db.status().message());
    return header;
  }
  std::string bytes;
  absl::Status got = (*db)->Get(persist::kHeaderKey, &bytes);
  absl::StatusOr<persist::SnapshotHeader> decoded =
      got.ok() ? persist::DecodeHeader(bytes) : absl::StatusOr<persist::SnapshotHeader>(got);
  if (!decoded.ok()) {
    report->problem = absl::IsNotFound(got) ? "not a memkit-server snapshot (no header record)"
                                            : std::string(decoded.status().message());
    return header;
  }
  header = *decoded;
  report->usable = true;
  report->snapshot_unix = header.written_unix;
  const dbm::RecoveryReport& rec = (*db)->recovery();
  report->complete = header.complete && rec.clean();
  if (!rec.clean()) {
    report->problem = absl::StrCat(rec.problem.empty() ? "damaged" : rec.problem, ", ",
                                   rec.dropped_bytes, " bytes unreadable");
  } else if (!header.complete) {
    report->problem = "the snapshot was not finished";
  }
  return header;
}

// Load, step 2 (per record): stores one record's item unless it expired by
// `now_unix` or does not decode.
void StoreLoadedItem(Cache* cache, absl::string_view key, absl::string_view bytes,
                     int64_t now_unix, LoadReport* report) {
  absl::StatusOr<persist::ItemRecord> item = persist::DecodeItem(bytes);
  if (!item.ok()) {
    ++report->malformed;
    return;
  }
  if (item->exptime_unix != 0 && item->exptime_unix <= now_unix) {
    ++report->expired;
    return;
  }
  StoreRequest request;
  request.client_flags = item->client_flags;
  request.key_binary = item->key_binary;
  // Absolute, so the cache counts from the snapshot's expiry itself (a
  // clock still near the epoch, as some tests use, needs relative).
  request.exptime = item->exptime_unix == 0            ? 0
                    : item->exptime_unix > kRelativeMax ? item->exptime_unix
                                                       : item->exptime_unix - now_unix;
  request.drop_on_failure = false;
  if (cache->Store(key, item->value, request).stored()) {
    ++report->loaded;
  } else {
    ++report->not_stored;
  }
}

// Load, step 2: the items of a usable snapshot into `cache`.
void LoadItems(dbm::Db& db, const persist::SnapshotHeader& header, Cache* cache,
               LoadReport* report) {
  const int64_t now_unix = cache->ProcessStarted() + cache->CurrentTime();
  // Iteration is in hash order. That only matters when the items may not
  // all fit (a smaller -m than before, or a damaged header that does not
  // say): then store them by last access, so the most recent survive.
  const uint64_t need = header.item_bytes + 8 * header.item_count;  // CAS on or off
  if (report->complete && need <= cache->options().memory_limit) {
    for (auto it = db.NewIterator(); it->Valid(); it->Next()) {
      if (it->key() != persist::kHeaderKey) {
        StoreLoadedItem(cache, it->key(), it->value(), now_unix, report);
      }
    }
    return;
  }
  KeyList keys;
  for (auto it = db.NewIterator(); it->Valid(); it->Next()) {
    if (it->key() == persist::kHeaderKey) continue;
    absl::StatusOr<persist::ItemRecord> item = persist::DecodeItem(it->value());
    keys.entries.push_back({keys.bytes.size(), static_cast<uint32_t>(it->key().size()),
                            item.ok() ? item->last_access_unix : 0});
    keys.bytes.append(it->key().data(), it->key().size());
  }
  // Evicting: oldest first, so the newest push them out. Not evicting
  // (-M): newest first, until stores are refused.
  const bool evict = cache->options().evict;
  std::stable_sort(keys.entries.begin(), keys.entries.end(),
                   [evict](const KeyList::Entry& a, const KeyList::Entry& b) {
                     return evict ? a.last_access_unix < b.last_access_unix
                                  : a.last_access_unix > b.last_access_unix;
                   });
  std::string bytes;
  for (const KeyList::Entry& e : keys.entries) {
    if (db.Get(keys.key(e), &bytes).ok()) StoreLoadedItem(cache, keys.key(e), bytes, now_unix, report);
  }
}

}  // namespace

absl::StatusOr<LoadReport> Persister::Load() {
  const absl::Time start = absl::Now();
  LoadReport report;
  auto db = dbm::Db::Open(path_, SnapshotDbOptions(env_, dbm::OpenMode::kReadOnly));
  report.opening = absl::Now() - start;
  if (absl::IsNotFound(db.status())) {
    Log(1, absl::StrCat("persist: no snapshot at ", path_, ", starting cold"));
    return report;
  }
  report.found = true;
  const persist::SnapshotHeader header = CheckHeader(db, &report);  // step 1
  if (!report.complete && options_.strict) {
    return absl::DataLossError(absl::StrCat("persist: snapshot ", path_, " is unusable: ",
                                            report.problem,
                                            "; remove it, or drop persist_strict to start cold"));
  }
  if (report.usable) LoadItems(**db, header, cache_, &report);  // step 2
  if (db.ok()) {
    (*db)->Close().IgnoreError();  // read-only: nothing to lose
    db->reset();
  }
  report.elapsed = absl::Now() - start;
  FinishLoad(report);  // step 3
  return report;
}

void Persister::FinishLoad(const LoadReport& report) {
  if (!report.complete) {
    // Keep the evidence, out of the way of the next snapshot.
    const std::string aside = path_ + ".corrupt";
    absl::Status moved = env_->Rename(path_, aside);
    Log(0, absl::StrCat("persist: snapshot ", path_, " is unusable (", report.problem, "): ",
                        report.usable ? absl::StrCat("loaded ", report.loaded, " items from it")
                                      : std::string("starting cold"),
                        moved.ok() ? absl::StrCat("; moved it to ", aside)
                                   : absl::StrCat("; could not move it: ", moved.message())));
    return;
  }
  if (options_.interval <= absl::ZeroDuration()) {
    // Consumed: only the next graceful shutdown writes a snapshot again.
    absl::Status removed = dbm::Db::Destroy(path_, env_);
    if (!removed.ok()) {
      Log(0, absl::StrCat("persist: could not remove the loaded snapshot ", path_, ": ",
                          removed.message()));
    }
  }
  Log(1, absl::StrCat("persist: loaded ", report.loaded, " items from ", path_, " (snapshot ",
                      cache_->ProcessStarted() + cache_->CurrentTime() - report.snapshot_unix,
                      " s old; ", report.expired, " expired, ", report.not_stored,
                      " not stored, ", report.malformed, " malformed) in ",
                      absl::ToInt64Milliseconds(report.elapsed), " ms"));
}

}  // namespace server
}  // namespace memkit
