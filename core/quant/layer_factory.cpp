#include "core/quant/layer_factory.h"

#include "core/model/fp32_layers.h"
#include "core/quant/int8_layers.h"

namespace gpupoor {

std::unique_ptr<LayerFactory> makeLayerFactory(QuantScheme scheme, int tensorCount) {
  if (scheme == QuantScheme::Fp32) return makeFp32LayerFactory();
  return makeInt8LayerFactory(scheme, tensorCount);
}

}  // namespace gpupoor
