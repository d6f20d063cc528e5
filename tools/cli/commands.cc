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
       "  exit status: 0 ok, 1 missing key or damage, 2 usage, 3 cannot open/read/write",
       &RunDbm},
  };
  return *commands;
}

}  // namespace cli
}  // namespace memkit
