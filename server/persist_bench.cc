// How long a warm restart takes: fills a Cache with --items items (keys
// "key:%010d", --value_size bytes, flags and a TTL on half), snapshots it
// into --dir, and loads the snapshot into a fresh cache; prints the times,
// the file size and the process's peak RSS.
//
//   bazel run --config=opt //server:persist_bench -- --items=1000000 --dir=/tmp/pb

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/cache.h"
#include "server/persist.h"

namespace {

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

long PeakRssMb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

// CPU seconds (user + system) of this process so far.
double CpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t items = 1000000;
  int64_t value_size = 100;
  std::string dir = "/tmp/memkit_persist_bench";
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    bool ok = true;
    if (absl::ConsumePrefix(&a, "--items=")) {
      ok = absl::SimpleAtoi(a, &items) && items > 0;
    } else if (absl::ConsumePrefix(&a, "--value_size=")) {
      ok = absl::SimpleAtoi(a, &value_size) && value_size >= 0;
    } else if (absl::ConsumePrefix(&a, "--dir=")) {
      dir = std::string(a);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "usage: %s [--items=N] [--value_size=B] [--dir=DIR]\n", argv[0]);
      return 2;
    }
  }

  memkit::server::CacheOptions co;
  co.memory_limit = static_cast<size_t>(items) * static_cast<size_t>(value_size + 120) + (64u << 20);
  auto source = memkit::server::Cache::Create(co);
  if (!source.ok()) {
    std::fprintf(stderr, "%s\n", source.status().ToString().c_str());
    return 1;
  }
  const std::string value(static_cast<size_t>(value_size), 'v');
  absl::Time t = absl::Now();
  for (int64_t i = 0; i < items; ++i) {
    memkit::server::StoreRequest set;
    set.client_flags = static_cast<uint32_t>(i);
    set.exptime = i % 2 == 0 ? 0 : 3600;
    (*source)->Store(absl::StrFormat("key:%010d", i), value, set);
  }
  std::printf("fill:     %lld items of %lld bytes in %.0f ms\n", static_cast<long long>(items),
              static_cast<long long>(value_size), Ms(absl::Now() - t));

  double cpu = CpuSeconds();
  {
    memkit::server::PersistOptions po;
    po.dir = dir;
    auto p = memkit::server::Persister::Create(po, source->get());
    if (!p.ok()) {
      std::fprintf(stderr, "%s\n", p.status().ToString().c_str());
      return 1;
    }
    auto r = (*p)->Snapshot();
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "snapshot: %llu items, %.1f MB file, %.0f ms wall (%.0f ms CPU); listing keys %.0f ms "
        "over %d shard locks (~%.1f ms each)\n",
        static_cast<unsigned long long>(r->items), r->file_bytes / 1e6, Ms(r->elapsed),
        (CpuSeconds() - cpu) * 1e3, Ms(r->listing), co.num_shards,
        Ms(r->listing) / co.num_shards);
  }
  source->reset();

  auto target = memkit::server::Cache::Create(co);
  if (!target.ok()) return 1;
  cpu = CpuSeconds();
  {
    memkit::server::PersistOptions po;
    po.dir = dir;
    po.interval = absl::Hours(1);  // keep the file for the next run
    auto p = memkit::server::Persister::Create(po, target->get());
    if (!p.ok()) return 1;
    auto r = (*p)->Load();
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "load:     %llu items in %.0f ms wall (%.0f ms CPU), %.2f us/item, of which opening "
        "(every CRC) %.0f ms; complete=%d\n",
        static_cast<unsigned long long>(r->loaded), Ms(r->elapsed), (CpuSeconds() - cpu) * 1e3,
        Ms(r->elapsed) * 1e3 / static_cast<double>(items), Ms(r->opening), r->complete ? 1 : 0);
  }
  std::printf("peak RSS: %ld MB (both caches lived one after the other)\n", PeakRssMb());
  return 0;
}
