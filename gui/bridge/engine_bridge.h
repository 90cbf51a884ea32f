#pragma once

// Carries comparison-engine events from the engine's worker threads to the GUI
// thread. sinkFor(job) returns an EventSink that any thread may call; it
// copies the event and posts it through a queued signal. On the GUI thread the
// bridge drops events of jobs other than the current one (stale results of a
// cancelled or replaced run) and re-emits the rest as typed signals.

#include <QObject>

#include <memory>
#include <mutex>

#include "core/engine/events.h"

namespace gpupoor::gui {

using EngineEventPtr = std::shared_ptr<const EngineEvent>;

class EngineBridge : public QObject {
  Q_OBJECT

 public:
  explicit EngineBridge(QObject* parent = nullptr);
  ~EngineBridge() override;

  // Starts a new job: events of earlier jobs are dropped from now on.
  quint64 beginJob();
  quint64 currentJob() const { return m_currentJob; }
  // Drops the events of every job, for example after a cancel the user sees
  // as final.
  void endJob();

  // A thread-safe sink tagged with `job`. It stays safe to call after the
  // bridge is destroyed (events are discarded then).
  EventSink sinkFor(quint64 job);

  // Events delivered to the GUI thread, counted for tests and the status bar.
  quint64 deliveredEvents() const { return m_deliveredEvents; }
  quint64 droppedEvents() const { return m_droppedEvents; }

 signals:
  // Internal: crosses from a worker thread with a queued connection.
  void eventPosted(quint64 job, gpupoor::gui::EngineEventPtr event);

  void loadProgress(const gpupoor::LoadProgressEvent& event);
  void modelLoaded(const gpupoor::ModelLoadedEvent& event);
  void tokenGenerated(const gpupoor::TokenGeneratedEvent& event);
  void metricSample(const gpupoor::MetricSampleEvent& event);
  void promptFinished(const gpupoor::PromptFinishedEvent& event);
  void perplexityProgress(const gpupoor::PerplexityProgressEvent& event);
  void perplexityFinished(const gpupoor::PerplexityFinishedEvent& event);
  void runFinished(const gpupoor::RunFinishedEvent& event);
  void engineError(const gpupoor::EngineErrorEvent& event);

 private:
  void dispatch(quint64 job, const EngineEventPtr& event);

  // Shared with the sinks so they can tell whether the bridge still exists.
  struct Target {
    std::mutex mutex;
    EngineBridge* bridge = nullptr;
  };
  std::shared_ptr<Target> m_target;
  quint64 m_currentJob = 0;
  quint64 m_lastJob = 0;
  quint64 m_deliveredEvents = 0;
  quint64 m_droppedEvents = 0;
};

// Aborts with a message naming `where` when called off the GUI thread. Result
// handlers call it first: touching widgets from another thread corrupts them
// silently, so this fails loudly in every build type.
void assertGuiThread(const char* where);

}  // namespace gpupoor::gui

Q_DECLARE_METATYPE(gpupoor::gui::EngineEventPtr)
