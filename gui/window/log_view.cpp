#include "gui/window/log_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "gui/bridge/engine_bridge.h"

namespace gpupoor::gui {

LogView::LogView(QWidget* parent) : QWidget(parent) {
  m_text = new QPlainTextEdit(this);
  m_text->setObjectName(QStringLiteral("logText"));
  m_text->setReadOnly(true);
  m_text->setMaximumBlockCount(kMaxLines);
  m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
  QFont mono(QStringLiteral("monospace"));
  mono.setStyleHint(QFont::TypeWriter);
  m_text->setFont(mono);

  m_minimumLevel = new QComboBox(this);
  m_minimumLevel->addItem(tr("Debug and above"), 1);
  m_minimumLevel->addItem(tr("Info and above"), 2);
  m_minimumLevel->addItem(tr("Warnings and errors"), 3);
  m_minimumLevel->setCurrentIndex(1);
  m_minimumLevel->setToolTip(tr("Lines below this level are not added. Debug lines (per tensor, "
                                "per step) also need spdlog's level at debug."));
  auto* clear = new QPushButton(tr("Clear"), this);
  connect(clear, &QPushButton::clicked, m_text, &QPlainTextEdit::clear);

  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Show:"), this));
  bar->addWidget(m_minimumLevel);
  bar->addStretch();
  bar->addWidget(clear);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(bar);
  layout->addWidget(m_text, 1);
}

void LogView::appendMessage(int level, const QString& text) {
  assertGuiThread("LogView::appendMessage");
  if (level < m_minimumLevel->currentData().toInt()) return;
  m_text->appendPlainText(text);
}

}  // namespace gpupoor::gui
