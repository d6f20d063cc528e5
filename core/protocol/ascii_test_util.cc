#include "core/protocol/ascii_test_util.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "core/keys/base64.h"
#include "core/protocol/ascii_internal.h"
#include "gtest/gtest.h"

namespace memkit {
namespace protocol {
namespace testing {
namespace {

// " O<opaque>" and " k<key>" in request order, as memcached echoes them.
std::string EchoOpaqueAndKey(const AsciiRequest& req) {
  std::string out;
  for (const MetaFlag& f : req.meta_flags()) {
    if (f.flag == 'O') {
      out += " O";
      out.append(f.token.data(), f.token.size());
    } else if (f.flag == 'k') {
      out += " k";
      if (req.key_is_base64) {
        std::string encoded(keys::Base64EncodedSize(req.key.size()), '\0');
        keys::Base64EncodeTo(req.key, &encoded[0]);
        out += encoded + " b";
      } else {
        out.append(req.key.data(), req.key.size());
      }
    }
  }
  return out;
}

std::string Silenceable(const AsciiRequest& req, const char* reply) {
  return req.noreply ? std::string() : std::string(reply) + "\r\n";
}

}  // namespace

std::string EmptyCacheReply(const AsciiRequest& req) {
  switch (req.command) {
    case AsciiCommand::kGet:
    case AsciiCommand::kGets:
    case AsciiCommand::kGat:
    case AsciiCommand::kGats:
      return "END\r\n";
    case AsciiCommand::kSet:
    case AsciiCommand::kAdd:
      return Silenceable(req, "STORED");
    case AsciiCommand::kReplace:
    case AsciiCommand::kAppend:
    case AsciiCommand::kPrepend:
      return Silenceable(req, "NOT_STORED");
    case AsciiCommand::kCas:
    case AsciiCommand::kDelete:
    case AsciiCommand::kIncr:
    case AsciiCommand::kDecr:
    case AsciiCommand::kTouch:
      return Silenceable(req, "NOT_FOUND");
    case AsciiCommand::kFlushAll:
    case AsciiCommand::kVerbosity:
      return Silenceable(req, "OK");
    case AsciiCommand::kVersion:
      return "VERSION 1.6.18\r\n";
    case AsciiCommand::kQuit:
      return "";
    case AsciiCommand::kShutdown:
      return "ERROR: shutdown not enabled\r\n";
    case AsciiCommand::kCacheMemlimit:
      if (req.number < 8) {
        return Silenceable(req, "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m");
      }
      if (req.number > 1000000000) {
        return Silenceable(req, "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes");
      }
      return Silenceable(req, "OK");
    case AsciiCommand::kMetaGet:
      return req.noreply ? "" : "EN" + EchoOpaqueAndKey(req) + "\r\n";
    case AsciiCommand::kMetaSet: {
      const bool compare = req.HasMetaFlag('C');
      const char* code = "HD";
      switch (req.set_mode) {
        case MetaSetMode::kSet:
        case MetaSetMode::kReplace:
          // With C these become a cas, which misses.
          code = compare ? "NF" : (req.set_mode == MetaSetMode::kSet ? "HD" : "NS");
          break;
        case MetaSetMode::kAdd:
          code = "HD";
          break;
        case MetaSetMode::kAppend:
        case MetaSetMode::kPrepend:
          code = "NS";
          break;
      }
      if (req.noreply && std::string(code) == "HD") return "";
      if (req.HasMetaFlag('c')) return "<unemulated>";  // the new cas
      return code + EchoOpaqueAndKey(req) + "\r\n";
    }
    case AsciiCommand::kMetaDelete:
      return "NF" + EchoOpaqueAndKey(req) + "\r\n";
    case AsciiCommand::kMetaArithmetic:
      if (req.HasMetaFlag('N')) return "<unemulated>";
      return "NF" + EchoOpaqueAndKey(req) + "\r\n";
    case AsciiCommand::kMetaNoop:
      return "MN\r\n";
    case AsciiCommand::kMetaDebug:
      return "EN\r\n";
    case AsciiCommand::kStats:
    case AsciiCommand::kAdmin:
    case AsciiCommand::kNone:
      break;
  }
  return "<unemulated>";
}

Replay ReplayOnEmptyCache(absl::string_view input, const AsciiParserOptions& options,
                          const std::vector<size_t>& cuts) {
  Replay replay;
  std::string buffer;
  size_t pos = 0;
  size_t swallow = 0;
  AsciiRequest req;
  auto process = [&]() {
    while (!replay.closed) {
      if (swallow > 0) {
        size_t n = std::min(swallow, buffer.size() - pos);
        pos += n;
        swallow -= n;
        if (swallow > 0) return;
      }
      absl::string_view pending(buffer.data() + pos, buffer.size() - pos);
      ParseResult r = ParseAsciiRequest(pending, options, &req);
      if (r.incomplete()) {
        EXPECT_GE(r.bytes_needed, 1u);
        return;
      }
      EXPECT_LE(r.consumed, pending.size());
      if (r.status == ParseStatus::kError) {
        replay.replies += r.error.reply;
        pos += r.consumed;
        swallow = r.error.swallow;
        if (r.error.close) replay.closed = true;
        continue;
      }
      EXPECT_GT(r.consumed, 0u);
      ++replay.requests;
      replay.parsed.push_back(req.DebugString());
      replay.replies += EmptyCacheReply(req);
      pos += r.consumed;
      if (req.command == AsciiCommand::kQuit) replay.closed = true;
    }
  };
  size_t fed = 0;
  for (size_t cut : cuts) {
    cut = std::min(cut, input.size());
    if (cut < fed) continue;
    buffer.append(input.data() + fed, cut - fed);
    fed = cut;
    process();
  }
  buffer.append(input.data() + fed, input.size() - fed);
  process();
  return replay;
}

std::vector<RecordedCase> ReadRecordedCases(const std::string& path) {
  std::vector<RecordedCase> cases;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return cases;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    if (fields.size() != 4) {
      ADD_FAILURE() << "bad line in " << path << ": " << line.substr(0, 80);
      continue;
    }
    RecordedCase c;
    c.name = fields[0];
    std::string error;
    if (!absl::CUnescape(fields[1], &c.request, &error) ||
        !absl::CUnescape(fields[2], &c.reply, &error)) {
      ADD_FAILURE() << "bad escape in " << c.name << ": " << error;
      continue;
    }
    c.closed = fields[3] == "1";
    cases.push_back(std::move(c));
  }
  return cases;
}

std::string TestDataPath(absl::string_view file) {
  return "core/protocol/testdata/ascii/" + std::string(file);
}

std::vector<SessionStep> ReadSession(const std::string& path) {
  std::vector<SessionStep> steps;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return steps;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, absl::MaxSplits('\t', 2));
    if (fields.size() != 3) {
      ADD_FAILURE() << "bad line in " << path << ": " << line.substr(0, 80);
      continue;
    }
    SessionStep step;
    step.name = fields[0];
    std::string error;
    if (!absl::CUnescape(fields[1], &step.request, &error) ||
        !absl::CUnescape(fields[2], &step.reply, &error)) {
      ADD_FAILURE() << "bad escape in " << step.name << ": " << error;
      continue;
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace testing
}  // namespace protocol
}  // namespace memkit
