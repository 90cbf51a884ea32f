#pragma once

// The layer factory that quantizes each FP32 tensor as the loader hands it
// over, so the FP32 model never exists in full: Int8Linear for every linear
// weight, Int8Embedding for wte, wpe and an untied lm_head. Biases and
// LayerNorms stay FP32.

#include <cstdint>
#include <memory>
#include <string>

#include "core/common/scheme.h"
#include "core/model/gpt2_weights.h"

namespace gpupoor {

class Int8LayerFactory : public LayerFactory {
 public:
  // scheme: W8A32 or W8A8 (throws InvalidArgument for Fp32). tensorCount,
  // when > 0, is the number of tensors the loader will pass, shown as the
  // total in the per-tensor log lines.
  explicit Int8LayerFactory(QuantScheme scheme, int tensorCount = 0);

  std::unique_ptr<LinearLayer> makeLinear(const std::string& name, at::Tensor weight,
                                          at::Tensor bias) override;
  std::unique_ptr<EmbeddingTable> makeEmbedding(const std::string& name, at::Tensor table) override;
  std::string scheme() const override { return schemeName(m_scheme); }

  // Totals over the tensors quantized so far: FP32 weight bytes in, and
  // int8 value + scale bytes out.
  std::int64_t float32BytesIn() const { return m_float32BytesIn; }
  std::int64_t quantizedBytesOut() const { return m_quantizedBytesOut; }
  int tensorsQuantized() const { return m_tensorIndex; }

 private:
  void logTensor(const std::string& name, const at::Tensor& source, std::int64_t bytesOut);

  QuantScheme m_scheme;
  int m_tensorCount;
  int m_tensorIndex = 0;
  std::int64_t m_float32BytesIn = 0;
  std::int64_t m_quantizedBytesOut = 0;
};

// Returns an Int8LayerFactory for W8A32 or W8A8.
std::unique_ptr<LayerFactory> makeInt8LayerFactory(QuantScheme scheme, int tensorCount = 0);

}  // namespace gpupoor
