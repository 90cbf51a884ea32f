#include "gui/charts/summary_chart.h"

#include <QLocale>

namespace gpupoor::gui {

namespace {

QString mib(std::int64_t bytes) { return QString::number(toMiB(bytes), 'f', 1) + " MiB"; }

double meanBleu(const ChartData& data, int modelIndex, const QString& scheme, int* count) {
  double sum = 0.0;
  *count = 0;
  for (const auto& entry : data.bleu) {
    if (entry.modelIndex != modelIndex || entry.scheme != scheme) continue;
    sum += entry.bleu;
    ++*count;
  }
  return *count > 0 ? sum / *count : 0.0;
}

}  // namespace

SummaryChart::SummaryChart(QWidget* parent) : Chart(tr("Summary"), "summary", parent) {
  setToolTip(tr("Headline numbers of the run. Mean BLEU is the plain mean of the per-prompt "
                "sentence BLEU values (the report also holds corpus BLEU)."));
  // Text only: a text element takes the axis rect's cell. QCustomPlot resets
  // xAxis and yAxis to null when their rect goes; this class never uses them.
  plotLayout()->remove(axisRect());
  m_body = new QCPTextElement(this, QString());
  m_body->setTextFlags(Qt::AlignLeft | Qt::AlignTop);
  plotLayout()->addElement(1, 0, m_body);
  plotLayout()->setRowStretchFactor(1, 1.0);
}

QString SummaryChart::summaryText(const ChartData& data) {
  QStringList lines;
  for (std::size_t i = 0; i < data.models.size(); ++i) {
    const int modelIndex = static_cast<int>(i);
    const ModelMeasures& model = data.models[i];
    QString heading = data.modelName(modelIndex);
    if (model.parameters > 0) {
      heading += QStringLiteral(" (%1 M parameters)")
                     .arg(QString::number(static_cast<double>(model.parameters) / 1e6, 'f', 1));
    }
    lines << heading;
    const CopyMeasure* fp32 = model.copy(QStringLiteral("fp32"));
    for (const auto& copy : model.copies) {
      if (!copy.isInt8()) continue;
      QStringList parts;
      if (fp32 != nullptr && fp32->weightBytes > 0 && copy.weightBytes > 0) {
        parts << QStringLiteral("weights %1 → %2").arg(mib(fp32->weightBytes), mib(copy.weightBytes));
      }
      if (fp32 != nullptr && fp32->decodeTokensPerSecond > 0 && copy.decodeTokensPerSecond > 0) {
        parts << QStringLiteral("decode %1 → %2 tokens/s (%3×)")
                     .arg(QString::number(fp32->decodeTokensPerSecond, 'f', 1),
                          QString::number(copy.decodeTokensPerSecond, 'f', 1),
                          QString::number(copy.decodeTokensPerSecond / fp32->decodeTokensPerSecond,
                                          'f', 2));
      }
      int prompts = 0;
      const double bleu = meanBleu(data, modelIndex, copy.scheme, &prompts);
      if (prompts > 0) {
        parts << QStringLiteral("mean BLEU %1 over %2 prompts")
                     .arg(QString::number(bleu, 'f', 3))
                     .arg(prompts);
      }
      for (const auto& result : data.perplexity) {
        if (result.modelIndex != modelIndex || result.scheme != copy.scheme) continue;
        parts << QStringLiteral("perplexity %1 → %2 (%3%4%), KLD %5, top-1 %6%")
                     .arg(QString::number(result.fp32Perplexity, 'f', 2),
                          QString::number(result.int8Perplexity, 'f', 2),
                          result.deltaPercent >= 0 ? QStringLiteral("+") : QString(),
                          QString::number(result.deltaPercent, 'f', 2),
                          QString::number(result.meanKld, 'g', 3),
                          QString::number(100.0 * result.top1Agreement, 'f', 1));
      }
      if (parts.isEmpty()) parts << QStringLiteral("no measurements yet");
      lines << QStringLiteral("  INT8 %1: ").arg(copy.scheme) + parts.join(QStringLiteral("\n    "));
    }
  }
  if (!data.caption.isEmpty()) lines << QString() << data.caption;
  return lines.join('\n');
}

bool SummaryChart::build(const ChartData& data, const ChartStyle& style) {
  const bool hasModels = !data.models.empty();
  m_body->setFont(style.font);
  m_body->setTextColor(hasModels ? style.foreground : style.mutedText);
  m_body->setText(hasModels ? summaryText(data) : emptyText());
  // The body replaces the placeholder item, which has no axis rect to sit in.
  return true;
}

}  // namespace gpupoor::gui
