#pragma once

// Plain data behind every chart: built from a report JSON (saved sessions and
// `gpupoor compare --charts`) or filled event by event while a run goes. The
// charts only read it, so they can be tested with hand-made values.

#include <nlohmann/json_fwd.hpp>

#include <QString>
#include <QVector>

#include <cstdint>
#include <vector>

namespace gpupoor::gui {

// One loaded copy of a model: the FP32 baseline or one INT8 scheme.
struct CopyMeasure {
  QString scheme;                     // "fp32", "w8a32" or "w8a8"
  std::int64_t weightBytes = 0;       // resident parameter bytes of this copy
  std::int64_t rssLoadDeltaBytes = 0;  // process VmRSS growth while this copy loaded
  double decodeTokensPerSecond = 0.0; // mean over finished prompts; 0 when none finished
  int decodeSamples = 0;              // prompts in that mean

  bool isInt8() const { return scheme != QStringLiteral("fp32"); }
  // "FP32" or "INT8 w8a32".
  QString label() const;
};

struct ModelMeasures {
  QString name;
  long long parameters = 0;
  std::vector<CopyMeasure> copies;  // FP32 first when present

  const CopyMeasure* copy(const QString& scheme) const;
  CopyMeasure& copyFor(const QString& scheme);  // adds the copy when absent
};

// Decode tokens/s of one copy over time (live) or per prompt (from a report).
struct ThroughputSeries {
  int modelIndex = 0;
  QString scheme;
  QVector<double> x;
  QVector<double> tokensPerSecond;
};

struct BleuEntry {
  int modelIndex = 0;
  QString scheme;  // the INT8 copy compared with FP32
  int promptIndex = 0;
  double bleu = 0.0;  // NLTK sentence BLEU-4 in [0, 1]
};

struct PerplexityEntry {
  int modelIndex = 0;
  QString scheme;  // the INT8 copy compared with FP32
  double fp32Perplexity = 0.0;
  double int8Perplexity = 0.0;
  double deltaPercent = 0.0;  // 100 * (int8 - fp32) / fp32
  double meanKld = 0.0;       // nats
  double top1Agreement = 0.0; // fraction in [0, 1]
  std::int64_t tokensScored = 0;
};

enum class ThroughputAxis { ElapsedSeconds, PromptNumber };

struct ChartData {
  std::vector<ModelMeasures> models;
  std::vector<ThroughputSeries> throughput;
  ThroughputAxis throughputAxis = ThroughputAxis::ElapsedSeconds;
  std::vector<BleuEntry> bleu;
  std::vector<PerplexityEntry> perplexity;
  // One line under the dashboard title: machine, threads, speed mode.
  QString caption;

  // "gpt2-demo" or "model 3" when the index has no entry yet.
  QString modelName(int modelIndex) const;
  ModelMeasures& modelAt(int modelIndex);  // grows the list when needed
  ThroughputSeries& throughputFor(int modelIndex, const QString& scheme);
  bool isEmpty() const;
};

// Reads the charts' data from a "gpupoor-report" JSON document. Throws
// InvalidArgument naming the field when the document is not such a report.
ChartData chartDataFromReport(const nlohmann::json& report);

}  // namespace gpupoor::gui
