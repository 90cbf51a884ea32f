#include "gui/bridge/log_bridge.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <QMetaObject>
#include <QPointer>

#include <algorithm>
#include <mutex>

namespace gpupoor::gui {

namespace {

class QueuedSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit QueuedSink(LogBridge* bridge) : m_bridge(bridge) {}

  // Called by ~LogBridge, so no message is posted to a destroyed object.
  void detach() {
    std::lock_guard lock(mutex_);
    m_bridge = nullptr;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    if (m_bridge == nullptr) return;
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    QString text = QString::fromUtf8(formatted.data(), static_cast<qsizetype>(formatted.size()));
    while (text.endsWith('\n') || text.endsWith('\r')) text.chop(1);
    const int level = static_cast<int>(message.level);
    // invokeMethod with Qt::QueuedConnection is safe from any thread.
    LogBridge* bridge = m_bridge;
    QMetaObject::invokeMethod(
        bridge, [bridge, level, text] { emit bridge->messageLogged(level, text); },
        Qt::QueuedConnection);
  }

  void flush_() override {}

 private:
  LogBridge* m_bridge;
};

}  // namespace

LogBridge::LogBridge(QObject* parent) : QObject(parent) {}

LogBridge::~LogBridge() {
  if (!m_sink) return;
  std::static_pointer_cast<QueuedSink>(m_sink)->detach();
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), m_sink), sinks.end());
}

void LogBridge::install() {
  if (m_sink) return;
  m_sink = std::make_shared<QueuedSink>(this);
  m_sink->set_pattern("%H:%M:%S.%e %l %v");
  spdlog::default_logger()->sinks().push_back(m_sink);
}

}  // namespace gpupoor::gui
