#include "gui/bridge/engine_bridge.h"

#include <QCoreApplication>
#include <QThread>

#include <type_traits>

namespace gpupoor::gui {

void assertGuiThread(const char* where) {
  const auto* app = QCoreApplication::instance();
  if (app != nullptr && QThread::currentThread() != app->thread()) {
    qFatal("%s ran outside the GUI thread; results must arrive through queued signals", where);
  }
}

EngineBridge::EngineBridge(QObject* parent)
    : QObject(parent), m_target(std::make_shared<Target>()) {
  qRegisterMetaType<EngineEventPtr>("gpupoor::gui::EngineEventPtr");
  m_target->bridge = this;
  connect(this, &EngineBridge::eventPosted, this, &EngineBridge::dispatch, Qt::QueuedConnection);
}

EngineBridge::~EngineBridge() {
  // Sinks still held by engine threads see null from here on. Holding the
  // mutex also waits for a sink that is emitting right now.
  std::lock_guard lock(m_target->mutex);
  m_target->bridge = nullptr;
}

quint64 EngineBridge::beginJob() {
  assertGuiThread("EngineBridge::beginJob");
  m_currentJob = ++m_lastJob;
  return m_currentJob;
}

void EngineBridge::endJob() {
  assertGuiThread("EngineBridge::endJob");
  m_currentJob = 0;
}

EventSink EngineBridge::sinkFor(quint64 job) {
  std::weak_ptr<Target> weakTarget = m_target;
  return [weakTarget, job](const EngineEvent& event) {
    const auto target = weakTarget.lock();
    if (!target) return;
    auto copy = std::make_shared<const EngineEvent>(event);
    std::lock_guard lock(target->mutex);
    // Emitting from a worker thread is safe: the connection is queued, so
    // this only posts an event to the bridge's thread.
    if (target->bridge != nullptr) emit target->bridge->eventPosted(job, std::move(copy));
  };
}

void EngineBridge::dispatch(quint64 job, const EngineEventPtr& event) {
  assertGuiThread("EngineBridge::dispatch");
  if (job != m_currentJob || !event) {
    ++m_droppedEvents;
    return;
  }
  ++m_deliveredEvents;
  std::visit(
      [this](const auto& typed) {
        using T = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<T, LoadProgressEvent>) emit loadProgress(typed);
        else if constexpr (std::is_same_v<T, ModelLoadedEvent>) emit modelLoaded(typed);
        else if constexpr (std::is_same_v<T, TokenGeneratedEvent>) emit tokenGenerated(typed);
        else if constexpr (std::is_same_v<T, MetricSampleEvent>) emit metricSample(typed);
        else if constexpr (std::is_same_v<T, PromptFinishedEvent>) emit promptFinished(typed);
        else if constexpr (std::is_same_v<T, PerplexityProgressEvent>) emit perplexityProgress(typed);
        else if constexpr (std::is_same_v<T, PerplexityFinishedEvent>) emit perplexityFinished(typed);
        else if constexpr (std::is_same_v<T, RunFinishedEvent>) emit runFinished(typed);
        else if constexpr (std::is_same_v<T, EngineErrorEvent>) emit engineError(typed);
      },
      *event);
}

}  // namespace gpupoor::gui
