#include "gui/window/models_panel.h"

#include <spdlog/spdlog.h>

#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

#include "core/common/errors.h"
#include "core/common/resources.h"
#include "core/io/model_locator.h"
#include "gui/bridge/engine_bridge.h"
#include "gui/window/memory_guard.h"

namespace gpupoor::gui {

namespace {

enum ListColumn { kName, kParameters, kFp32Size, kInt8Size, kScheme, kStatus };
constexpr int kMaxRecentModels = 10;

QString formatParameters(long long parameters) {
  if (parameters <= 0) return QStringLiteral("?");
  return QStringLiteral("%1 M").arg(static_cast<double>(parameters) / 1e6, 0, 'f', 1);
}

ModelsPanel::Row rowFrom(const gpupoor::ModelEntry& entry) {
  ModelsPanel::Row row;
  row.name = QString::fromStdString(entry.name);
  row.dir = QString::fromStdString(entry.dir.string());
  row.source = QString::fromStdString(std::string(modelSourceName(entry.source)));
  row.parameters = entry.config.parameters;
  row.status = entry.hasTokenizer ? QObject::tr("not loaded") : QObject::tr("no tokenizer files");
  return row;
}

}  // namespace

ModelsPanel::ModelsPanel(QWidget* parent)
    : QWidget(parent), m_availableMemory(&availableMemoryBytes) {
  auto* addFolder = new QPushButton(tr("Add folder…"), this);
  addFolder->setToolTip(tr("Add a Hugging Face GPT-2 model folder: config.json, "
                           "model.safetensors or pytorch_model.bin, vocab.json, merges.txt"));
  connect(addFolder, &QPushButton::clicked, this, &ModelsPanel::chooseFolder);

  m_cacheButton = new QToolButton(this);
  m_cacheButton->setText(tr("Hugging Face cache"));
  m_cacheButton->setToolTip(tr("GPT-2 models already downloaded into the Hugging Face hub cache "
                               "($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)"));
  m_cacheButton->setPopupMode(QToolButton::InstantPopup);
  auto* cacheMenu = new QMenu(m_cacheButton);
  m_cacheButton->setMenu(cacheMenu);
  connect(cacheMenu, &QMenu::aboutToShow, this, &ModelsPanel::fillCacheMenu);

  auto* addDemo = new QPushButton(tr("Add demo"), this);
  addDemo->setToolTip(tr("The bundled gpt2-demo model (7.3 M parameters, trained for this app; "
                         "not GPT-2)"));
  connect(addDemo, &QPushButton::clicked, this, [this] {
    QString error;
    if (!addBundledModel(&error)) emit statusMessage(error);
  });

  m_list = new QTreeWidget(this);
  m_list->setObjectName(QStringLiteral("modelList"));
  m_list->setHeaderLabels({tr("Model"), tr("Parameters"), tr("FP32"), tr("INT8"), tr("Scheme"),
                           tr("Status")});
  m_list->headerItem()->setToolTip(kFp32Size, tr("Resident bytes of the FP32 copy's parameters"));
  m_list->headerItem()->setToolTip(kInt8Size, tr("Resident bytes of the INT8 copy's parameters, "
                                                 "scales and the tensors kept in FP32"));
  m_list->setRootIsDecorated(false);
  m_list->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_list->setToolTip(tr("Checked models take part in the next run"));
  connect(m_list, &QTreeWidget::currentItemChanged, this, [this] { showBreakdown(currentRow()); });
  connect(m_list, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem* item, int column) {
    if (column != kName) return;
    const int row = m_list->indexOfTopLevelItem(item);
    if (row >= 0 && row < static_cast<int>(m_rows.size())) {
      m_rows[static_cast<std::size_t>(row)].checked = item->checkState(kName) == Qt::Checked;
    }
  });

  m_loadButton = new QPushButton(tr("Load and quantize"), this);
  m_loadButton->setObjectName(QStringLiteral("loadModelButton"));
  m_loadButton->setToolTip(tr("Load the selected model in FP32 and INT8 on a worker thread to "
                              "measure its memory before a run. Runs load their own copies."));
  connect(m_loadButton, &QPushButton::clicked, this, [this] {
    QString error;
    if (!startLoad(currentRow(), &error)) emit statusMessage(error);
  });
  m_cancelButton = new QPushButton(tr("Cancel"), this);
  m_cancelButton->setEnabled(false);
  connect(m_cancelButton, &QPushButton::clicked, this, &ModelsPanel::cancelLoad);
  m_removeButton = new QPushButton(tr("Remove"), this);
  connect(m_removeButton, &QPushButton::clicked, this, [this] {
    const int row = currentRow();
    if (row < 0 || row == m_loadingRow || m_running) return;
    m_rows.erase(m_rows.begin() + row);
    delete m_list->takeTopLevelItem(row);
  });
  m_progress = new QProgressBar(this);
  m_progress->setObjectName(QStringLiteral("modelLoadProgress"));
  m_progress->setVisible(false);

  m_breakdown = new QTreeWidget(this);
  m_breakdown->setObjectName(QStringLiteral("memoryBreakdown"));
  m_breakdown->setHeaderLabels({tr("Component"), tr("FP32"), tr("INT8"), tr("INT8 / FP32")});
  m_breakdown->setRootIsDecorated(false);
  m_breakdown->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_breakdown->setToolTip(tr("Resident bytes per component of the selected model, before and "
                             "after quantization"));
  m_float32Note = new QLabel(this);
  m_float32Note->setWordWrap(true);
  m_float32Note->setTextFormat(Qt::PlainText);

  auto* addRowLayout = new QHBoxLayout;
  addRowLayout->addWidget(addFolder);
  addRowLayout->addWidget(m_cacheButton);
  addRowLayout->addWidget(addDemo);
  addRowLayout->addStretch();
  auto* loadRowLayout = new QHBoxLayout;
  loadRowLayout->addWidget(m_loadButton);
  loadRowLayout->addWidget(m_cancelButton);
  loadRowLayout->addWidget(m_removeButton);
  loadRowLayout->addStretch();

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(addRowLayout);
  layout->addWidget(m_list, 3);
  layout->addLayout(loadRowLayout);
  layout->addWidget(m_progress);
  layout->addWidget(new QLabel(tr("<b>Memory by component</b>"), this));
  layout->addWidget(m_breakdown, 2);
  layout->addWidget(m_float32Note);
}

ModelsPanel::~ModelsPanel() {
  // Cancel a running load and wait for it, so that its worker never calls
  // back into a destroyed panel.
  if (m_loadWatcher != nullptr && m_loadWatcher->isRunning()) {
    if (m_loadCancel) m_loadCancel->cancel();
    m_loadWatcher->waitForFinished();
  }
}

int ModelsPanel::currentRow() const {
  return m_list->currentItem() == nullptr ? -1 : m_list->indexOfTopLevelItem(m_list->currentItem());
}

bool ModelsPanel::addModel(const QString& dirOrId, QString* error) {
  try {
    const auto dir = resolveModelDir(dirOrId.toStdString());
    const QString canonical = QString::fromStdString(std::filesystem::weakly_canonical(dir).string());
    for (const Row& existing : m_rows) {
      if (QString::fromStdString(std::filesystem::weakly_canonical(existing.dir.toStdString()).string()) ==
          canonical) {
        return true;
      }
    }
    const auto source = std::filesystem::equivalent(dir, bundledModelDir()) ? ModelSource::Bundled
                                                                             : ModelSource::Folder;
    addRow(rowFrom(describeModel(dir, dir.filename().string(), source)));
    return true;
  } catch (const std::exception& failure) {
    if (error != nullptr) *error = QString::fromUtf8(failure.what());
    spdlog::warn("cannot add model '{}': {}", dirOrId.toStdString(), failure.what());
    return false;
  }
}

bool ModelsPanel::addBundledModel(QString* error) {
  try {
    const auto dir = bundledModelDir();
    if (!std::filesystem::is_directory(dir)) {
      if (error != nullptr) *error = tr("The bundled demo model is missing from %1.").arg(QString::fromStdString(dir.string()));
      return false;
    }
    return addModel(QString::fromStdString(dir.string()), error);
  } catch (const std::exception& failure) {
    if (error != nullptr) *error = QString::fromUtf8(failure.what());
    return false;
  }
}

void ModelsPanel::addRow(Row row) {
  auto* item = new QTreeWidgetItem(m_list);
  item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
  item->setCheckState(kName, row.checked ? Qt::Checked : Qt::Unchecked);
  item->setToolTip(kName, row.dir);
  m_rows.push_back(std::move(row));
  refreshRow(static_cast<int>(m_rows.size()) - 1);
  if (m_list->currentItem() == nullptr) m_list->setCurrentItem(item);
}

void ModelsPanel::refreshRow(int row) {
  if (row < 0 || row >= static_cast<int>(m_rows.size())) return;
  const Row& data = m_rows[static_cast<std::size_t>(row)];
  QTreeWidgetItem* item = m_list->topLevelItem(row);
  item->setText(kName, data.name);
  item->setText(kParameters, formatParameters(data.parameters));
  item->setText(kFp32Size, data.fp32 ? formatBytes(data.fp32->total()) : QStringLiteral("–"));
  item->setText(kInt8Size, data.int8 ? formatBytes(data.int8->total()) : QStringLiteral("–"));
  item->setText(kScheme, data.scheme.isEmpty() ? QStringLiteral("–") : data.scheme);
  item->setText(kStatus, data.status);
  for (int column : {kParameters, kFp32Size, kInt8Size}) {
    item->setTextAlignment(column, Qt::AlignRight | Qt::AlignVCenter);
  }
  if (row == currentRow()) showBreakdown(row);
}

void ModelsPanel::showBreakdown(int row) {
  m_breakdown->clear();
  m_float32Note->clear();
  if (row < 0 || row >= static_cast<int>(m_rows.size())) return;
  const Row& data = m_rows[static_cast<std::size_t>(row)];
  if (!data.fp32 && !data.int8) {
    m_float32Note->setText(tr("Load the model or run it to see its memory by component."));
    return;
  }
  const ComponentBytes fp32 = data.fp32.value_or(ComponentBytes{});
  const ComponentBytes int8 = data.int8.value_or(ComponentBytes{});
  const struct {
    QString label;
    std::int64_t fp32Bytes;
    std::int64_t int8Bytes;
    QString toolTip;
  } lines[] = {
      {tr("Transformer weights"), fp32.transformerWeights, int8.transformerWeights,
       tr("Attention (c_attn, c_proj) and MLP (c_fc, c_proj) matrices of every block")},
      {tr("Embeddings"), fp32.embeddings, int8.embeddings, tr("Token (wte) and position (wpe) tables")},
      {tr("LM head"), fp32.lmHead, int8.lmHead, tr("Separate output head; 0 when tied to wte")},
      {tr("Scales"), fp32.scales, int8.scales, tr("One FP32 scale per quantized row")},
      {tr("FP32 tensors"), fp32.float32, int8.float32, tr("LayerNorm parameters and biases")},
      {tr("Total"), fp32.total(), int8.total(), QString()},
  };
  for (const auto& line : lines) {
    auto* item = new QTreeWidgetItem(m_breakdown);
    item->setText(0, line.label);
    item->setText(1, data.fp32 ? formatBytes(line.fp32Bytes) : QStringLiteral("–"));
    item->setText(2, data.int8 ? formatBytes(line.int8Bytes) : QStringLiteral("–"));
    if (data.fp32 && data.int8 && line.fp32Bytes > 0) {
      item->setText(3, QStringLiteral("%1").arg(static_cast<double>(line.int8Bytes) / line.fp32Bytes, 0, 'f', 3));
    }
    item->setToolTip(0, line.toolTip);
    for (int column = 1; column <= 3; ++column) item->setTextAlignment(column, Qt::AlignRight | Qt::AlignVCenter);
  }
  if (!data.float32Tensors.isEmpty()) {
    m_float32Note->setText(tr("Kept in FP32 by the INT8 copy: %1").arg(data.float32Tensors.join(QStringLiteral(", "))));
  }
}

std::vector<int> ModelsPanel::checkedRows() const {
  std::vector<int> result;
  for (std::size_t i = 0; i < m_rows.size(); ++i) {
    if (m_rows[i].checked) result.push_back(static_cast<int>(i));
  }
  return result;
}

void ModelsPanel::setChecked(int row, bool checked) {
  if (row < 0 || row >= static_cast<int>(m_rows.size())) return;
  m_list->topLevelItem(row)->setCheckState(kName, checked ? Qt::Checked : Qt::Unchecked);
}

bool ModelsPanel::isLoading() const { return m_loadWatcher != nullptr && m_loadWatcher->isRunning(); }

bool ModelsPanel::startLoad(int row, QString* error) {
  assertGuiThread("ModelsPanel::startLoad");
  if (row < 0 || row >= static_cast<int>(m_rows.size())) {
    *error = tr("Select a model to load first.");
    return false;
  }
  if (isLoading() || m_running) {
    *error = tr("Wait for the current load or run to finish, or cancel it.");
    return false;
  }
  Row& data = m_rows[static_cast<std::size_t>(row)];
  const std::int64_t needed = estimateLoadBytes(data.parameters);
  if (const auto available = availableMemory()) {
    if (auto refusal = checkFits(data.name, needed, *available)) {
      *error = *refusal;
      data.status = tr("too large for free memory");
      refreshRow(row);
      return false;
    }
  }

  m_loadingRow = row;
  m_loadCancel = std::make_shared<CancelToken>();
  const quint64 job = ++m_loadJob;
  data.status = tr("loading FP32…");
  refreshRow(row);
  m_progress->setVisible(true);
  m_progress->setRange(0, 0);
  m_loadButton->setEnabled(false);
  m_cancelButton->setEnabled(true);

  if (m_loadWatcher == nullptr) {
    m_loadWatcher = new QFutureWatcher<ModelPairInfo>(this);
    connect(m_loadWatcher, &QFutureWatcher<ModelPairInfo>::finished, this, &ModelsPanel::onLoadDone);
  }
  QPointer<ModelsPanel> self(this);
  const auto onStep = [self, job, row](const LoadStep& step) {
    // Runs on the worker; the queued call lands on the GUI thread and is
    // dropped when the panel is gone or a newer load started.
    QMetaObject::invokeMethod(
        self.data(),
        [self, job, row, step] {
          if (self && self->m_loadJob == job) self->onLoadProgress(row, step);
        },
        Qt::QueuedConnection);
  };
  m_loadWatcher->setFuture(QtConcurrent::run(measureModelPair, data.dir, m_scheme, onStep,
                                             m_loadCancel.get()));
  return true;
}

void ModelsPanel::cancelLoad() {
  if (m_loadCancel) m_loadCancel->cancel();
  m_cancelButton->setEnabled(false);
}

void ModelsPanel::onLoadProgress(int row, const LoadStep& step) {
  assertGuiThread("ModelsPanel::onLoadProgress");
  if (row != m_loadingRow) return;
  m_progress->setRange(0, std::max(1, step.tensorCount));
  m_progress->setValue(step.tensorIndex);
  m_progress->setFormat(step.quantizing ? tr("quantizing %v/%m: %1").arg(step.tensorName)
                                        : tr("loading FP32 %v/%m: %1").arg(step.tensorName));
  Row& data = m_rows[static_cast<std::size_t>(row)];
  const QString status = step.quantizing ? tr("quantizing…") : tr("loading FP32…");
  if (data.status != status) {
    data.status = status;
    refreshRow(row);
  }
}

void ModelsPanel::onLoadDone() {
  assertGuiThread("ModelsPanel::onLoadDone");
  const int row = m_loadingRow;
  m_loadingRow = -1;
  m_progress->setVisible(false);
  m_loadButton->setEnabled(!m_running);
  m_cancelButton->setEnabled(false);
  if (row < 0 || row >= static_cast<int>(m_rows.size())) return;
  Row& data = m_rows[static_cast<std::size_t>(row)];

  QString message;
  bool ok = false;
  try {
    const ModelPairInfo info = m_loadWatcher->result();
    data.parameters = info.parameters;
    data.fp32 = info.fp32;
    data.int8 = info.int8;
    data.scheme = QString::fromStdString(schemeName(m_scheme));
    data.float32Tensors = info.float32Tensors;
    data.status = tr("measured (FP32 %1 s, INT8 %2 s)")
                      .arg(info.fp32LoadMs / 1000.0, 0, 'f', 1)
                      .arg(info.int8LoadMs / 1000.0, 0, 'f', 1);
    message = tr("%1: FP32 %2, INT8 %3 %4").arg(data.name, formatBytes(info.fp32.total()),
                                                 data.scheme, formatBytes(info.int8.total()));
    ok = true;
  } catch (const Cancelled&) {
    data.status = tr("load cancelled");
    message = tr("Loading %1 cancelled.").arg(data.name);
  } catch (const std::exception& failure) {
    data.status = tr("load failed");
    message = tr("Loading %1 failed: %2").arg(data.name, QString::fromUtf8(failure.what()));
    spdlog::error("loading {} failed: {}", data.dir.toStdString(), failure.what());
  }
  refreshRow(row);
  emit statusMessage(message);
  emit loadFinished(row, ok, message);
}

void ModelsPanel::applyModelLoaded(int row, const ModelLoadedEvent& event) {
  assertGuiThread("ModelsPanel::applyModelLoaded");
  if (row < 0 || row >= static_cast<int>(m_rows.size())) return;
  Row& data = m_rows[static_cast<std::size_t>(row)];
  if (event.parameters > 0) data.parameters = event.parameters;
  const ComponentBytes bytes = componentBytesFrom(event.copy);
  if (event.copy.copy == ModelCopy::Fp32) {
    data.fp32 = bytes;
    data.status = tr("FP32 loaded");
  } else {
    data.int8 = bytes;
    data.scheme = QString::fromStdString(schemeName(event.copy.scheme));
    data.status = tr("FP32 and INT8 loaded");
    data.float32Tensors = {tr("LayerNorm weights and biases (ln_1, ln_2, ln_f)"),
                           tr("biases of every linear layer")};
  }
  refreshRow(row);
}

void ModelsPanel::setRowStatus(int row, const QString& status) {
  if (row < 0 || row >= static_cast<int>(m_rows.size())) return;
  m_rows[static_cast<std::size_t>(row)].status = status;
  refreshRow(row);
}

void ModelsPanel::setRunning(bool running) {
  m_running = running;
  m_loadButton->setEnabled(!running && !isLoading());
  m_removeButton->setEnabled(!running);
}

void ModelsPanel::chooseFolder() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("GPT-2 model folder"));
  if (dir.isEmpty()) return;
  QString error;
  if (!addModel(dir, &error)) emit statusMessage(error);
}

void ModelsPanel::fillCacheMenu() {
  QMenu* menu = m_cacheButton->menu();
  menu->clear();
  std::vector<gpupoor::ModelEntry> entries;
  try {
    entries = listModels();
  } catch (const std::exception& failure) {
    menu->addAction(tr("Cannot list models: %1").arg(QString::fromUtf8(failure.what())))->setEnabled(false);
    return;
  }
  int added = 0;
  for (const auto& entry : entries) {
    if (entry.source != ModelSource::HfCache) continue;
    const QString dir = QString::fromStdString(entry.dir.string());
    const QString label = QStringLiteral("%1 (%2)").arg(QString::fromStdString(entry.name),
                                                         formatParameters(entry.config.parameters));
    menu->addAction(label, this, [this, entry] {
      for (const Row& existing : m_rows) {
        if (existing.dir == QString::fromStdString(entry.dir.string())) return;
      }
      Row row = rowFrom(entry);
      addRow(row);
    });
    ++added;
  }
  if (added == 0) {
    menu->addAction(tr("No GPT-2 models in %1").arg(QString::fromStdString(huggingFaceHubCacheDir().string())))
        ->setEnabled(false);
  }
}

void ModelsPanel::saveSettings(QSettings& settings) const {
  QStringList recent;
  QStringList unchecked;
  for (const Row& row : m_rows) {
    recent << row.dir;
    if (!row.checked) unchecked << row.dir;
  }
  while (recent.size() > kMaxRecentModels) recent.removeFirst();
  settings.setValue(QStringLiteral("models/recent"), recent);
  settings.setValue(QStringLiteral("models/unchecked"), unchecked);
}

void ModelsPanel::restoreSettings(const QSettings& settings) {
  const QStringList unchecked = settings.value(QStringLiteral("models/unchecked")).toStringList();
  for (const QString& dir : settings.value(QStringLiteral("models/recent")).toStringList()) {
    QString error;
    // A model folder deleted since the last session is skipped quietly.
    if (!QFileInfo(dir).isDir() || !addModel(dir, &error)) continue;
    if (unchecked.contains(dir)) setChecked(static_cast<int>(m_rows.size()) - 1, false);
  }
}

}  // namespace gpupoor::gui
