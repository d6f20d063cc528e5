// The differential conformance test: every case in the given case files runs
// against real memcached (the reference) and the server under test, and
// their replies must match after the case's declared normalisations.
//
//   differential_test --reference=PATH --sut=PATH [--dump] FILE.case...
//
// Each case is one gtest test named FILE.NAME, so --gtest_filter selects
// cases. --dump prints the reference's rendered replies (for writing cases).
// $MEMKIT_SUT / $MEMKIT_SUT_ARGS override the server under test (see
// server_process.h).

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/conformance/case_file.h"
#include "tests/conformance/case_runner.h"
#include "tests/conformance/server_process.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace conformance {
namespace {

// Both servers get the same flags after -p/-U/-l.
const std::vector<std::string> kServerArgs = {"-t", "2", "-m", "64", "-c", "1024"};

struct Flags {
  std::string reference;
  std::string sut;
  bool dump = false;
  std::vector<std::string> files;
};

// The two servers, shared by every case; the server under test is restarted
// if a case kills it, so one crash does not fail every later case.
class Servers {
 public:
  explicit Servers(const Flags& flags)
      : reference_command_(ReferenceServer(flags.reference, kServerArgs)),
        sut_command_(ServerUnderTest(flags.sut, kServerArgs)) {}

  absl::Status Start() {
    if (!reference_) {
      auto started = ServerProcess::Start(reference_command_);
      if (!started.ok()) return started.status();
      reference_ = *std::move(started);
    }
    if (!sut_) {
      auto started = ServerProcess::Start(sut_command_);
      if (!started.ok()) return started.status();
      sut_ = *std::move(started);
      if (absl::Status ok = CheckSentinels(sut_->port()); !ok.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(sut_->Describe(), ": ", ok.message()));
      }
    }
    return absl::OkStatus();
  }

  ServerProcess* reference() { return reference_.get(); }
  ServerProcess* sut() { return sut_.get(); }
  void DropDead() {
    if (reference_ && !reference_->CheckAlive().ok()) reference_.reset();
    if (sut_ && !sut_->CheckAlive().ok()) sut_.reset();
  }

 private:
  const ServerCommand reference_command_;
  const ServerCommand sut_command_;
  std::unique_ptr<ServerProcess> reference_;
  std::unique_ptr<ServerProcess> sut_;
};

Servers* g_servers = nullptr;
bool g_dump = false;

class CaseTest : public testing::Test {
 public:
  explicit CaseTest(Case c) : case_(std::move(c)) {}

  void TestBody() override {
    absl::Status started = g_servers->Start();
    ASSERT_TRUE(started.ok()) << started.message();
    ServerProcess* reference = g_servers->reference();
    ServerProcess* sut = g_servers->sut();

    CaseRunner runner(reference->port(), sut->port());
    CaseResult result = runner.Run(case_);
    if (g_dump) {
      std::printf("=== %s  (%s.case:%d)\n%s", case_.Id().c_str(), case_.file.c_str(), case_.line,
                  absl::StrJoin(result.reference.lines, "\n").c_str());
      std::printf("\n");
    }
    std::string where = absl::StrCat(case_.file, ".case:", case_.line, " case ", case_.name);
    absl::Status reference_alive = reference->CheckAlive();
    absl::Status sut_alive = sut->CheckAlive();
    g_servers->DropDead();
    EXPECT_TRUE(reference_alive.ok()) << where << ": the REFERENCE server died: "
                                      << reference_alive.message();
    EXPECT_TRUE(sut_alive.ok()) << where << ": the server under test died during this case: "
                                << sut_alive.message();
    EXPECT_TRUE(result.failure.empty())
        << where << ": " << result.failure << "\n  the case:\n"
        << absl::StrCat("    ", absl::StrReplaceAll(absl::StripSuffix(case_.source, "\n"),
                                                    {{"\n", "\n    "}}))
        << "\n  reference: " << reference->Describe() << "\n  sut:       " << sut->Describe();
  }

 private:
  const Case case_;
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--reference=")) {
      flags.reference = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--sut=")) {
      flags.sut = std::string(arg);
    } else if (arg == "--dump") {
      flags.dump = true;
    } else if (absl::StartsWith(arg, "--")) {
      std::fprintf(stderr, "differential_test: unknown flag %s\n", argv[i]);
      std::exit(2);
    } else {
      flags.files.emplace_back(arg);
    }
  }
  return flags;
}

int Main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  Flags flags = ParseFlags(argc, argv);
  if (flags.files.empty()) {
    std::fprintf(stderr, "differential_test: no case files given\n");
    return 2;
  }
  int registered = 0;
  for (const std::string& path : flags.files) {
    std::string text = ReadFileOrEmpty(path);
    if (text.empty()) {
      std::fprintf(stderr, "differential_test: cannot read %s\n", path.c_str());
      return 2;
    }
    absl::string_view base = path;
    if (size_t slash = base.rfind('/'); slash != absl::string_view::npos) base.remove_prefix(slash + 1);
    absl::ConsumeSuffix(&base, ".case");
    absl::StatusOr<std::vector<Case>> cases = ParseCaseFile(base, text);
    if (!cases.ok()) {
      std::fprintf(stderr, "differential_test: %s\n", std::string(cases.status().message()).c_str());
      return 2;
    }
    for (Case& c : *cases) {
      std::string suite = c.file, name = c.name;
      testing::RegisterTest(suite.c_str(), name.c_str(), nullptr, nullptr, path.c_str(), c.line,
                            [c]() -> testing::Test* { return new CaseTest(c); });
      ++registered;
    }
  }
  std::fprintf(stderr, "differential_test: %d cases from %zu files\n", registered,
               flags.files.size());
  Servers servers(flags);
  g_servers = &servers;
  g_dump = flags.dump;
  return RUN_ALL_TESTS();
}

}  // namespace
}  // namespace conformance
}  // namespace memkit

int main(int argc, char** argv) { return memkit::conformance::Main(argc, argv); }
