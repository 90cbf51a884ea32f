#pragma once

// Folds comparison-engine events into ChartData while a run goes. Each
// function returns the file stems of the charts whose data changed, so the
// caller can mark just those dirty.

#include <QStringList>

#include "core/engine/events.h"
#include "gui/charts/chart_data.h"

namespace gpupoor::gui {

QStringList applyModelLoaded(ChartData& data, const ModelLoadedEvent& event);
QStringList applyMetricSample(ChartData& data, const MetricSampleEvent& event);
QStringList applyPromptFinished(ChartData& data, const PromptFinishedEvent& event);
QStringList applyPerplexityFinished(ChartData& data, const PerplexityFinishedEvent& event);

// Entry for one perplexity comparison, shared with the report reader.
PerplexityEntry perplexityEntryFrom(const PerplexityComparison& result);

}  // namespace gpupoor::gui
