#include "tools/cli/commands.h"

namespace memkit {
namespace cli {

#define CLIENT_FLAGS                                                                         \
  "client flags:\n"                                                                          \
  "  --servers=HOST:PORT[:WEIGHT],...  default $MEMCACHED_SERVERS, else 127.0.0.1:11211\n"   \
  "  --protocol=text|binary|meta       default text\n"                                       \
  "  --distribution=NAME --hash=NAME   placement, as for `memkit locate` (default modula)\n" \
  "  --timeout=SECONDS                 connect and I/O timeout (default 1)"

const std::vector<Command>& AllCommands() {
  static const std::vector<Command>* const commands = new std::vector<Command>{
      {"locate", "show which server each key maps to (libmemcached-identical placement)",
       "memkit locate --servers=HOST:PORT[:WEIGHT],... [--distribution=ketama_weighted]\n"
       "              [--hash=NAME] [--sort-hosts] KEY...\n"
       "  distributions: modula, ketama, ketama_weighted (default), ketama_spy,\n"
       "                 ketama_spy_weighted, random\n"
       "  hashes: default (one-at-a-time), md5, crc, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32,\n"
       "          murmur, murmur3, jenkins (default: md5 for ketama_weighted, else default)",
       &RunLocate},
      {"hash", "print libmemcached's hash of each key",
       "memkit hash [--hash=NAME | --all] KEY...", &RunHash},
      {"get", "print the value of each key",
       "memkit get [CLIENT FLAGS] KEY...\n"
       "  one key: its value on a line; several: KEY<TAB>VALUE lines. A miss exits 1.\n" CLIENT_FLAGS,
       &RunGet},
      {"set", "store a value", "memkit set [CLIENT FLAGS] [--exptime=S] [--flags=N] KEY [VALUE|-]\n"
       "  without VALUE (or with -) the value is read from standard input.\n" CLIENT_FLAGS, &RunSet},
      {"add", "store a value only if the key is missing",
       "memkit add [CLIENT FLAGS] [--exptime=S] [--flags=N] KEY [VALUE|-]\n" CLIENT_FLAGS, &RunAdd},
      {"replace", "store a value only if the key exists",
       "memkit replace [CLIENT FLAGS] [--exptime=S] [--flags=N] KEY [VALUE|-]\n" CLIENT_FLAGS,
       &RunReplace},
      {"append", "append to an existing value",
       "memkit append [CLIENT FLAGS] KEY [VALUE|-]\n" CLIENT_FLAGS, &RunAppend},
      {"prepend", "prepend to an existing value",
       "memkit prepend [CLIENT FLAGS] KEY [VALUE|-]\n" CLIENT_FLAGS, &RunPrepend},
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
       "memkit stats [CLIENT FLAGS] [GROUP]   (GROUP: settings, items, slabs, sizes, conns...)\n"
       CLIENT_FLAGS, &RunStats},
      {"version", "print each server's version", "memkit version [CLIENT FLAGS]\n" CLIENT_FLAGS,
       &RunVersion},
      {"admin", "call the gRPC admin API of memkit-server, memkit-proxy or a program's pools",
       "memkit admin --admin=HOST:PORT [--token-file=F] [--tls-ca=PEM] [--json] [--timeout=S]\n"
       "             COMMAND [ARGS]\n"
       "  --admin defaults to $MEMKIT_ADMIN. Tables by default; --json prints one JSON object\n"
       "  per reply (per line for streams). Errors: one line on stderr, exit 1 (usage: 2).\n"
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

}  // namespace cli
}  // namespace memkit
