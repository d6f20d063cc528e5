// Pieces of a Client call shared by the Client::Impl files: BatchSet (a
// multi-key call's slots grouped into one Batch per server, kept between
// calls), CopyOutcome (what the copies of one key said to a replica read),
// and the miss status. Private to client/.
//
// Thread-compatible.

#ifndef MEMKIT_CLIENT_INTERNAL_BATCH_SET_H_
#define MEMKIT_CLIENT_INTERNAL_BATCH_SET_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/internal/cluster.h"
#include "client/internal/request.h"
#include "core/status/status.h"

namespace memkit {
namespace client {
namespace internal {

inline absl::Status MissStatus(absl::string_view key) {
  return McError(McCode::kNotFound, absl::StrCat("key '", key, "' not found"));
}

// Groups a multi-key call's slots into one Batch per server. Kept by the
// Client between calls: Begin() forgets the last call but keeps every
// vector's capacity, so a steady-state call allocates nothing.
class BatchSet {
 public:
  void Begin(const OpSpec* spec, Slot* slots, size_t servers) {
    spec_ = spec;
    slots_ = slots;
    which_.assign(servers, -1);
    used_ = 0;
  }

  void Add(size_t server, uint32_t slot) {
    int& w = which_[server];
    if (w < 0) {
      w = static_cast<int>(used_++);
      if (batches_.size() < used_) batches_.emplace_back();
      Batch& b = batches_[static_cast<size_t>(w)];
      b.spec = spec_;
      b.slots = slots_;
      b.server = server;
      b.indexes.clear();
    }
    batches_[static_cast<size_t>(w)].indexes.push_back(slot);
  }

  void Run(Cluster* cluster) {
    if (used_ == 0) return;
    ptrs_.clear();
    for (size_t i = 0; i < used_; ++i) ptrs_.push_back(&batches_[i]);
    cluster->Execute(ptrs_);
  }

 private:
  const OpSpec* spec_ = nullptr;
  Slot* slots_ = nullptr;
  std::vector<int> which_;      // server -> index in batches_, or -1
  std::vector<Batch> batches_;  // the first used_ are this call's
  size_t used_ = 0;
  std::vector<Batch*> ptrs_;
};

// What the copies of one key said to a replica read so far. A hit ends the
// search; otherwise the key is a miss (OK) if any copy answered, and carries
// the first copy's error only if none did. Single gets and multi-gets both
// follow this rule.
class CopyOutcome {
 public:
  // Records a copy that did not hit: OK (a miss) or why it failed.
  void Note(const absl::Status& status) {
    if (status.ok()) {
      answered_ = true;
    } else if (first_error_.ok()) {
      first_error_ = status;
    }
  }
  // The key's status once every copy missed or failed.
  absl::Status Final() const { return answered_ ? absl::OkStatus() : first_error_; }

 private:
  bool answered_ = false;
  absl::Status first_error_;
};

}  // namespace internal
}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_INTERNAL_BATCH_SET_H_
