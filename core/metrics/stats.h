#pragma once

// Small summary statistics for measured samples (timings, per-position
// divergences).

#include <span>

namespace gpupoor {

// Median of `values` (mean of the two middle values for an even count).
// Returns 0 for an empty span.
double median(std::span<const double> values);

// Linear-interpolation percentile, as numpy.percentile's default: `percent`
// in [0, 100]. Returns 0 for an empty span; throws InvalidArgument for a
// percent outside [0, 100].
double percentile(std::span<const double> values, double percent);

double mean(std::span<const double> values);

// Standard error of the mean, sqrt(sample variance / n), with the n - 1
// sample variance. Returns 0 for fewer than two values.
double standardErrorOfMean(std::span<const double> values);

}  // namespace gpupoor
