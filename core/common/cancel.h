#pragma once

#include <atomic>
#include <memory>

#include "core/common/errors.h"

namespace gpupoor {

// A cancellation flag shared between the thread that requests a stop and the
// workers that check it between tokens, tensors and perplexity windows.
class CancelToken {
 public:
  void cancel() { m_cancelled.store(true, std::memory_order_relaxed); }
  bool isCancelled() const { return m_cancelled.load(std::memory_order_relaxed); }

  // Throws Cancelled when a stop was requested.
  void throwIfCancelled() const {
    if (isCancelled()) throw Cancelled();
  }

 private:
  std::atomic<bool> m_cancelled{false};
};

using CancelTokenPtr = std::shared_ptr<CancelToken>;

// Throws Cancelled when `token` is set and cancelled; a null token never cancels.
inline void throwIfCancelled(const CancelToken* token) {
  if (token != nullptr) token->throwIfCancelled();
}

}  // namespace gpupoor
