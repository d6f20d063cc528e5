// memcached 1.6.18's try_read_command_asciiauth, as a front-end decoder.

#include "core/frontend/ascii_auth.h"

#include <cstring>
#include <vector>

#include "core/frontend/authenticator.h"
#include "core/frontend/connection.h"
#include "core/text/numbers.h"

namespace memkit {
namespace frontend {
namespace {

// memcached closes a connection whose auth line has no newline by then.
constexpr size_t kMaxLineWithoutNewline = 2048;
// memcached's tokenizer stops after MAX_TOKENS - 1 words; more never matter
// here (only the first five are read).
constexpr size_t kMaxTokens = 23;

// memcached works on NUL-terminated copies: a NUL ends the text early.
absl::string_view UpToNul(absl::string_view s) {
  const void* nul = std::memchr(s.data(), '\0', s.size());
  return nul == nullptr ? s : s.substr(0, static_cast<const char*>(nul) - s.data());
}

// memcached's tokenize_command: words separated by spaces only (a \r or a
// tab stays inside a word).
std::vector<absl::string_view> Tokenize(absl::string_view s) {
  std::vector<absl::string_view> tokens;
  size_t i = 0;
  while (i < s.size() && tokens.size() < kMaxTokens) {
    while (i < s.size() && s[i] == ' ') ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) tokens.push_back(s.substr(start, i - start));
  }
  return tokens;
}

}  // namespace

void AsciiAuth::Reply(Connection* c, absl::string_view line) {
  // One response object per batch in memcached: a later reply replaces an
  // earlier one that was not written yet.
  c->DropUncommitted();
  Exchange* ex = c->BeginOwnReply();
  ex->out()->Append({line, "\r\n"});
  ex->Finish();
  c->EndExchange(ex);
}

bool AsciiAuth::Step(Connection* c) {
  net::ReadBuffer& in = c->conn_->input();
  if (c->auth_value_bytes_ == 0) {
    const absl::string_view input = in.data();
    if (input.size() < 2) {
      c->wait_until_ = 2;
      return false;
    }
    const size_t nl = input.find('\n');
    if (nl == absl::string_view::npos) {
      if (input.size() > kMaxLineWithoutNewline) {
        c->CloseNow(/*reset=*/false);
        return false;
      }
      c->wait_until_ = Connection::Saturate32(input.size() + 1);
      return false;
    }
    c->wait_until_ = 0;
    const std::vector<absl::string_view> tokens = Tokenize(UpToNul(input.substr(0, nl)));
    uint32_t size = 0;
    const bool ok = tokens.size() >= 5 && tokens[0] == "set" && text::SafeStrtoul(tokens[4], &size);
    in.Consume(nl + 1);
    if (!ok) {
      Reply(c, "CLIENT_ERROR unauthenticated");
      return true;
    }
    // The key, flags and ttl are ignored; the data is the credentials.
    c->auth_value_bytes_ = Connection::Saturate32(size_t{size} + 2);
  }
  const size_t need = c->auth_value_bytes_;
  if (in.size() < need) {
    c->wait_until_ = Connection::Saturate32(need);
    c->ReserveOrClose(need - in.size());
    return false;
  }
  c->wait_until_ = 0;
  c->auth_value_bytes_ = 0;
  const absl::string_view data = in.data().substr(0, need);
  bool terminated = data.substr(need - 2) == "\r\n";
  std::vector<absl::string_view> words;
  if (terminated) words = Tokenize(UpToNul(data.substr(0, need - 2)));
  bool authenticated = false;
  absl::string_view reply;
  if (!terminated) {
    reply = "CLIENT_ERROR bad command line termination";
  } else if (words.size() < 2) {
    reply = "CLIENT_ERROR bad authentication token format";
  } else if (c->options().ascii_auth->Check(words[0], words[1])) {
    reply = "STORED";
    authenticated = true;
  } else {
    reply = "CLIENT_ERROR authentication failure";
  }
  in.Consume(need);
  Reply(c, reply);
  if (authenticated) c->authenticated_ = true;
  return !c->closing_;
}

}  // namespace frontend
}  // namespace memkit
