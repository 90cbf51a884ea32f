#pragma once

// The comparison run. It loads the FP32 copy of each model and one INT8 copy
// per scheme, then generates every prompt through both copies at the same time
// on two worker threads. When a text is given it also scores perplexity and KL
// divergence. All work happens on the engine's own threads, so no call here
// blocks except wait().

#include <memory>

#include "core/engine/events.h"
#include "core/engine/report.h"
#include "core/engine/settings.h"

namespace gpupoor {

class ComparisonEngine {
 public:
  ComparisonEngine();
  ~ComparisonEngine();  // cancels and waits
  ComparisonEngine(const ComparisonEngine&) = delete;
  ComparisonEngine& operator=(const ComparisonEngine&) = delete;

  // Validates `settings` (throws InvalidArgument on empty models or prompts,
  // or when a run is already going) and starts the run in the background.
  // `sink` receives every event; the last one is RunFinishedEvent, sent
  // after running() has turned false. The sink must not call start() itself.
  void start(ComparisonSettings settings, EventSink sink);

  // Asks the run to stop between tokens or perplexity windows. Returns at once.
  void cancel();

  // Blocks until the run has finished (completed, cancelled or failed).
  void wait();

  bool running() const;

  // Returns a copy of the current report: partial while running, final after.
  Report report() const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace gpupoor
