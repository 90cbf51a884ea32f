#pragma once

// Asks where and how to export charts: folder, which charts, PNG and/or PDF,
// logical size and PNG scale.

#include <QDialog>
#include <QSize>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QListWidget;
class QSpinBox;

namespace gpupoor::gui {

struct ExportRequest {
  QString folder;
  QStringList stems;  // chart file stems and/or "dashboard"
  bool png = true;
  bool pdf = true;
  QSize chartSize{1000, 620};
  QSize dashboardSize{1800, 1100};
  double scale = 1.0;
};

class ExportDialog : public QDialog {
  Q_OBJECT

 public:
  // `stems` and `titles` list the charts that can be exported, in order.
  ExportDialog(const QStringList& stems, const QStringList& titles, const ExportRequest& defaults,
               QWidget* parent = nullptr);

  ExportRequest request() const;

 private:
  QLineEdit* m_folder = nullptr;
  QListWidget* m_charts = nullptr;
  QCheckBox* m_png = nullptr;
  QCheckBox* m_pdf = nullptr;
  QSpinBox* m_chartWidth = nullptr;
  QSpinBox* m_chartHeight = nullptr;
  QSpinBox* m_dashboardWidth = nullptr;
  QSpinBox* m_dashboardHeight = nullptr;
  QComboBox* m_scale = nullptr;
};

}  // namespace gpupoor::gui
