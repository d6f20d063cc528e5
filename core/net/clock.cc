#include "core/net/clock.h"

namespace memkit {
namespace net {

RealClock* RealClock::Get() {
  static RealClock* const clock = new RealClock();
  return clock;
}

}  // namespace net
}  // namespace memkit
