#include "gui/bridge/replot_scheduler.h"

#include "gui/bridge/engine_bridge.h"

namespace gpupoor::gui {

ReplotScheduler::ReplotScheduler(std::function<void(const QStringList&)> flush, QObject* parent)
    : QObject(parent), m_flush(std::move(flush)) {
  m_timer.setSingleShot(true);
  m_timer.setInterval(kIntervalMs);
  connect(&m_timer, &QTimer::timeout, this, &ReplotScheduler::onTimeout);
}

void ReplotScheduler::markDirty(const QString& chartStem) {
  assertGuiThread("ReplotScheduler::markDirty");
  m_dirty.insert(chartStem);
  // A running timer already covers this change; starting it only when idle
  // keeps the interval fixed under a steady stream of events.
  if (!m_timer.isActive()) m_timer.start();
}

void ReplotScheduler::markDirty(const QStringList& chartStems) {
  for (const auto& stem : chartStems) markDirty(stem);
}

void ReplotScheduler::flushNow() {
  m_timer.stop();
  onTimeout();
}

void ReplotScheduler::onTimeout() {
  if (m_dirty.isEmpty()) return;
  const QStringList stems(m_dirty.begin(), m_dirty.end());
  m_dirty.clear();
  ++m_flushCount;
  m_flush(stems);
}

}  // namespace gpupoor::gui
