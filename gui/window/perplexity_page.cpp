#include "gui/window/perplexity_page.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "core/common/errors.h"
#include "gui/bridge/engine_bridge.h"

namespace gpupoor::gui {

namespace {

enum Column { kModel, kScheme, kFp32, kInt8, kDelta, kMeanKld, kP99Kld, kTop1, kTokens, kColumnCount };

QTableWidgetItem* numberItem(const QString& text, const QString& toolTip = QString()) {
  auto* item = new QTableWidgetItem(text);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  if (!toolTip.isEmpty()) item->setToolTip(toolTip);
  return item;
}

}  // namespace

PerplexityPage::PerplexityPage(QWidget* parent) : QWidget(parent) {
  m_file = new QLineEdit(this);
  m_file->setObjectName(QStringLiteral("perplexityFile"));
  m_file->setToolTip(tr("Text scored by both copies. The default is the bundled WikiText-2 "
                        "test excerpt."));
  auto* browse = new QPushButton(tr("Browse…"), this);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Text for perplexity"),
                                                      QFileInfo(m_file->text()).path(),
                                                      tr("Text files (*.txt *.raw);;All files (*)"));
    if (!path.isEmpty()) m_file->setText(path);
  });
  auto* fileRow = new QHBoxLayout;
  fileRow->addWidget(m_file, 1);
  fileRow->addWidget(browse);

  m_reading = new QComboBox(this);
  m_reading->addItem(tr("Plain: the whole file"), static_cast<int>(TextReading::Plain));
  m_reading->addItem(tr("WikiText: rows joined with blank lines"), static_cast<int>(TextReading::Wikitext));
  m_reading->setToolTip(tr("WikiText follows the Hugging Face datasets recipe for "
                           "wiki.test.raw, so numbers compare with published ones."));
  m_maxLength = new QSpinBox(this);
  m_maxLength->setRange(0, 8192);
  m_maxLength->setSpecialValueText(tr("model context"));
  m_maxLength->setSuffix(tr(" tokens"));
  m_maxLength->setToolTip(tr("Window length. 0 uses the model's n_positions."));
  m_stride = new QSpinBox(this);
  m_stride->setRange(0, 8192);
  m_stride->setSpecialValueText(tr("half the window"));
  m_stride->setSuffix(tr(" tokens"));
  m_stride->setToolTip(tr("How far each window moves. Tokens already scored serve as context "
                          "only, so every token is scored once. Smaller strides give more "
                          "context per token and cost more time."));
  m_maxTokens = new QSpinBox(this);
  m_maxTokens->setObjectName(QStringLiteral("perplexityMaxTokens"));
  m_maxTokens->setRange(0, 100'000'000);
  m_maxTokens->setSpecialValueText(tr("all"));
  m_maxTokens->setToolTip(tr("Score at most this many tokens of the text; 0 scores all."));

  m_run = new QPushButton(tr("Run perplexity"), this);
  m_run->setObjectName(QStringLiteral("perplexityRun"));
  m_cancel = new QPushButton(tr("Cancel"), this);
  m_cancel->setEnabled(false);
  connect(m_run, &QPushButton::clicked, this, &PerplexityPage::runRequested);
  connect(m_cancel, &QPushButton::clicked, this, &PerplexityPage::cancelRequested);
  m_progress = new QProgressBar(this);
  m_progress->setObjectName(QStringLiteral("perplexityPageProgress"));
  m_progress->setFormat(tr("%v / %m windows"));
  m_progress->setValue(0);
  m_status = new QLabel(this);
  m_status->setWordWrap(true);
  m_status->setTextFormat(Qt::PlainText);

  auto* form = new QFormLayout;
  form->addRow(tr("Text file"), fileRow);
  form->addRow(tr("Reading"), m_reading);
  form->addRow(tr("Max length"), m_maxLength);
  form->addRow(tr("Stride"), m_stride);
  form->addRow(tr("Max tokens"), m_maxTokens);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_run);
  buttons->addWidget(m_cancel);
  buttons->addWidget(m_progress, 1);

  m_results = new QTableWidget(0, kColumnCount, this);
  m_results->setObjectName(QStringLiteral("perplexityResults"));
  m_results->setHorizontalHeaderLabels({tr("Model"), tr("INT8 scheme"), tr("FP32 perplexity"),
                                        tr("INT8 perplexity"), tr("Change"), tr("Mean KLD"),
                                        tr("P99 KLD"), tr("Top-1 agreement"), tr("Tokens scored")});
  const QStringList headerTips = {
      QString(),
      QString(),
      tr("exp(mean negative log-likelihood per scored token) of the FP32 copy, ± its standard "
         "error propagated from the NLL"),
      tr("The same for the INT8 copy"),
      tr("100 × (INT8 − FP32) / FP32 perplexity"),
      tr("Mean over scored positions of KL(P_FP32 ‖ P_INT8), the divergence of the INT8 "
         "next-token distribution from the FP32 one, in nats"),
      tr("99th percentile of the per-position KL divergence"),
      tr("Share of positions where both copies rank the same token first"),
      tr("Tokens scored by each copy")};
  for (int column = 0; column < kColumnCount; ++column) {
    if (!headerTips[column].isEmpty()) m_results->horizontalHeaderItem(column)->setToolTip(headerTips[column]);
  }
  m_results->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_results->horizontalHeader()->setStretchLastSection(true);
  m_results->verticalHeader()->setVisible(false);
  m_results->setEditTriggers(QAbstractItemView::NoEditTriggers);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(m_status);
  layout->addWidget(m_results, 1);
}

void PerplexityPage::setDefaultFile(const QString& path) {
  if (m_file->text().isEmpty()) m_file->setText(path);
}

PerplexitySettings PerplexityPage::perplexitySettings() const {
  const QString path = m_file->text().trimmed();
  if (path.isEmpty() || !QFileInfo(path).isFile()) {
    throw InvalidArgument("perplexity text file '" + path.toStdString() +
                          "' not found; choose an existing text file");
  }
  PerplexitySettings settings;
  settings.file = path.toStdString();
  settings.reading = static_cast<TextReading>(m_reading->currentData().toInt());
  settings.maxLength = m_maxLength->value();
  settings.stride = m_stride->value();
  settings.maxTokens = m_maxTokens->value();
  return settings;
}

void PerplexityPage::saveSettings(QSettings& settings) const {
  settings.beginGroup(QStringLiteral("perplexity"));
  settings.setValue(QStringLiteral("file"), m_file->text());
  settings.setValue(QStringLiteral("reading"), m_reading->currentData().toInt());
  settings.setValue(QStringLiteral("maxLength"), m_maxLength->value());
  settings.setValue(QStringLiteral("stride"), m_stride->value());
  settings.setValue(QStringLiteral("maxTokens"), m_maxTokens->value());
  settings.endGroup();
}

void PerplexityPage::restoreSettings(const QSettings& settings) {
  const QString file = settings.value(QStringLiteral("perplexity/file")).toString();
  if (!file.isEmpty() && QFileInfo(file).isFile()) m_file->setText(file);
  const int reading = m_reading->findData(settings.value(QStringLiteral("perplexity/reading"), 0).toInt());
  if (reading >= 0) m_reading->setCurrentIndex(reading);
  m_maxLength->setValue(settings.value(QStringLiteral("perplexity/maxLength"), 0).toInt());
  m_stride->setValue(settings.value(QStringLiteral("perplexity/stride"), 0).toInt());
  m_maxTokens->setValue(settings.value(QStringLiteral("perplexity/maxTokens"), 0).toInt());
}

void PerplexityPage::setRunning(bool running) {
  m_run->setEnabled(!running);
  m_cancel->setEnabled(running);
}

void PerplexityPage::showError(const QString& message) {
  m_status->setStyleSheet(QStringLiteral("color: #d0342c; font-weight: bold;"));
  m_status->setText(message);
}

void PerplexityPage::beginRun(const QStringList& modelNames) {
  assertGuiThread("PerplexityPage::beginRun");
  m_modelNames = modelNames;
  m_results->setRowCount(0);
  m_progress->setRange(0, 1);
  m_progress->setValue(0);
  m_status->setStyleSheet(QString());
  m_status->setText(tr("Loading models…"));
}

void PerplexityPage::applyProgress(const PerplexityProgressEvent& event) {
  assertGuiThread("PerplexityPage::applyProgress");
  m_progress->setRange(0, static_cast<int>(std::max<std::int64_t>(1, event.windowsTotal)));
  m_progress->setValue(static_cast<int>(event.windowsDone));
  m_status->setText(tr("Scoring %1 with FP32 and INT8 %2…")
                        .arg(m_modelNames.value(event.modelIndex, tr("model %1").arg(event.modelIndex + 1)),
                             QString::fromStdString(schemeName(event.scheme))));
}

void PerplexityPage::applyFinished(const PerplexityFinishedEvent& event) {
  assertGuiThread("PerplexityPage::applyFinished");
  m_progress->setValue(m_progress->maximum());
  m_status->clear();
  addResultRow(event.result);
}

void PerplexityPage::showResults(const std::vector<PerplexityComparison>& results,
                                 const QStringList& modelNames) {
  m_modelNames = modelNames;
  m_results->setRowCount(0);
  for (const auto& result : results) addResultRow(result);
}

void PerplexityPage::addResultRow(const PerplexityComparison& result) {
  const int row = m_results->rowCount();
  m_results->insertRow(row);
  const auto withError = [](const PerplexityResult& ppl) {
    // exp(mean NLL) ± its error propagated to first order: ppl × SE(NLL).
    return QStringLiteral("%1 ± %2")
        .arg(ppl.perplexity, 0, 'f', 2)
        .arg(ppl.perplexity * ppl.nllStandardError, 0, 'f', 2);
  };
  m_results->setItem(row, kModel, new QTableWidgetItem(m_modelNames.value(
                                      result.modelIndex, tr("model %1").arg(result.modelIndex + 1))));
  m_results->setItem(row, kScheme, new QTableWidgetItem(QString::fromStdString(schemeName(result.scheme))));
  m_results->setItem(row, kFp32, numberItem(withError(result.fp32)));
  m_results->setItem(row, kInt8, numberItem(withError(result.int8)));
  m_results->setItem(row, kDelta, numberItem(QStringLiteral("%1%2%")
                                                 .arg(result.deltaPercent >= 0 ? "+" : "")
                                                 .arg(result.deltaPercent, 0, 'f', 3)));
  m_results->setItem(row, kMeanKld, numberItem(QString::number(result.kld.meanKld, 'g', 4)));
  m_results->setItem(row, kP99Kld, numberItem(QString::number(result.kld.p99Kld, 'g', 4)));
  m_results->setItem(row, kTop1, numberItem(QStringLiteral("%1%").arg(100.0 * result.kld.top1Agreement, 0, 'f', 2),
                                            tr("%n position(s) compared", nullptr,
                                               static_cast<int>(result.kld.positions))));
  m_results->setItem(row, kTokens, numberItem(QString::number(result.fp32.tokensScored)));
}

}  // namespace gpupoor::gui
