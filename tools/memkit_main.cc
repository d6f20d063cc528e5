// memkit: one command-line tool for memcached. `memkit help` lists commands.

#include <string>
#include <vector>

#include "tools/cli/commands.h"

int main(int argc, char** argv) {
  return memkit::cli::RunMemkit(std::vector<std::string>(argv + 1, argv + argc));
}
