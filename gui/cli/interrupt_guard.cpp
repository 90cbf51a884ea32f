#include "gui/cli/interrupt_guard.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <system_error>

namespace gpupoor::cli {
namespace {

// The callback of the live guard; the handler reads it with one atomic load.
std::atomic<const std::function<void()>*> g_onInterrupt{nullptr};
static_assert(std::atomic<const std::function<void()>*>::is_always_lock_free,
              "the SIGINT handler may only touch lock-free atomics");

// The SIGINT action before the live guard, restored by its destructor.
struct sigaction g_previousAction {};

extern "C" void handleInterrupt(int /*signal*/) {
  const std::function<void()>* onInterrupt = g_onInterrupt.load();
  if (onInterrupt != nullptr) (*onInterrupt)();
}

}  // namespace

InterruptGuard::InterruptGuard(std::function<void()> onInterrupt)
    : m_onInterrupt(std::move(onInterrupt)) {
  const std::function<void()>* expected = nullptr;
  if (!g_onInterrupt.compare_exchange_strong(expected, &m_onInterrupt)) {
    throw std::logic_error("InterruptGuard: another guard already handles SIGINT");
  }

  if (sigaction(SIGINT, nullptr, &g_previousAction) != 0) {
    const int error = errno;
    g_onInterrupt.store(nullptr);
    throw std::system_error(error, std::generic_category(), "sigaction(SIGINT) failed");
  }
  // A shell without job control starts `command &` with SIGINT ignored, so
  // that Ctrl-C in the terminal reaches only the foreground job. Such a
  // process keeps ignoring it.
  if (g_previousAction.sa_handler == SIG_IGN) return;

  struct sigaction action {};
  action.sa_handler = handleInterrupt;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the second Ctrl-C gets the default action and ends the
  // process. SA_RESTART: a write to stdout that the signal interrupts is
  // resumed instead of failing with EINTR, so no generated text is lost.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  if (sigaction(SIGINT, &action, nullptr) != 0) {
    const int error = errno;
    g_onInterrupt.store(nullptr);
    throw std::system_error(error, std::generic_category(), "sigaction(SIGINT) failed");
  }
  m_installed = true;
}

InterruptGuard::InterruptGuard(CancelToken& token) : InterruptGuard([&token] { token.cancel(); }) {}

InterruptGuard::~InterruptGuard() {
  if (m_installed) sigaction(SIGINT, &g_previousAction, nullptr);
  g_onInterrupt.store(nullptr);
}

}  // namespace gpupoor::cli
