#pragma once

// One entry point for building a model copy's layers from a scheme name:
// FP32 layers for the baseline, INT8 layers (quantized while loading)
// otherwise.

#include <memory>

#include "core/common/scheme.h"
#include "core/model/gpt2_weights.h"

namespace gpupoor {

// Returns makeFp32LayerFactory() for Fp32 and makeInt8LayerFactory(scheme,
// tensorCount) for W8A32 and W8A8. tensorCount (> 0) is only used as the
// total in the INT8 factory's per-tensor log lines.
std::unique_ptr<LayerFactory> makeLayerFactory(QuantScheme scheme, int tensorCount = 0);

}  // namespace gpupoor
