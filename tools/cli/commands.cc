#include "tools/cli/commands.h"

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "tools/cli/client_flags.h"
#include "tools/cli/output.h"

namespace memkit {
namespace cli {

#define CLIENT_FLAGS                                                                         \
  "client flags:\n"                                                                          \
  "  --servers=HOST:PORT[:WEIGHT],...  default $MEMCACHED_SERVERS, else 127.0.0.1:11211\n"   \
  "  --protocol=text|binary|meta       default text\n"                                       \
  "  --distribution=NAME --hash=NAME   placement, as for `memkit locate` (default modula)\n" \
  "  --timeout=SECONDS                 connect and I/O timeout (default 1)\n"              \
  "  --json                            machine-readable output"

const std::vector<Command>& AllCommands() {
  static const std::vector<Command>* const commands = new std::vector<Command>{
      {"locate", "show which server each key maps to, placed as a client library would",
       "memkit locate --servers=HOST:PORT[:WEIGHT],... [--placement=NAME] [--sort-hosts] [--json] KEY...\n"
       "  NAME: DISTRIBUTION[:HASH] (default ketama_weighted):\n"
       "    libmemcached / pylibmc: modula, ketama, ketama_weighted, ketama_spy,\n"
       "      ketama_spy_weighted, random; HASH: default (one-at-a-time), md5, crc, fnv1_64,\n"
       "      fnv1a_64, fnv1_32, fnv1a_32, murmur, murmur3, jenkins (default: md5 for\n"
       "      ketama_weighted, else default)\n"
       "    pymemcache (HashClient's rendezvous hash), python_memcached (memcache.Client)\n"
       "  --distribution=D --hash=H are the older spelling of --placement=D:H.",
       &RunLocate},
      {"migrate-plan", "how many keys a change of client, placement or servers would move",
       "memkit migrate-plan --servers=LIST [--to-servers=LIST] --from=PLACEMENT [--to=PLACEMENT]\n"
       "                    [--dump] [--json] < keys\n"
       "  keys one per line on standard input, or --dump: every key on the --servers\n"
       "  (lru_crawler metadump). PLACEMENT as for `memkit locate`. Prints the fraction that\n"
       "  moves and, per server, keys before, after, leaving and arriving.",
       &RunMigratePlan},
      {"hash", "print libmemcached's hash of each key",
       "memkit hash [--hash=NAME | --all] KEY...", &RunHash},
      {"get", "print the value of each key",
       "memkit get [CLIENT FLAGS] [--cas] KEY...\n"
       "  one key: its value on a line; several: KEY<TAB>VALUE lines; --cas: KEY<TAB>CAS<TAB>VALUE.\n"
       "  --json: {\"items\": {KEY: {\"value\", \"flags\", \"cas\"}}, \"misses\": [KEY...]}.\n"
       "  A miss exits 1.\n" CLIENT_FLAGS,
       &RunGet},
      {"cat", "write values to standard output, byte for byte",
       "memkit cat [CLIENT FLAGS] KEY...\n"
       "  the values one after another, nothing added (binary safe). A miss exits 1.\n" CLIENT_FLAGS,
       &RunCat},
      {"exist", "exit 0 if every key exists, 1 if one does not",
       "memkit exist [CLIENT FLAGS] KEY...\n  --json: {KEY: true|false}.\n" CLIENT_FLAGS, &RunExist},
      {"set", "store a value", "memkit set [CLIENT FLAGS] [--exptime=S] [--flags=N] KEY [VALUE|-]\n"
       "  without VALUE (or with -) the value is read from standard input.\n" CLIENT_FLAGS, &RunSet},
      {"add", "store a value only if the key is missing",
       "memkit add [CLIENT FLAGS] [--exptime=S] [--flags=N] KEY [VALUE|-]\n"
       "  an existing key exits 1 (NOT_STORED).\n" CLIENT_FLAGS, &RunAdd},
      {"replace", "store a value only if the key exists",
       "memkit replace [CLIENT FLAGS] [--exptime=S] [--flags=N] KEY [VALUE|-]\n" CLIENT_FLAGS,
       &RunReplace},
      {"append", "append to an existing value",
       "memkit append [CLIENT FLAGS] KEY [VALUE|-]\n" CLIENT_FLAGS, &RunAppend},
      {"prepend", "prepend to an existing value",
       "memkit prepend [CLIENT FLAGS] KEY [VALUE|-]\n" CLIENT_FLAGS, &RunPrepend},
      {"cas", "store a value only if its cas unique is still CAS",
       "memkit cas [CLIENT FLAGS] [--exptime=S] [--flags=N] KEY CAS [VALUE|-]\n"
       "  CAS from `memkit get --cas KEY`; a changed item exits 1 (EXISTS).\n" CLIENT_FLAGS,
       &RunCas},
      {"cp", "store files, each under its base name",
       "memkit cp [CLIENT FLAGS] [--exptime=S] [--flags=N] [--key-prefix=P] FILE...\n"
       "  prints FILE<TAB>KEY<TAB>N bytes per file stored.\n" CLIENT_FLAGS, &RunCp},
      {"delete", "delete keys", "memkit delete [CLIENT FLAGS] KEY...\n" CLIENT_FLAGS, &RunDelete},
      {"incr", "add to a counter and print it",
       "memkit incr [CLIENT FLAGS] [--initial=N] KEY [DELTA]\n" CLIENT_FLAGS, &RunIncr},
      {"decr", "subtract from a counter (floor 0) and print it",
       "memkit decr [CLIENT FLAGS] [--initial=N] KEY [DELTA]\n" CLIENT_FLAGS, &RunDecr},
      {"touch", "set a key's expiry", "memkit touch [CLIENT FLAGS] KEY EXPTIME\n" CLIENT_FLAGS,
       &RunTouch},
      {"flush", "invalidate every item on every server",
       "memkit flush [CLIENT FLAGS] [--delay=S]\n" CLIENT_FLAGS, &RunFlush},
      {"stats", "print each server's statistics",
       "memkit stats [CLIENT FLAGS] [GROUP]\n"
       "  GROUP: settings, items, slabs, sizes, conns, detail dump, ...\n"
       "  SERVER<TAB>NAME<TAB>VALUE lines; --json: {SERVER: {NAME: VALUE}}.\n" CLIENT_FLAGS,
       &RunStats},
      {"version", "print each server's version", "memkit version [CLIENT FLAGS]\n" CLIENT_FLAGS,
       &RunVersion},
      {"ping", "time round trips to each server",
       "memkit ping [CLIENT FLAGS] [--count=N] [--interval=SECONDS]\n"
       "  connects to each server and times N `version` round trips on that connection.\n"
       CLIENT_FLAGS, &RunPing},
      {"dump", "list every key with its metadata (lru_crawler metadump)",
       "memkit dump [CLIENT FLAGS] [--prefix=P] [--values]\n"
       "  KEY<TAB>SERVER<TAB>exp=.. la=.. cas=.. fetch=.. cls=.. size=..[<TAB>VALUE] lines,\n"
       "  keys and values C-escaped; --json: a list of objects.\n" CLIENT_FLAGS, &RunDump},
      {"watch", "stream a server's log lines (memcached's watch)",
       "memkit watch [CLIENT FLAGS] [--count=N] [--duration=SECONDS] [TYPE...]\n"
       "  TYPE: fetchers mutations evictions connevents deletions (default: memcached's).\n"
       "  one server only.\n" CLIENT_FLAGS, &RunWatch},
      {"bench", "load a server: ops/s, hit rate and latency percentiles per operation",
       "memkit bench [CLIENT FLAGS] [--threads=2] [--connections=4 (per thread)] [--pipeline=1]\n"
       "             [--ratio=GET:SET[:MULTIGET] (9:1)] [--multiget-width=10]\n"
       "             [--keys=100000] [--key-prefix=memkit:] [--key-pattern=uniform|sequential|zipfian]\n"
       "             [--zipf=0.99] [--value-size=BYTES|MIN-MAX (100)] [--exptime=S] [--prefill]\n"
       "             [--duration=S (10)] [--requests=N] [--rate=REQ_PER_S]\n"
       "             [--compare=HOST:PORT --rounds=3] [--progress|--quiet]\n"
       "  closed loop by default; --rate runs open loop with latency from each request's due\n"
       "  time (no coordinated omission). A progress line a second on a terminal. --compare\n"
       "  alternates rounds against --servers (A) and HOST:PORT (B) and prints B/A ratios.\n"
       "  Exits 3 if any request failed.\n" CLIENT_FLAGS,
       &RunBench},
      {"dbm", "dump, load, read, write, verify, compact a memkit dbm file",
       "memkit dbm dump FILE                 every record as KEY<TAB>VALUE lines (C escapes)\n"
       "memkit dbm load FILE [INPUT|-]       add the records of a dump or of KEY<TAB>VALUE lines\n"
       "memkit dbm get FILE KEY              print a value (checksum verified); a miss exits 1\n"
       "memkit dbm put FILE KEY [VALUE|-]    store a value (fsynced); - or none reads stdin\n"
       "memkit dbm delete FILE KEY           delete a key; a miss exits 1\n"
       "memkit dbm verify FILE               check every record's checksum and the dropped tail;\n"
       "                                     damage exits 1\n"
       "memkit dbm compact FILE              rewrite the live records, print the sizes\n"
       "memkit dbm stats FILE                records, live/dead bytes, hint-file age\n"
       "memkit dbm bench [--num=1000000] [--value-size=100] [--key-size=16] [--scenarios=a,b]\n"
       "                 [--dir=D]           dbm_bench's scenarios on memkit dbm alone\n"
       "  exit status: 0 ok, 1 missing key or damage, 2 usage, 3 cannot open/read/write",
       &RunDbm},
      {"admin", "call the gRPC admin API of memkit-server, memkit-proxy or a program's pools",
       "memkit admin --admin=HOST:PORT [--token-file=F] [--tls-ca=PEM] [--json] [--timeout=S]\n"
       "             COMMAND [ARGS]\n"
       "  --admin defaults to $MEMKIT_ADMIN. Tables by default; --json prints one JSON object\n"
       "  per reply (per line for streams). Errors: one line on stderr; exit 1 not found,\n"
       "  2 usage, 3 connection or server error.\n"
       "stats:    stats [--memcached] [--buckets]\n"
       "          watch [--interval=1s] [--count=N] [--memcached]\n"
       "pools:    pools [POOL]\n"
       "          eject [--pool=P] [--for=DURATION] [--reason=TEXT] ADDRESS\n"
       "          restore [--pool=P] ADDRESS\n"
       "          drain [--pool=P] [--wait=DURATION] ADDRESS\n"
       "          weight [--pool=P] ADDRESS WEIGHT\n"
       "          add-server [--pool=P] ADDRESS [WEIGHT]\n"
       "          remove-server [--pool=P] ADDRESS\n"
       "config:   config | validate [FILE|-] | reload [FILE|-]\n"
       "cache:    flush [--delay=S] [--pool=P] | connections\n"
       "          close-connections [--reset] (--all | ID...)\n"
       "          events [--types=fetchers,mutations,evictions,connevents] [--count=N]\n"
       "testing:  clock advance DURATION | clock set UNIX_SECONDS|now [--freeze|--run]\n"
       "          clock freeze | clock run\n"
       "          fault outage refuse|reset | fault latency DURATION | fault fail N [MESSAGE]\n"
       "          fault drop N | fault clear\n"
       "          close-all [--reset]\n"
       "DURATION: 250ms, 90s, 2m, -1h (a bare number is milliseconds).",
       &RunAdmin},
  };
  return *commands;
}

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : AllCommands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

namespace {

void PrintHelp() {
  absl::PrintF("usage: memkit [GLOBAL FLAGS] COMMAND [FLAGS] [ARGS...]\n\ncommands:\n");
  for (const Command& command : AllCommands()) {
    absl::PrintF("  %-10s %s\n", command.name, command.summary);
  }
  absl::PrintF(
      "\nglobal flags (before or after the command): --servers, --protocol, --timeout, --json, ...\n"
      "exit status: 0 ok, 1 miss / not stored / exists, 2 usage, 3 connection, server or I/O error\n"
      "`memkit help COMMAND` shows a command's flags.\n");
}

}  // namespace

int RunMemkit(const std::vector<std::string>& args) {
  // Flags before the command name belong to the command: move them after it.
  std::vector<std::string> globals;
  size_t i = 0;
  while (i < args.size() && absl::StartsWith(args[i], "--") && args[i] != "--help") {
    absl::string_view body = absl::string_view(args[i]).substr(2);
    const bool has_value = body.find('=') != absl::string_view::npos;
    globals.push_back(args[i++]);
    if (!has_value && IsGlobalValueFlag(body) && i < args.size()) globals.push_back(args[i++]);
  }
  if (i == args.size()) {
    PrintHelp();
    return kExitUsage;
  }
  const std::string& name = args[i];
  if (name == "help" || name == "--help" || name == "-h") {
    if (i + 1 < args.size()) {
      const Command* command = FindCommand(args[i + 1]);
      if (command == nullptr) {
        absl::FPrintF(stderr, "memkit: unknown command '%s' (see `memkit help`)\n", args[i + 1]);
        return kExitUsage;
      }
      absl::PrintF("%s\n", command->usage);
      return kExitOk;
    }
    PrintHelp();
    return kExitOk;
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    absl::FPrintF(stderr, "memkit: unknown command '%s' (see `memkit help`)\n", name);
    return kExitUsage;
  }
  std::vector<std::string> command_args = globals;
  command_args.insert(command_args.end(), args.begin() + i + 1, args.end());
  return command->run(command_args);
}

}  // namespace cli
}  // namespace memkit
