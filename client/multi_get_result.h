// MultiGetResult: what a multi-get found, key by key in the order the keys
// were given, without building a map. Meant to be kept and reused:
//
//   MultiGetResult found;                      // e.g. a member, or per thread
//   absl::Status s = client->GetMulti(keys, &found);
//   for (size_t i = 0; i < found.size(); ++i) {
//     if (found.hit(i)) Use(keys[i], found.value(i), found.flags(i));
//   }
//
// Each call replaces the contents but keeps the memory (one entry per key and
// one buffer holding every value), so a steady-state multi-get allocates
// nothing. value(i) is a view into that buffer: valid until the result is
// used again, cleared or destroyed. Client::GetMulti into an ItemMap is the
// convenient form; this one is the fast one.
//
// Thread-compatible: a plain value type.

#ifndef MEMKIT_CLIENT_MULTI_GET_RESULT_H_
#define MEMKIT_CLIENT_MULTI_GET_RESULT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace client {

class Client;

class MultiGetResult {
 public:
  MultiGetResult() = default;

  // The number of keys of the last call.
  size_t size() const { return entries_.size(); }
  // How many of them were found.
  size_t hits() const { return hits_; }

  // Key i (in call order) was found.
  bool hit(size_t i) const { return entries_[i].hit; }
  // Its value ("" on a miss); see the header comment for how long it lives.
  absl::string_view value(size_t i) const {
    const Entry& e = entries_[i];
    return absl::string_view(values_.data() + e.offset, e.size);
  }
  uint32_t flags(size_t i) const { return entries_[i].flags; }
  // The cas unique (GetsMulti, and the binary protocol always; else 0).
  uint64_t cas(size_t i) const { return entries_[i].cas; }
  // OK for a hit and for a miss; otherwise why key i got no answer (a bad
  // key, or its server failed: the call returned the first such status).
  const absl::Status& status(size_t i) const { return entries_[i].status; }

  // Forgets the contents, keeping the memory.
  void Clear() {
    entries_.clear();
    values_.clear();
    hits_ = 0;
  }

 private:
  friend class Client;

  struct Entry {
    size_t offset = 0;  // into values_
    size_t size = 0;
    uint64_t cas = 0;
    uint32_t flags = 0;
    bool hit = false;
    absl::Status status;
  };

  std::vector<Entry> entries_;
  std::string values_;
  size_t hits_ = 0;
};

}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_MULTI_GET_RESULT_H_
