#include "gui/window/prompt_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <limits>

#include "core/common/errors.h"
#include "gui/bridge/engine_bridge.h"
#include "core/engine/prompt_file.h"

namespace gpupoor::gui {

namespace {
constexpr int kSamplingGreedy = 0;
constexpr int kSamplingRandom = 1;
}  // namespace

PromptPanel::PromptPanel(QWidget* parent) : QWidget(parent) {
  // Prompts: editor plus a button for prompt sets.
  m_editor = new QPlainTextEdit(this);
  m_editor->setObjectName(QStringLiteral("promptEditor"));
  m_editor->setPlaceholderText(tr("One prompt per line"));
  m_editor->setToolTip(tr("Each non-empty line is one prompt. A run sends every prompt through "
                          "the FP32 and INT8 copies of each checked model."));
  m_promptCount = new QLabel(this);
  auto* openButton = new QPushButton(tr("Open prompt set…"), this);
  openButton->setToolTip(tr("Load prompts from a .txt file (one per line) or a .jsonl file "
                            "({\"prompt\": \"...\"} per line)."));
  connect(openButton, &QPushButton::clicked, this, &PromptPanel::openPromptFile);
  connect(m_editor, &QPlainTextEdit::textChanged, this, [this] {
    m_promptCount->setText(tr("%n prompt(s)", nullptr, static_cast<int>(prompts().size())));
  });

  auto* promptBox = new QGroupBox(tr("Prompts"), this);
  auto* promptLayout = new QVBoxLayout(promptBox);
  promptLayout->addWidget(m_editor);
  auto* promptButtons = new QHBoxLayout;
  promptButtons->addWidget(openButton);
  promptButtons->addStretch();
  promptButtons->addWidget(m_promptCount);
  promptLayout->addLayout(promptButtons);

  // Generation settings.
  m_maxNewTokens = new QSpinBox(this);
  m_maxNewTokens->setRange(1, 1024);
  m_maxNewTokens->setValue(48);
  m_maxNewTokens->setToolTip(tr("Tokens generated after the prompt, per copy. Prompt plus new "
                                "tokens must fit in the model's context."));
  m_sampling = new QComboBox(this);
  m_sampling->addItem(tr("Greedy"), kSamplingGreedy);
  m_sampling->addItem(tr("Temperature / top-k / top-p"), kSamplingRandom);
  m_sampling->setToolTip(tr("Greedy takes the most likely token each step, so outputs differ "
                            "only where INT8 changes the ranking. Sampling uses the same seed "
                            "for both copies."));
  m_temperature = new QDoubleSpinBox(this);
  m_temperature->setRange(0.05, 2.0);
  m_temperature->setSingleStep(0.05);
  m_temperature->setValue(0.8);
  m_topK = new QSpinBox(this);
  m_topK->setRange(0, 50257);
  m_topK->setValue(40);
  m_topK->setToolTip(tr("Keep only the k most likely tokens before sampling; 0 keeps all."));
  m_topP = new QDoubleSpinBox(this);
  m_topP->setRange(0.05, 1.0);
  m_topP->setSingleStep(0.05);
  m_topP->setValue(0.95);
  m_topP->setToolTip(tr("Keep the smallest set of most likely tokens whose probabilities sum "
                        "to at least p; 1 keeps all."));
  m_seed = new QSpinBox(this);
  m_seed->setRange(0, std::numeric_limits<int>::max());
  m_seed->setValue(42);
  m_seed->setToolTip(tr("Seed of the sampler; both copies start from the same seed."));
  m_scheme = new QComboBox(this);
  m_scheme->addItem(QStringLiteral("w8a32"), static_cast<int>(QuantScheme::W8A32));
  m_scheme->addItem(QStringLiteral("w8a8"), static_cast<int>(QuantScheme::W8A8));
  m_scheme->setToolTip(tr("w8a32: INT8 weights (one scale per output row), FP32 activations.\n"
                          "w8a8: INT8 weights and activations quantized per token row at run "
                          "time, integer accumulation."));
  m_stopAtEos = new QCheckBox(tr("Stop at end-of-text token"), this);
  m_stopAtEos->setChecked(true);
  m_threads = new QSpinBox(this);
  m_threads->setRange(0, 256);
  m_threads->setSpecialValueText(tr("all cores"));
  m_threads->setToolTip(tr("Total compute threads, split between the FP32 and INT8 copies "
                           "while they run side by side."));
  m_speedMode = new QComboBox(this);
  m_speedMode->addItem(tr("Concurrent (live A/B)"), static_cast<int>(SpeedMode::Concurrent));
  m_speedMode->addItem(tr("Isolated (one copy at a time)"), static_cast<int>(SpeedMode::Isolated));
  m_speedMode->setToolTip(tr("Concurrent: both copies generate at once on split threads, as "
                             "shown live.\nIsolated: one copy at a time after a warm-up, median "
                             "of repeats; slower but fairer speed numbers."));
  connect(m_sampling, &QComboBox::currentIndexChanged, this, &PromptPanel::updateSamplingControls);
  connect(m_scheme, &QComboBox::currentIndexChanged, this, [this] {
    emit schemeChanged(static_cast<QuantScheme>(m_scheme->currentData().toInt()));
  });

  auto* settingsBox = new QGroupBox(tr("Generation"), this);
  auto* form = new QFormLayout(settingsBox);
  form->addRow(tr("Max new tokens"), m_maxNewTokens);
  form->addRow(tr("Decoding"), m_sampling);
  form->addRow(tr("Temperature"), m_temperature);
  form->addRow(tr("Top-k"), m_topK);
  form->addRow(tr("Top-p"), m_topP);
  form->addRow(tr("Seed"), m_seed);
  form->addRow(tr("INT8 scheme"), m_scheme);
  form->addRow(QString(), m_stopAtEos);
  form->addRow(tr("Threads"), m_threads);
  form->addRow(tr("Speed mode"), m_speedMode);

  m_runButton = new QPushButton(tr("Run A/B"), this);
  auto* runButton = m_runButton;
  runButton->setObjectName(QStringLiteral("runButton"));
  runButton->setToolTip(tr("Run every prompt through FP32 and INT8 (Ctrl+R)"));
  m_stopButton = new QPushButton(tr("Stop"), this);
  auto* stopButton = m_stopButton;
  stopButton->setObjectName(QStringLiteral("stopButton"));
  stopButton->setToolTip(tr("Cancel the run between tokens (Esc)"));
  connect(runButton, &QPushButton::clicked, this, &PromptPanel::runRequested);
  connect(stopButton, &QPushButton::clicked, this, &PromptPanel::stopRequested);

  auto* top = new QWidget(this);
  auto* topLayout = new QHBoxLayout(top);
  topLayout->setContentsMargins(0, 0, 0, 0);
  topLayout->addWidget(promptBox, 3);
  auto* settingsColumn = new QVBoxLayout;
  settingsColumn->addWidget(settingsBox);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(runButton);
  buttons->addWidget(stopButton);
  settingsColumn->addLayout(buttons);
  settingsColumn->addStretch();
  topLayout->addLayout(settingsColumn, 2);

  // Outputs: which (model, prompt) to show, then the two panes.
  m_outputSelector = new QComboBox(this);
  m_outputSelector->setObjectName(QStringLiteral("outputSelector"));
  m_outputSelector->setToolTip(tr("Which model and prompt the panes show. While a run goes the "
                                  "panes follow the newest prompt until you pick another."));
  m_panes = new OutputPanes(this);
  m_error = new QLabel(this);
  m_error->setObjectName(QStringLiteral("runError"));
  m_error->setWordWrap(true);
  m_error->setTextFormat(Qt::PlainText);
  m_error->setStyleSheet(QStringLiteral("color: #d0342c; font-weight: bold;"));
  m_error->setVisible(false);
  connect(m_outputSelector, &QComboBox::activated, this, [this] {
    m_followLatest = m_outputSelector->currentIndex() == m_outputSelector->count() - 1;
    showSelectedOutput();
  });

  auto* bottom = new QWidget(this);
  auto* bottomLayout = new QVBoxLayout(bottom);
  bottomLayout->setContentsMargins(0, 0, 0, 0);
  bottomLayout->addWidget(m_error);
  bottomLayout->addWidget(m_outputSelector);
  bottomLayout->addWidget(m_panes, 1);

  auto* splitter = new QSplitter(Qt::Vertical, this);
  splitter->addWidget(top);
  splitter->addWidget(bottom);
  splitter->setStretchFactor(0, 2);
  splitter->setStretchFactor(1, 3);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(splitter);

  updateSamplingControls();
  m_promptCount->setText(tr("%n prompt(s)", nullptr, 0));
}

QStringList PromptPanel::prompts() const {
  QStringList result;
  for (const QString& line : m_editor->toPlainText().split(QLatin1Char('\n'))) {
    if (!line.trimmed().isEmpty()) result << line;
  }
  return result;
}

void PromptPanel::setPrompts(const QStringList& prompts) {
  m_editor->setPlainText(prompts.join(QLatin1Char('\n')));
}

void PromptPanel::loadPromptFile(const QString& path) {
  QStringList loaded;
  for (const std::string& prompt : readPromptFile(path.toStdString())) {
    loaded << QString::fromStdString(prompt);
  }
  int joined = 0;
  for (QString& prompt : loaded) {
    if (!prompt.contains(QLatin1Char('\n'))) continue;
    // The editor keeps one prompt per line, so line breaks inside a prompt
    // become spaces.
    prompt.replace(QLatin1Char('\n'), QLatin1Char(' '));
    ++joined;
  }
  setPrompts(loaded);
  if (joined > 0) {
    QMessageBox::information(this, tr("Prompt set"),
                             tr("%n prompt(s) in %1 contained line breaks; they were joined with "
                                "spaces because the editor keeps one prompt per line.",
                                nullptr, joined)
                                 .arg(path));
  }
}

void PromptPanel::openPromptFile() {
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Open prompt set"), QString(), tr("Prompt sets (*.txt *.jsonl);;All files (*)"));
  if (path.isEmpty()) return;
  try {
    loadPromptFile(path);
  } catch (const std::exception& error) {
    QMessageBox::warning(this, tr("Prompt set"), QString::fromUtf8(error.what()));
  }
}

void PromptPanel::updateSamplingControls() {
  const bool random = m_sampling->currentData().toInt() == kSamplingRandom;
  m_temperature->setEnabled(random);
  m_topK->setEnabled(random);
  m_topP->setEnabled(random);
  m_seed->setEnabled(random);
}

ComparisonSettings PromptPanel::generationSettings() const {
  ComparisonSettings settings;
  settings.maxNewTokens = m_maxNewTokens->value();
  const bool random = m_sampling->currentData().toInt() == kSamplingRandom;
  settings.temperature = random ? m_temperature->value() : 0.0;
  settings.topK = random ? m_topK->value() : 0;
  settings.topP = random ? m_topP->value() : 1.0;
  settings.seed = static_cast<std::uint64_t>(m_seed->value());
  settings.stopAtEos = m_stopAtEos->isChecked();
  settings.schemes = {static_cast<QuantScheme>(m_scheme->currentData().toInt())};
  settings.threads = m_threads->value();
  settings.speedMode = static_cast<SpeedMode>(m_speedMode->currentData().toInt());
  return settings;
}

void PromptPanel::setGenerationSettings(const ComparisonSettings& settings) {
  m_maxNewTokens->setValue(settings.maxNewTokens);
  const bool random = settings.temperature > 0.0;
  m_sampling->setCurrentIndex(m_sampling->findData(random ? kSamplingRandom : kSamplingGreedy));
  if (random) {
    m_temperature->setValue(settings.temperature);
    m_topK->setValue(settings.topK);
    m_topP->setValue(settings.topP);
  }
  m_seed->setValue(static_cast<int>(settings.seed));
  m_stopAtEos->setChecked(settings.stopAtEos);
  if (!settings.schemes.empty()) {
    const int index = m_scheme->findData(static_cast<int>(settings.schemes.front()));
    if (index >= 0) m_scheme->setCurrentIndex(index);
  }
  m_threads->setValue(settings.threads);
  const int modeIndex = m_speedMode->findData(static_cast<int>(settings.speedMode));
  if (modeIndex >= 0) m_speedMode->setCurrentIndex(modeIndex);
  updateSamplingControls();
}

void PromptPanel::saveSettings(QSettings& settings) const {
  settings.beginGroup(QStringLiteral("generation"));
  settings.setValue(QStringLiteral("maxNewTokens"), m_maxNewTokens->value());
  settings.setValue(QStringLiteral("sampling"), m_sampling->currentData().toInt());
  settings.setValue(QStringLiteral("temperature"), m_temperature->value());
  settings.setValue(QStringLiteral("topK"), m_topK->value());
  settings.setValue(QStringLiteral("topP"), m_topP->value());
  settings.setValue(QStringLiteral("seed"), m_seed->value());
  settings.setValue(QStringLiteral("scheme"), m_scheme->currentText());
  settings.setValue(QStringLiteral("stopAtEos"), m_stopAtEos->isChecked());
  settings.setValue(QStringLiteral("threads"), m_threads->value());
  settings.setValue(QStringLiteral("speedMode"), m_speedMode->currentData().toInt());
  settings.setValue(QStringLiteral("prompts"), prompts());
  settings.endGroup();
}

void PromptPanel::restoreSettings(const QSettings& settings) {
  const auto value = [&settings](const char* key, const QVariant& fallback) {
    return settings.value(QStringLiteral("generation/") + QLatin1String(key), fallback);
  };
  m_maxNewTokens->setValue(value("maxNewTokens", m_maxNewTokens->value()).toInt());
  const int sampling = m_sampling->findData(value("sampling", kSamplingGreedy).toInt());
  if (sampling >= 0) m_sampling->setCurrentIndex(sampling);
  m_temperature->setValue(value("temperature", m_temperature->value()).toDouble());
  m_topK->setValue(value("topK", m_topK->value()).toInt());
  m_topP->setValue(value("topP", m_topP->value()).toDouble());
  m_seed->setValue(value("seed", m_seed->value()).toInt());
  const int scheme = m_scheme->findText(value("scheme", m_scheme->currentText()).toString());
  if (scheme >= 0) m_scheme->setCurrentIndex(scheme);
  m_stopAtEos->setChecked(value("stopAtEos", true).toBool());
  m_threads->setValue(value("threads", 0).toInt());
  const int speedMode =
      m_speedMode->findData(value("speedMode", static_cast<int>(SpeedMode::Concurrent)).toInt());
  if (speedMode >= 0) m_speedMode->setCurrentIndex(speedMode);
  const QStringList savedPrompts = value("prompts", QStringList()).toStringList();
  if (!savedPrompts.isEmpty()) setPrompts(savedPrompts);
  updateSamplingControls();
}

void PromptPanel::showError(const QString& message) {
  m_error->setText(message);
  m_error->setVisible(!message.isEmpty());
}

void PromptPanel::setRunning(bool running) {
  m_runButton->setEnabled(!running);
  m_stopButton->setEnabled(running);
}

void PromptPanel::beginRun(const QStringList& modelNames) {
  assertGuiThread("PromptPanel::beginRun");
  showError(QString());
  m_modelNames = modelNames;
  m_runPrompts = prompts();
  m_outputs.clear();
  m_outputSelector->clear();
  m_followLatest = true;
  m_panes->clear();
}

PromptOutputs& PromptPanel::outputsFor(int modelIndex, const QString& scheme, int promptIndex) {
  const OutputKey key{modelIndex, scheme, promptIndex};
  auto found = m_outputs.find(key);
  if (found != m_outputs.end()) return found->second;

  PromptOutputs outputs;
  outputs.modelIndex = modelIndex;
  outputs.modelName = modelIndex < m_modelNames.size() ? m_modelNames[modelIndex]
                                                       : tr("model %1").arg(modelIndex + 1);
  outputs.scheme = scheme;
  outputs.promptIndex = promptIndex;
  outputs.prompt = promptIndex < m_runPrompts.size() ? m_runPrompts[promptIndex] : QString();
  auto& stored = m_outputs.emplace(key, outputs).first->second;

  QString shortPrompt = outputs.prompt;
  if (shortPrompt.size() > 60) shortPrompt = shortPrompt.left(57) + QStringLiteral("…");
  m_outputSelector->addItem(
      tr("%1 · INT8 %2 · prompt %3: %4").arg(outputs.modelName, scheme).arg(promptIndex + 1).arg(shortPrompt),
      QVariant::fromValue(QList<QVariant>{modelIndex, scheme, promptIndex}));
  if (m_followLatest) m_outputSelector->setCurrentIndex(m_outputSelector->count() - 1);
  return stored;
}

void PromptPanel::applyToken(const TokenGeneratedEvent& event) {
  assertGuiThread("PromptPanel::applyToken");
  // An FP32 token may carry the scheme of the INT8 copy it is compared with.
  // The GUI runs one scheme, so a plain FP32 tag maps to that scheme.
  QString scheme = QString::fromStdString(schemeName(event.scheme));
  if (event.scheme == QuantScheme::Fp32) scheme = m_scheme->currentText();
  PromptOutputs& outputs = outputsFor(event.modelIndex, scheme, event.promptIndex);
  GeneratedPiece piece{event.tokenId, QString::fromStdString(event.textPiece)};
  (event.copy == ModelCopy::Fp32 ? outputs.fp32 : outputs.int8).push_back(std::move(piece));
  m_outputsDirty = true;
}

void PromptPanel::applyPromptFinished(const PromptFinishedEvent& event) {
  assertGuiThread("PromptPanel::applyPromptFinished");
  const PromptResult& result = event.result;
  PromptOutputs& outputs = outputsFor(result.modelIndex,
                                      QString::fromStdString(schemeName(result.scheme)),
                                      result.promptIndex);
  if (outputs.prompt.isEmpty()) outputs.prompt = QString::fromStdString(result.prompt);
  // The final ids replace the streamed ones, and the streamed pieces keep their text.
  const auto syncIds = [](std::vector<GeneratedPiece>& pieces, const std::vector<std::int64_t>& ids) {
    if (pieces.size() != ids.size()) pieces.resize(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) pieces[i].id = ids[i];
  };
  syncIds(outputs.fp32, result.fp32Ids);
  syncIds(outputs.int8, result.int8Ids);
  outputs.finished = true;
  outputs.bleu = result.bleu;
  m_outputsDirty = true;
  refreshOutputs();
}

void PromptPanel::refreshOutputs() {
  if (!m_outputsDirty) return;
  m_outputsDirty = false;
  showSelectedOutput();
}

void PromptPanel::showSelectedOutput() {
  const QList<QVariant> key = m_outputSelector->currentData().toList();
  if (key.size() != 3) return;
  const auto found = m_outputs.find({key[0].toInt(), key[1].toString(), key[2].toInt()});
  if (found != m_outputs.end()) m_panes->showOutputs(found->second);
}

void PromptPanel::showReportOutputs(const std::vector<PromptOutputs>& outputs) {
  QStringList names;
  QStringList reportPrompts;
  for (const auto& output : outputs) {
    while (names.size() <= output.modelIndex) names << QString();
    names[output.modelIndex] = output.modelName;
    while (reportPrompts.size() <= output.promptIndex) reportPrompts << QString();
    reportPrompts[output.promptIndex] = output.prompt;
  }
  beginRun(names);
  m_runPrompts = reportPrompts;
  for (const auto& output : outputs) {
    PromptOutputs& stored = outputsFor(output.modelIndex, output.scheme, output.promptIndex);
    stored = output;
  }
  m_outputsDirty = true;
  refreshOutputs();
}

}  // namespace gpupoor::gui
