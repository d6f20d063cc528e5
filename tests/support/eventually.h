// Eventually: waits for something a test cannot be told about (a server
// restarting, a background thread catching up) by polling a predicate until it
// holds or a deadline passes, instead of sleeping a guessed time.
//
//   ASSERT_TRUE(Eventually([&] { return client->Set("k", "v").ok(); }));
//
// Thread-safety: a free function; the predicate runs on the calling thread.

#ifndef MEMKIT_TESTS_SUPPORT_EVENTUALLY_H_
#define MEMKIT_TESTS_SUPPORT_EVENTUALLY_H_

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"

namespace memkit {
namespace test_support {

// Calls `predicate` until it returns true (then returns true) or `deadline`
// has passed since the call (then returns false, after one last try). Waits
// between tries start at 1 ms and double up to 20 ms, so a quick condition
// costs little and a slow one does not spin.
bool Eventually(absl::FunctionRef<bool()> predicate,
                absl::Duration deadline = absl::Seconds(10));

}  // namespace test_support
}  // namespace memkit

#endif  // MEMKIT_TESTS_SUPPORT_EVENTUALLY_H_
