#pragma once

#include <string>
#include <string_view>

namespace gpupoor {

// Storage and arithmetic of a model copy's weights.
enum class QuantScheme {
  Fp32,   // baseline: FP32 weights, FP32 math (OpenBLAS)
  W8A32,  // INT8 weights widened inside the kernel, FP32 activations
  W8A8,   // INT8 weights, activations quantized per token row at run time
};

// "fp32", "w8a32", "w8a8".
std::string schemeName(QuantScheme scheme);
// Parses a scheme name; throws InvalidArgument listing the valid names.
QuantScheme parseScheme(std::string_view name);

}  // namespace gpupoor
