#include "tools/cli/commands.h"

namespace memkit {
namespace cli {

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
  };
  return *commands;
}

}  // namespace cli
}  // namespace memkit
