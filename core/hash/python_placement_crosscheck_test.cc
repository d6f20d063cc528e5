// kRendezvous and kPythonMemcached against the real Python clients: the test
// runs testdata/python_placements.py with Debian's /usr/bin/python3, which
// asks pymemcache 3.5's RendezvousHash and python-memcached 1.59's
// Client._get_server where 210,000 keys go (ASCII, random printable and
// non-ASCII keys; many server lists; weights; dead servers), and checks that
// memkit's Placement puts every key on the same server.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "gtest/gtest.h"

namespace memkit {
namespace hash {
namespace {

constexpr char kPython[] = "/usr/bin/python3";

struct Case {
  std::string header;
  Distribution distribution;
  std::vector<ServerSpec> servers;
  std::vector<bool> live;
  std::vector<std::pair<std::string, int>> expected;  // key, server index or -1
};

std::vector<Case> RunPythonClients() {
  const std::string script = "core/hash/testdata/python_placements.py";
  const std::string command = std::string(kPython) + " " + script;
  FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::vector<Case> cases;
  if (pipe == nullptr) return cases;
  char* line = nullptr;
  size_t capacity = 0;
  ssize_t length;
  while ((length = ::getline(&line, &capacity, pipe)) > 0) {
    absl::string_view text(line, static_cast<size_t>(length));
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (absl::ConsumePrefix(&text, "CASE ")) {
      std::vector<std::string> parts = absl::StrSplit(text, ' ');
      Case c;
      c.header = std::string(text);
      c.distribution = *ParseDistribution(parts[0]);
      c.servers = *ParseServerList(parts[1]);
      for (char bit : parts[2]) c.live.push_back(bit == '1');
      cases.push_back(std::move(c));
      continue;
    }
    const size_t tab = text.rfind('\t');
    int index = 0;
    if (cases.empty() || tab == absl::string_view::npos ||
        !absl::SimpleAtoi(text.substr(tab + 1), &index)) {
      ADD_FAILURE() << "unexpected line from the script: " << text;
      continue;
    }
    cases.back().expected.emplace_back(std::string(text.substr(0, tab)), index);
  }
  std::free(line);
  EXPECT_EQ(::pclose(pipe), 0) << "the script failed (are python3-pymemcache and python3-memcache "
                                  "installed? run tools/setup.sh)";
  return cases;
}

TEST(PythonPlacementCrosscheckTest, EveryKeyWhereThePythonClientPutsIt) {
  if (::access(kPython, X_OK) != 0) FAIL() << kPython << " is missing: run tools/setup.sh";
  const std::vector<Case> cases = RunPythonClients();
  ASSERT_EQ(cases.size(), 16u);
  size_t keys = 0;
  for (const Case& c : cases) {
    PlacementOptions options;
    options.distribution = c.distribution;
    auto placement = Placement::Create(c.servers, options, c.live);
    ASSERT_TRUE(placement.ok()) << c.header << ": " << placement.status();
    int mismatches = 0;
    for (const auto& [key, index] : c.expected) {
      const size_t got = (*placement)->ServerFor(key);
      const int got_index = got == Placement::kNoServer ? -1 : static_cast<int>(got);
      if (got_index != index && ++mismatches <= 5) {
        ADD_FAILURE() << c.header << ": key '" << key << "' python says " << index
                      << ", memkit says " << got_index;
      }
    }
    EXPECT_EQ(mismatches, 0) << c.header;
    keys += c.expected.size();
  }
  EXPECT_GE(keys, 200000u);
}

}  // namespace
}  // namespace hash
}  // namespace memkit
