#include "gui/window/export_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>

namespace gpupoor::gui {

namespace {

QSpinBox* sideSpinBox(int value, QWidget* parent) {
  auto* box = new QSpinBox(parent);
  box->setRange(16, 8192);
  box->setSuffix(QObject::tr(" px"));
  box->setValue(value);
  return box;
}

}  // namespace

ExportDialog::ExportDialog(const QStringList& stems, const QStringList& titles,
                           const ExportRequest& defaults, QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(tr("Export charts"));

  m_folder = new QLineEdit(defaults.folder, this);
  auto* browse = new QPushButton(tr("Browse…"), this);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Export folder"), m_folder->text());
    if (!folder.isEmpty()) m_folder->setText(folder);
  });
  auto* folderRow = new QHBoxLayout;
  folderRow->addWidget(m_folder, 1);
  folderRow->addWidget(browse);

  m_charts = new QListWidget(this);
  for (int i = 0; i < stems.size(); ++i) {
    auto* item = new QListWidgetItem(titles.value(i, stems[i]), m_charts);
    item->setData(Qt::UserRole, stems[i]);
    item->setCheckState(defaults.stems.contains(stems[i]) ? Qt::Checked : Qt::Unchecked);
  }
  m_charts->setMaximumHeight(170);

  m_png = new QCheckBox(tr("PNG"), this);
  m_pdf = new QCheckBox(tr("PDF (vector)"), this);
  m_png->setChecked(defaults.png);
  m_pdf->setChecked(defaults.pdf);
  auto* formats = new QHBoxLayout;
  formats->addWidget(m_png);
  formats->addWidget(m_pdf);
  formats->addStretch();

  m_chartWidth = sideSpinBox(defaults.chartSize.width(), this);
  m_chartHeight = sideSpinBox(defaults.chartSize.height(), this);
  m_dashboardWidth = sideSpinBox(defaults.dashboardSize.width(), this);
  m_dashboardHeight = sideSpinBox(defaults.dashboardSize.height(), this);
  auto sizeRow = [this](QSpinBox* width, QSpinBox* height) {
    auto* row = new QHBoxLayout;
    row->addWidget(width);
    row->addWidget(new QLabel(QStringLiteral("×"), this));
    row->addWidget(height);
    row->addStretch();
    return row;
  };

  m_scale = new QComboBox(this);
  m_scale->addItem(tr("1× (exact size)"), 1.0);
  m_scale->addItem(tr("2× (high-DPI)"), 2.0);
  m_scale->setCurrentIndex(defaults.scale > 1.5 ? 1 : 0);
  m_scale->setToolTip(tr("PNG pixels = size × scale. PDF sizes are in points (1/72 inch) and "
                         "do not depend on the scale."));

  auto* form = new QFormLayout;
  form->addRow(tr("Folder"), folderRow);
  form->addRow(tr("Charts"), m_charts);
  form->addRow(tr("Formats"), formats);
  form->addRow(tr("Chart size"), sizeRow(m_chartWidth, m_chartHeight));
  form->addRow(tr("Dashboard size"), sizeRow(m_dashboardWidth, m_dashboardHeight));
  form->addRow(tr("PNG scale"), m_scale);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  form->addRow(buttons);
  setLayout(form);
}

ExportRequest ExportDialog::request() const {
  ExportRequest request;
  request.folder = m_folder->text().trimmed();
  for (int i = 0; i < m_charts->count(); ++i) {
    const QListWidgetItem* item = m_charts->item(i);
    if (item->checkState() == Qt::Checked) request.stems << item->data(Qt::UserRole).toString();
  }
  request.png = m_png->isChecked();
  request.pdf = m_pdf->isChecked();
  request.chartSize = QSize(m_chartWidth->value(), m_chartHeight->value());
  request.dashboardSize = QSize(m_dashboardWidth->value(), m_dashboardHeight->value());
  request.scale = m_scale->currentData().toDouble();
  return request;
}

}  // namespace gpupoor::gui
