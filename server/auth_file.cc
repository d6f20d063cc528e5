#include "server/auth_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace memkit {
namespace server {
namespace {

// memcached's authfile.c: "Not supposed to be a huge database!"
constexpr size_t kMaxEntries = 8;

// Compares without stopping at the first difference, as memcached's
// safe_memcmp does, so the time taken does not tell how much matched.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> AuthFile::Parse(
    absl::string_view text) {
  std::vector<std::pair<std::string, std::string>> users;
  size_t pos = 0;
  while (pos < text.size() && users.size() < kMaxEntries) {
    size_t end = text.find('\n', pos);
    const bool last = end == absl::string_view::npos;
    if (last) end = text.size();
    absl::string_view line = text.substr(pos, end - pos);
    // memcached reads C strings: a NUL ends the line (and, unterminated,
    // leaves the name without its ':').
    const size_t nul = line.find('\0');
    if (nul != absl::string_view::npos) line = line.substr(0, nul);
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError("has a malformed entry. Should be 'user:password'");
    }
    absl::string_view password = line.substr(colon + 1);
    const size_t cr = password.find('\r');
    if (cr != absl::string_view::npos) password = password.substr(0, cr);
    users.emplace_back(std::string(line.substr(0, colon)), std::string(password));
    if (last) break;
    pos = end + 1;
  }
  return users;
}

absl::StatusOr<std::unique_ptr<AuthFile>> AuthFile::Create(const std::string& path) {
  std::unique_ptr<AuthFile> file(new AuthFile(path));
  if (absl::Status s = file->Reload(); !s.ok()) return s;
  return file;
}

absl::Status AuthFile::Reload() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    const int err = errno;
    // memcached's words, its strerror printed twice included.
    const std::string message = absl::StrCat("Could not open authfile [", path_,
                                             "] for reading, error ", std::strerror(err), ": ",
                                             std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(message) : absl::PermissionDeniedError(message);
  }
  std::stringstream text;
  text << in.rdbuf();
  auto users = Parse(text.str());
  if (!users.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Authfile [", path_, "] ", users.status().message()));
  }
  WriterMutexLock lock(&mu_);
  users_ = std::move(*users);
  return absl::OkStatus();
}

bool AuthFile::Check(absl::string_view user, absl::string_view password) {
  bool ok = false;
  {
    ReaderMutexLock lock(&mu_);
    for (const auto& entry : users_) {
      // Both compared in full, whatever the first gives.
      const bool user_ok = ConstantTimeEquals(user, entry.first);
      const bool password_ok = ConstantTimeEquals(password, entry.second);
      if (user_ok && password_ok) ok = true;
    }
  }
  auth_cmds_.fetch_add(1, std::memory_order_relaxed);
  if (!ok) auth_errors_.fetch_add(1, std::memory_order_relaxed);
  return ok;
}

void AuthFile::CountFailure() {
  auth_cmds_.fetch_add(1, std::memory_order_relaxed);
  auth_errors_.fetch_add(1, std::memory_order_relaxed);
}

void AuthFile::ResetCounters() {
  auth_cmds_.store(0, std::memory_order_relaxed);
  auth_errors_.store(0, std::memory_order_relaxed);
}

}  // namespace server
}  // namespace memkit
