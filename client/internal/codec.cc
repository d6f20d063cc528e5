#include "client/internal/codec.h"

#include <utility>

namespace memkit {
namespace client {
namespace internal {

bool IsStorageOp(Op op) { return op >= Op::kSet && op <= Op::kCas; }

bool IsKeyedOp(Op op) { return op <= Op::kTouch || op == Op::kLeaseGet; }

void FinishBatch(Batch* batch, const absl::Status& status) {
  for (size_t i = 0; i < batch->size(); ++i) {
    Slot& s = batch->slot(i);
    if (!s.answered) Answer(&s, status);
  }
  if (batch->status.ok()) batch->status = status;
  batch->done = true;
}

void FinishAsMisses(Batch* batch) {
  // Slots before the cursor are answered already (the cursor only moves past
  // answered slots).
  for (size_t i = batch->cursor; i < batch->size(); ++i) {
    Slot& s = batch->slot(i);
    if (!s.answered) s.answered = true;
  }
  batch->done = true;
}

}  // namespace internal
}  // namespace client
}  // namespace memkit
