// Bytes per item: the storage engine against a real memcached.
//
// Starts /usr/bin/memcached on an OS-chosen loopback port (//tests/support's
// launcher, hence a testonly binary), stores N items
// ("key:NNNNNNNN" keys, 100-byte values by default) with pipelined noreply
// sets, and reads its `stats` bytes and its RSS growth; then stores the same
// items in an in-process Cache and reads its `bytes`, its real heap bytes and
// this process's RSS growth. Prints both and the ratios.
//
//   bazel run --config=opt //server:cache_memory_bench -- --items=500000 --value_size=100

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/cache.h"
#include "tests/support/server_process.h"

namespace {

struct Flags {
  int64_t items = 500000;
  int64_t value_size = 100;
  std::string memcached = "/usr/bin/memcached";
};

bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--items=")) {
      if (!absl::SimpleAtoi(arg, &flags->items) || flags->items <= 0) return false;
    } else if (absl::ConsumePrefix(&arg, "--value_size=")) {
      if (!absl::SimpleAtoi(arg, &flags->value_size) || flags->value_size < 0) return false;
    } else if (absl::ConsumePrefix(&arg, "--memcached=")) {
      flags->memcached = std::string(arg);
    } else {
      return false;
    }
  }
  return true;
}

// Resident set size of `pid` ("self" for this process), in bytes.
int64_t RssBytes(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view view = line;
    if (absl::ConsumePrefix(&view, "VmRSS:")) {
      int64_t kb = 0;
      view = absl::StripAsciiWhitespace(view);
      absl::ConsumeSuffix(&view, " kB");
      if (absl::SimpleAtoi(view, &kb)) return kb * 1024;
    }
  }
  return -1;
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return fd;
  if (fd >= 0) close(fd);
  return -1;
}

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Sends `stats` and returns name -> value.
std::map<std::string, std::string> Stats(int fd) {
  std::map<std::string, std::string> stats;
  if (!WriteAll(fd, "stats\r\n")) return stats;
  std::string reply;
  char buf[4096];
  while (!absl::EndsWith(reply, "END\r\n")) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return stats;
    reply.append(buf, static_cast<size_t>(n));
  }
  for (absl::string_view line : absl::StrSplit(reply, "\r\n")) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() == 3 && parts[0] == "STAT") stats[parts[1]] = parts[2];
  }
  return stats;
}

std::string KeyFor(int64_t i) { return absl::StrFormat("key:%08d", i); }

struct Report {
  double stats_bytes_per_item = 0;
  double rss_per_item = 0;
  double heap_per_item = 0;
};

bool MeasureMemcached(const Flags& flags, Report* report) {
  // The launcher waits until memcached listens, so one connect suffices.
  auto server = memkit::test_support::ServerProcess::Start(
      memkit::test_support::CommandFor(flags.memcached, {"-m", "4096", "-t", "1"}));
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return false;
  }
  const std::string pid = std::to_string((*server)->pid());
  bool ok = false;
  int fd = Connect((*server)->port());
  if (fd >= 0) {
    const int64_t rss_before = RssBytes(pid);
    const std::string value(static_cast<size_t>(flags.value_size), 'v');
    std::string batch;
    for (int64_t i = 0; i < flags.items; ++i) {
      absl::StrAppend(&batch, "set ", KeyFor(i), " 0 0 ", flags.value_size, " noreply\r\n", value,
                      "\r\n");
      if (batch.size() > (1 << 16)) {
        if (!WriteAll(fd, batch)) break;
        batch.clear();
      }
    }
    WriteAll(fd, batch);
    std::map<std::string, std::string> stats = Stats(fd);  // Answered after the sets.
    const int64_t rss_after = RssBytes(pid);
    int64_t bytes = 0;
    int64_t items = 0;
    if (absl::SimpleAtoi(stats["bytes"], &bytes) && absl::SimpleAtoi(stats["curr_items"], &items) &&
        items == flags.items) {
      report->stats_bytes_per_item = static_cast<double>(bytes) / static_cast<double>(items);
      report->rss_per_item = static_cast<double>(rss_after - rss_before) / static_cast<double>(items);
      ok = true;
    } else {
      std::fprintf(stderr, "memcached stored %lld of %lld items\n", static_cast<long long>(items),
                   static_cast<long long>(flags.items));
    }
    close(fd);
  }
  return ok;  // ~ServerProcess stops memcached
}

bool MeasureEngine(const Flags& flags, Report* report) {
  const int64_t rss_before = RssBytes("self");
  memkit::server::CacheOptions options;
  options.memory_limit = size_t{4} << 30;
  options.reclaim_interval = absl::ZeroDuration();
  auto cache = memkit::server::Cache::Create(options);
  if (!cache.ok()) return false;
  const std::string value(static_cast<size_t>(flags.value_size), 'v');
  memkit::server::StoreRequest set;
  for (int64_t i = 0; i < flags.items; ++i) {
    if ((*cache)->Store(KeyFor(i), value, set).code != memkit::McCode::kOk) return false;
  }
  const int64_t rss_after = RssBytes("self");
  memkit::server::CacheStats st = (*cache)->GetStats();
  const double n = static_cast<double>(flags.items);
  report->stats_bytes_per_item = static_cast<double>(st.bytes) / n;
  report->heap_per_item = static_cast<double>(st.heap_bytes + st.hash_bytes) / n;
  report->rss_per_item = static_cast<double>(rss_after - rss_before) / n;
  return st.curr_items == static_cast<uint64_t>(flags.items);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fprintf(stderr, "usage: %s [--items=N] [--value_size=N] [--memcached=PATH]\n", argv[0]);
    return 2;
  }
  Report memcached;
  Report engine;
  const bool have_memcached = MeasureMemcached(flags, &memcached);
  if (!MeasureEngine(flags, &engine)) {
    std::fprintf(stderr, "engine run failed\n");
    return 1;
  }
  std::printf("items=%lld key=12 bytes value=%lld bytes\n", static_cast<long long>(flags.items),
              static_cast<long long>(flags.value_size));
  std::printf("%-28s %12s %12s\n", "bytes per item", "memcached", "memkit");
  if (have_memcached) {
    std::printf("%-28s %12.1f %12.1f\n", "stats `bytes`", memcached.stats_bytes_per_item,
                engine.stats_bytes_per_item);
    std::printf("%-28s %12.1f %12.1f\n", "RSS growth", memcached.rss_per_item, engine.rss_per_item);
    std::printf("%-28s %12s %12.1f\n", "heap (items + buckets)", "-", engine.heap_per_item);
    std::printf("RSS ratio memkit/memcached: %.3f\n", engine.rss_per_item / memcached.rss_per_item);
  } else {
    std::printf("(memcached at %s did not run)\n", flags.memcached.c_str());
    std::printf("%-28s %12s %12.1f\n", "stats `bytes`", "-", engine.stats_bytes_per_item);
    std::printf("%-28s %12s %12.1f\n", "RSS growth", "-", engine.rss_per_item);
    std::printf("%-28s %12s %12.1f\n", "heap (items + buckets)", "-", engine.heap_per_item);
  }
  return 0;
}
