#pragma once

// Ctrl-C handling for the long-running subcommands (generate, perplexity,
// compare). While an InterruptGuard is alive, the first SIGINT runs its
// callback, which normally cancels a CancelToken. The handler then falls back
// to the default action, so a second Ctrl-C ends the process at once, even
// inside a long forward pass or load. Other signals are left alone: SIGTERM
// keeps its default action.

#include <functional>

#include "core/common/cancel.h"

namespace gpupoor::cli {

class InterruptGuard {
 public:
  // Installs a SIGINT handler that calls `onInterrupt`. When SIGINT is
  // ignored, as in a background job, it stays ignored. The callback runs
  // inside the signal handler, so it must only store to lock-free atomics
  // (CancelToken::cancel() does). Throws std::logic_error when another guard
  // is alive, and std::system_error when sigaction() fails.
  explicit InterruptGuard(std::function<void()> onInterrupt);
  // Installs a SIGINT handler that cancels `token`, which must outlive the guard.
  explicit InterruptGuard(CancelToken& token);
  // Restores the SIGINT action that was installed before this guard.
  ~InterruptGuard();

  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  std::function<void()> m_onInterrupt;
  bool m_installed = false;  // false while SIGINT stays ignored
};

}  // namespace gpupoor::cli
