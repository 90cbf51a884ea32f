#pragma once

// The Log tab: messages from spdlog (core, command line and GUI), newest at
// the bottom, with a minimum-level filter. Keeps the last 5000 lines.

#include <QWidget>

class QComboBox;
class QPlainTextEdit;

namespace gpupoor::gui {

class LogView : public QWidget {
  Q_OBJECT

 public:
  static constexpr int kMaxLines = 5000;

  explicit LogView(QWidget* parent = nullptr);

  // level: spdlog level number (0 trace .. 5 critical).
  void appendMessage(int level, const QString& text);
  QPlainTextEdit* text() const { return m_text; }

 private:
  QPlainTextEdit* m_text = nullptr;
  QComboBox* m_minimumLevel = nullptr;
};

}  // namespace gpupoor::gui
