#include "gui/charts/live_chart_data.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gpupoor::gui {

namespace {

QString schemeOf(ModelCopy copy, QuantScheme scheme) {
  if (copy == ModelCopy::Fp32) return QStringLiteral("fp32");
  return QString::fromStdString(schemeName(scheme));
}

// Running mean of decode speed over the prompts a copy finished.
void addDecodeSpeed(CopyMeasure& copy, double tokensPerSecond) {
  if (tokensPerSecond <= 0.0) return;
  const int count = copy.decodeSamples;
  copy.decodeTokensPerSecond = (copy.decodeTokensPerSecond * count + tokensPerSecond) / (count + 1);
  copy.decodeSamples = count + 1;
}

}  // namespace

QStringList applyModelLoaded(ChartData& data, const ModelLoadedEvent& event) {
  ModelMeasures& model = data.modelAt(event.modelIndex);
  model.name = QString::fromStdString(event.name);
  model.parameters = event.parameters;
  CopyMeasure& copy = model.copyFor(schemeOf(event.copy.copy, event.copy.scheme));
  copy.weightBytes = event.copy.weightBytesTotal;
  copy.rssLoadDeltaBytes = event.copy.rssLoadDeltaBytes();
  return {QStringLiteral("memory"), QStringLiteral("scaling"), QStringLiteral("summary")};
}

QStringList applyMetricSample(ChartData& data, const MetricSampleEvent& event) {
  if (event.decodeTokensPerSecond <= 0.0) return {};
  data.throughputAxis = ThroughputAxis::ElapsedSeconds;
  ThroughputSeries& series = data.throughputFor(event.modelIndex, schemeOf(event.copy, event.scheme));
  series.x.push_back(event.elapsedMs / 1000.0);
  series.tokensPerSecond.push_back(event.decodeTokensPerSecond);
  return {QStringLiteral("throughput")};
}

QStringList applyPromptFinished(ChartData& data, const PromptFinishedEvent& event) {
  const PromptResult& result = event.result;
  const QString scheme = QString::fromStdString(schemeName(result.scheme));

  BleuEntry bleu;
  bleu.modelIndex = result.modelIndex;
  bleu.scheme = scheme;
  bleu.promptIndex = result.promptIndex;
  bleu.bleu = result.bleu;
  // A prompt reported twice (never expected) replaces its earlier value.
  std::erase_if(data.bleu, [&](const BleuEntry& entry) {
    return entry.modelIndex == bleu.modelIndex && entry.scheme == bleu.scheme &&
           entry.promptIndex == bleu.promptIndex;
  });
  data.bleu.push_back(bleu);

  // A gap (NaN) after each prompt, so the line does not join the end of one
  // generation to the start of the next.
  for (const QString& copy : {QStringLiteral("fp32"), scheme}) {
    ThroughputSeries& series = data.throughputFor(result.modelIndex, copy);
    if (series.x.isEmpty() || std::isnan(series.tokensPerSecond.back())) continue;
    series.x.push_back(series.x.back());
    series.tokensPerSecond.push_back(std::numeric_limits<double>::quiet_NaN());
  }

  ModelMeasures& model = data.modelAt(result.modelIndex);
  addDecodeSpeed(model.copyFor(QStringLiteral("fp32")), result.fp32Speed.decodeTokensPerSecond);
  addDecodeSpeed(model.copyFor(scheme), result.int8Speed.decodeTokensPerSecond);
  return {QStringLiteral("bleu"), QStringLiteral("throughput"), QStringLiteral("scaling"),
          QStringLiteral("summary")};
}

PerplexityEntry perplexityEntryFrom(const PerplexityComparison& result) {
  PerplexityEntry entry;
  entry.modelIndex = result.modelIndex;
  entry.scheme = QString::fromStdString(schemeName(result.scheme));
  entry.fp32Perplexity = result.fp32.perplexity;
  entry.int8Perplexity = result.int8.perplexity;
  entry.deltaPercent = result.deltaPercent;
  entry.meanKld = result.kld.meanKld;
  entry.top1Agreement = result.kld.top1Agreement;
  entry.tokensScored = result.fp32.tokensScored;
  return entry;
}

QStringList applyPerplexityFinished(ChartData& data, const PerplexityFinishedEvent& event) {
  const PerplexityEntry entry = perplexityEntryFrom(event.result);
  std::erase_if(data.perplexity, [&](const PerplexityEntry& existing) {
    return existing.modelIndex == entry.modelIndex && existing.scheme == entry.scheme;
  });
  data.perplexity.push_back(entry);
  return {QStringLiteral("perplexity"), QStringLiteral("summary")};
}

}  // namespace gpupoor::gui
