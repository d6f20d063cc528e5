// memkit::dbm::WriteBatch: puts and deletes that Db::Write applies atomically.
//
// The batch is written as one record whose checksum covers every operation,
// so after a crash either all of it is in the database or none of it is.
// Operations apply in the order they were added; deleting a key that is not
// there is a harmless no-op inside a batch.
//
//   WriteBatch batch;
//   batch.Put("user:1", "alice");
//   batch.Delete("user:0");
//   absl::Status s = db->Write(WriteOptions(), batch);
//
// Thread-safety: a WriteBatch is a plain value; use one from one thread at a
// time (Db::Write only reads it).

#ifndef MEMKIT_DBM_WRITE_BATCH_H_
#define MEMKIT_DBM_WRITE_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace dbm {

class WriteBatch {
 public:
  WriteBatch() = default;

  // Keys are at most 16 MiB - 1 bytes, values at most 2 GiB, a batch at most
  // 4 GiB and 16 M operations; beyond that the batch remembers an
  // InvalidArgument error that status() and Db::Write return.
  void Put(absl::string_view key, absl::string_view value);
  void Delete(absl::string_view key);

  void Clear();

  // Number of operations added.
  uint32_t Count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Bytes this batch adds to the file, less its 12-byte header.
  size_t ByteSize() const { return rep_.size(); }

  // OK, or why the batch cannot be written.
  const absl::Status& status() const { return status_; }

  // The encoded operations: `Count()` put/delete records in the file format
  // of docs/dbm.md, each with its checksum.
  absl::string_view Contents() const { return rep_; }

 private:
  void Add(uint8_t type, absl::string_view key, absl::string_view value);

  std::string rep_;
  uint32_t count_ = 0;
  absl::Status status_;
};

}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_WRITE_BATCH_H_
