#include "core/quant/int8_layers.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/common/errors.h"
#include "core/quant/int8_embedding.h"
#include "core/quant/int8_linear.h"

namespace gpupoor {
namespace {

std::string mebibytes(std::int64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace

Int8LayerFactory::Int8LayerFactory(QuantScheme scheme, int tensorCount)
    : m_scheme(scheme), m_tensorCount(tensorCount) {
  if (scheme == QuantScheme::Fp32) {
    throw InvalidArgument("Int8LayerFactory needs scheme w8a32 or w8a8, got fp32");
  }
}

std::unique_ptr<LinearLayer> Int8LayerFactory::makeLinear(const std::string& name,
                                                          at::Tensor weight, at::Tensor bias) {
  QuantizedMatrix quantized = quantizePerRow(weight, name + ".weight");
  logTensor(name + ".weight", weight, quantized.valueBytes() + quantized.scaleBytes());
  return std::make_unique<Int8Linear>(name, std::move(quantized), std::move(bias), m_scheme);
}

std::unique_ptr<EmbeddingTable> Int8LayerFactory::makeEmbedding(const std::string& name,
                                                                at::Tensor table) {
  QuantizedMatrix quantized = quantizePerRow(table, name + ".weight");
  logTensor(name + ".weight", table, quantized.valueBytes() + quantized.scaleBytes());
  return std::make_unique<Int8Embedding>(name, std::move(quantized), m_scheme);
}

void Int8LayerFactory::logTensor(const std::string& name, const at::Tensor& source,
                                 std::int64_t bytesOut) {
  ++m_tensorIndex;
  const std::int64_t bytesIn = source.numel() * static_cast<std::int64_t>(sizeof(float));
  m_float32BytesIn += bytesIn;
  m_quantizedBytesOut += bytesOut;
  const std::string position = m_tensorCount > 0
                                   ? fmt::format("{}/{}", m_tensorIndex, m_tensorCount)
                                   : fmt::format("{}", m_tensorIndex);
  spdlog::info("quantize [{}] {} [{}] {}: {} -> {}", position, name,
               fmt::join(source.sizes(), ", "), schemeName(m_scheme), mebibytes(bytesIn),
               mebibytes(bytesOut));
}

std::unique_ptr<LayerFactory> makeInt8LayerFactory(QuantScheme scheme, int tensorCount) {
  return std::make_unique<Int8LayerFactory>(scheme, tensorCount);
}

}  // namespace gpupoor
