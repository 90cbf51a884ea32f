#pragma once

// Coalesces chart updates: callers mark charts dirty as events arrive, and a
// timer hands the dirty set to one callback at most every interval (50 ms,
// so at most 20 redraws per second however fast tokens stream).

#include <QObject>
#include <QSet>
#include <QString>
#include <QTimer>

#include <functional>

namespace gpupoor::gui {

class ReplotScheduler : public QObject {
  Q_OBJECT

 public:
  static constexpr int kIntervalMs = 50;

  // `flush` receives the file stems of the dirty charts.
  ReplotScheduler(std::function<void(const QStringList&)> flush, QObject* parent = nullptr);

  void markDirty(const QString& chartStem);
  void markDirty(const QStringList& chartStems);
  // Runs the pending flush now (end of a run, export).
  void flushNow();
  // Number of flushes so far, for tests of the rate limit.
  int flushCount() const { return m_flushCount; }

 private:
  void onTimeout();

  std::function<void(const QStringList&)> m_flush;
  QSet<QString> m_dirty;
  QTimer m_timer;
  int m_flushCount = 0;
};

}  // namespace gpupoor::gui
