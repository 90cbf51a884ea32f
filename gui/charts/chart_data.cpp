#include "gui/charts/chart_data.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "core/common/errors.h"

namespace gpupoor::gui {

QString CopyMeasure::label() const {
  if (!isInt8()) return QStringLiteral("FP32");
  return QStringLiteral("INT8 %1").arg(scheme);
}

const CopyMeasure* ModelMeasures::copy(const QString& scheme) const {
  for (const auto& measure : copies) {
    if (measure.scheme == scheme) return &measure;
  }
  return nullptr;
}

CopyMeasure& ModelMeasures::copyFor(const QString& scheme) {
  for (auto& measure : copies) {
    if (measure.scheme == scheme) return measure;
  }
  CopyMeasure added;
  added.scheme = scheme;
  // FP32 stays first so every chart draws the baseline before the INT8 copies.
  if (!added.isInt8()) return *copies.insert(copies.begin(), added);
  copies.push_back(added);
  return copies.back();
}

QString ChartData::modelName(int modelIndex) const {
  if (modelIndex >= 0 && modelIndex < static_cast<int>(models.size()) &&
      !models[static_cast<std::size_t>(modelIndex)].name.isEmpty()) {
    return models[static_cast<std::size_t>(modelIndex)].name;
  }
  return QStringLiteral("model %1").arg(modelIndex + 1);
}

ModelMeasures& ChartData::modelAt(int modelIndex) {
  const auto index = static_cast<std::size_t>(std::max(modelIndex, 0));
  if (models.size() <= index) models.resize(index + 1);
  return models[index];
}

ThroughputSeries& ChartData::throughputFor(int modelIndex, const QString& scheme) {
  for (auto& series : throughput) {
    if (series.modelIndex == modelIndex && series.scheme == scheme) return series;
  }
  ThroughputSeries added;
  added.modelIndex = modelIndex;
  added.scheme = scheme;
  throughput.push_back(added);
  return throughput.back();
}

bool ChartData::isEmpty() const {
  return models.empty() && throughput.empty() && bleu.empty() && perplexity.empty();
}

namespace {

using nlohmann::json;

const json& requireField(const json& object, const char* key, const char* where) {
  if (!object.is_object() || !object.contains(key)) {
    throw InvalidArgument(std::string("report JSON: missing field '") + key + "' in " + where +
                          "; expected a document written by gpupoor (\"schema\": \"gpupoor-report\")");
  }
  return object.at(key);
}

double numberOr(const json& object, const char* key, double fallback) {
  if (!object.is_object()) return fallback;
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number()) return fallback;
  return found->get<double>();
}

std::int64_t integerOr(const json& object, const char* key, std::int64_t fallback) {
  if (!object.is_object()) return fallback;
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number()) return fallback;
  return found->get<std::int64_t>();
}

QString stringOr(const json& object, const char* key, const QString& fallback) {
  if (!object.is_object()) return fallback;
  const auto found = object.find(key);
  if (found == object.end() || !found->is_string()) return fallback;
  return QString::fromStdString(found->get<std::string>());
}

void readModels(const json& report, ChartData& data) {
  const json& models = requireField(report, "models", "the report");
  if (!models.is_array()) throw InvalidArgument("report JSON: 'models' is not an array");
  for (const auto& model : models) {
    ModelMeasures entry;
    entry.name = stringOr(model, "name", QString());
    entry.parameters = integerOr(model, "parameters", 0);
    const auto copies = model.find("copies");
    if (copies != model.end() && copies->is_array()) {
      for (const auto& copy : *copies) {
        CopyMeasure& measure = entry.copyFor(stringOr(copy, "scheme", QStringLiteral("fp32")));
        measure.weightBytes = integerOr(copy, "weight_bytes_total", 0);
        measure.rssLoadDeltaBytes = integerOr(copy, "rss_load_delta_bytes", 0);
      }
    }
    data.models.push_back(entry);
  }
}

// Adds one prompt's decode speed to the per-prompt series and to the running
// mean kept in the copy.
void addPromptSpeed(ChartData& data, int modelIndex, const QString& scheme, int promptIndex,
                    const json& speed, std::vector<std::pair<double, int>>& sums,
                    std::size_t sumIndex) {
  const double tokensPerSecond = numberOr(speed, "decode_tokens_per_second", 0.0);
  if (tokensPerSecond <= 0.0) return;
  ThroughputSeries& series = data.throughputFor(modelIndex, scheme);
  series.x.push_back(promptIndex + 1);
  series.tokensPerSecond.push_back(tokensPerSecond);
  sums[sumIndex].first += tokensPerSecond;
  sums[sumIndex].second += 1;
}

void readPrompts(const json& report, ChartData& data) {
  const auto prompts = report.find("prompts");
  if (prompts == report.end() || !prompts->is_array()) return;

  // Keyed by (model, scheme) in insertion order; small, so a linear search.
  std::vector<std::pair<int, QString>> keys;
  std::vector<std::pair<double, int>> sums;
  auto sumIndexFor = [&](int modelIndex, const QString& scheme) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].first == modelIndex && keys[i].second == scheme) return i;
    }
    keys.emplace_back(modelIndex, scheme);
    sums.emplace_back(0.0, 0);
    return keys.size() - 1;
  };

  for (const auto& prompt : *prompts) {
    const int modelIndex = static_cast<int>(integerOr(prompt, "model_index", 0));
    const int promptIndex = static_cast<int>(integerOr(prompt, "prompt_index", 0));
    const QString scheme = stringOr(prompt, "scheme", QStringLiteral("w8a32"));

    BleuEntry bleu;
    bleu.modelIndex = modelIndex;
    bleu.scheme = scheme;
    bleu.promptIndex = promptIndex;
    bleu.bleu = numberOr(prompt, "bleu", 0.0);
    data.bleu.push_back(bleu);

    const json empty = json::object();
    const json& fp32 = prompt.contains("fp32") ? prompt.at("fp32") : empty;
    const json& int8 = prompt.contains("int8") ? prompt.at("int8") : empty;
    const auto fp32Speed = fp32.find("speed");
    if (fp32Speed != fp32.end()) {
      // With several INT8 schemes the FP32 copy runs each prompt once per
      // scheme; its series only takes the first of them.
      const std::size_t fp32Sum = sumIndexFor(modelIndex, QStringLiteral("fp32"));
      const ThroughputSeries& fp32Series = data.throughputFor(modelIndex, QStringLiteral("fp32"));
      const bool seen = std::find(fp32Series.x.begin(), fp32Series.x.end(), promptIndex + 1) !=
                        fp32Series.x.end();
      if (!seen) {
        addPromptSpeed(data, modelIndex, QStringLiteral("fp32"), promptIndex, *fp32Speed, sums,
                       fp32Sum);
      }
    }
    const auto int8Speed = int8.find("speed");
    if (int8Speed != int8.end()) {
      addPromptSpeed(data, modelIndex, scheme, promptIndex, *int8Speed, sums,
                     sumIndexFor(modelIndex, scheme));
    }
  }

  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (sums[i].second == 0) continue;
    CopyMeasure& copy = data.modelAt(keys[i].first).copyFor(keys[i].second);
    copy.decodeTokensPerSecond = sums[i].first / sums[i].second;
    copy.decodeSamples = sums[i].second;
  }
  // Drop series that received no positive sample.
  std::erase_if(data.throughput, [](const ThroughputSeries& s) { return s.x.isEmpty(); });
}

void readPerplexity(const json& report, ChartData& data) {
  const auto results = report.find("perplexity");
  if (results == report.end() || !results->is_array()) return;
  for (const auto& result : *results) {
    PerplexityEntry entry;
    entry.modelIndex = static_cast<int>(integerOr(result, "model_index", 0));
    entry.scheme = stringOr(result, "scheme", QStringLiteral("w8a32"));
    const json empty = json::object();
    const json& fp32 = result.contains("fp32") ? result.at("fp32") : empty;
    const json& int8 = result.contains("int8") ? result.at("int8") : empty;
    const json& kld = result.contains("kld") ? result.at("kld") : empty;
    entry.fp32Perplexity = numberOr(fp32, "perplexity", 0.0);
    entry.int8Perplexity = numberOr(int8, "perplexity", 0.0);
    entry.tokensScored = integerOr(fp32, "tokens_scored", 0);
    entry.deltaPercent = numberOr(result, "delta_percent", 0.0);
    entry.meanKld = numberOr(kld, "mean", 0.0);
    entry.top1Agreement = numberOr(kld, "top1_agreement", 0.0);
    data.perplexity.push_back(entry);
  }
}

QString captionFor(const json& report) {
  const json empty = json::object();
  const json& environment = report.contains("environment") ? report.at("environment") : empty;
  const json& settings = report.contains("settings") ? report.at("settings") : empty;
  QStringList parts;
  const QString cpu = stringOr(environment, "cpu_model", QString());
  if (!cpu.isEmpty()) parts << cpu;
  auto threads = integerOr(environment, "threads_in_use", 0);
  if (threads <= 0) threads = integerOr(settings, "threads", 0);
  if (threads > 0) parts << QStringLiteral("%1 threads").arg(threads);
  const json& speed = settings.contains("speed") ? settings.at("speed") : empty;
  const QString speedMode = stringOr(speed, "mode", QString());
  if (!speedMode.isEmpty()) parts << QStringLiteral("speed mode %1").arg(speedMode);
  const QString started = stringOr(report, "started_at", QString());
  if (!started.isEmpty()) parts << started;
  return parts.join(QStringLiteral(" · "));
}

}  // namespace

ChartData chartDataFromReport(const json& report) {
  if (!report.is_object()) {
    throw InvalidArgument("report JSON: the document is not an object; expected a gpupoor report");
  }
  const QString schema = stringOr(report, "schema", QString());
  if (schema != QStringLiteral("gpupoor-report")) {
    throw InvalidArgument("report JSON: field 'schema' is '" + schema.toStdString() +
                          "', expected 'gpupoor-report'");
  }
  ChartData data;
  data.throughputAxis = ThroughputAxis::PromptNumber;
  readModels(report, data);
  readPrompts(report, data);
  readPerplexity(report, data);
  data.caption = captionFor(report);
  return data;
}

}  // namespace gpupoor::gui
