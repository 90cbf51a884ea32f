#pragma once

// Loading one model in FP32 and INT8 to measure it before a run: the bytes of
// each component in both copies and the tensors the INT8 copy keeps in FP32.
// Runs on a worker thread; progress arrives through a callback on that thread.

#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>

#include "core/common/cancel.h"
#include "core/common/scheme.h"
#include "core/engine/report.h"

namespace gpupoor::gui {

// Resident bytes of one copy, split the way the models panel shows them.
struct ComponentBytes {
  std::int64_t transformerWeights = 0;  // matrices of attention and MLP in every block
  std::int64_t embeddings = 0;          // token and position tables
  std::int64_t lmHead = 0;              // separate output head; 0 when tied to wte
  std::int64_t scales = 0;              // quantization scales
  std::int64_t float32 = 0;             // LayerNorm parameters and biases

  std::int64_t total() const { return transformerWeights + embeddings + lmHead + scales + float32; }
};

// Splits the engine's per-component memory of one copy into ComponentBytes.
ComponentBytes componentBytesFrom(const CopyInfo& copy);

struct LoadStep {
  bool quantizing = false;  // false: FP32 copy, true: INT8 copy
  int tensorIndex = 0;      // 1-based
  int tensorCount = 0;
  QString tensorName;
};

struct ModelPairInfo {
  long long parameters = 0;
  ComponentBytes fp32;
  ComponentBytes int8;
  QStringList float32Tensors;  // tensor names the INT8 copy keeps in FP32
  double fp32LoadMs = 0.0;
  double int8LoadMs = 0.0;
};

// Loads `modelDir` once in FP32 and once quantized to `scheme`, frees both
// copies and returns their measurements. Throws the core's exceptions
// (InvalidCheckpoint, Cancelled, ...) unchanged.
ModelPairInfo measureModelPair(const QString& modelDir, QuantScheme scheme,
                               const std::function<void(const LoadStep&)>& onStep,
                               const CancelToken* cancel);

}  // namespace gpupoor::gui
