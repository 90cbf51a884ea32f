#pragma once

// Routes spdlog messages (core and GUI) to the log view. The spdlog sink may
// be called from any thread; it formats the message and posts it to the
// LogBridge on the GUI thread through a queued signal.

#include <QObject>
#include <QString>

#include <memory>

namespace spdlog::sinks {
class sink;
}

namespace gpupoor::gui {

class LogBridge : public QObject {
  Q_OBJECT

 public:
  explicit LogBridge(QObject* parent = nullptr);
  ~LogBridge() override;

  // Adds the sink to spdlog's default logger. Call once, before worker
  // threads log; removes it again in the destructor.
  void install();

 signals:
  // level: spdlog level number (0 trace .. 5 critical); text without newline.
  void messageLogged(int level, const QString& text);

 private:
  std::shared_ptr<spdlog::sinks::sink> m_sink;
};

}  // namespace gpupoor::gui
