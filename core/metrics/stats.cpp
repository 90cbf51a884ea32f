// Summary statistics over copies of the samples; inputs are never reordered.

#include "core/metrics/stats.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "core/common/errors.h"

namespace gpupoor {

double median(std::span<const double> values) { return values.empty() ? 0.0 : percentile(values, 50.0); }

double percentile(std::span<const double> values, double percent) {
  if (!(percent >= 0.0 && percent <= 100.0)) {
    throw InvalidArgument(fmt::format("invalid percentile {}: expected a value from 0 to 100", percent));
  }
  if (values.empty()) return 0.0;

  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  const double position = percent / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(position));
  const std::size_t upper = std::min(lower + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(lower);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
}

double mean(std::span<const double> values) {
  if (values.empty()) return 0.0;
  long double sum = 0.0L;
  for (double value : values) sum += value;
  return static_cast<double>(sum / static_cast<long double>(values.size()));
}

double standardErrorOfMean(std::span<const double> values) {
  if (values.size() < 2) return 0.0;
  const double average = mean(values);
  long double squares = 0.0L;
  for (double value : values) squares += (value - average) * (value - average);
  const auto count = static_cast<long double>(values.size());
  return static_cast<double>(std::sqrt(squares / (count - 1.0L) / count));
}

}  // namespace gpupoor
