#include "gui/window/model_loading.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "core/engine/memory_components.h"
#include "core/model/model_loader.h"
#include "core/quant/layer_factory.h"

namespace gpupoor::gui {

namespace {

ComponentBytes componentBytesFrom(const std::vector<ComponentMemory>& components) {
  ComponentBytes bytes;
  for (const ComponentMemory& component : components) {
    const MemoryFootprint& footprint = component.footprint;
    if (component.component == "attention" || component.component == "mlp") {
      bytes.transformerWeights += footprint.weightBytes;
    } else if (component.component == "embeddings") {
      bytes.embeddings += footprint.weightBytes;
    } else if (component.component == "lm_head") {
      bytes.lmHead += footprint.weightBytes;
    } else {
      // layer_norm and anything added later: plain FP32 parameters.
      bytes.float32 += footprint.weightBytes;
    }
    bytes.scales += footprint.scaleBytes;
    bytes.float32 += footprint.float32Bytes;
  }
  return bytes;
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Names the tensors of an INT8 copy that are not INT8: LayerNorms and biases
// always, plus any table or linear layer the factory left in FP32.
QStringList float32TensorsOf(const Gpt2Weights& weights) {
  QStringList names;
  if (weights.tokenEmbedding && weights.tokenEmbedding->scheme() == "fp32") names << QStringLiteral("wte");
  if (weights.positionEmbedding && weights.positionEmbedding->scheme() == "fp32") names << QStringLiteral("wpe");
  if (weights.lmHead && weights.lmHead->scheme() == "fp32") names << QStringLiteral("lm_head");
  for (std::size_t i = 0; i < weights.blocks.size(); ++i) {
    const Gpt2BlockWeights& block = weights.blocks[i];
    const std::pair<const char*, const LinearLayer*> linears[] = {
        {"attn.c_attn", block.attnQkv.get()},
        {"attn.c_proj", block.attnProj.get()},
        {"mlp.c_fc", block.mlpFc.get()},
        {"mlp.c_proj", block.mlpProj.get()}};
    for (const auto& [name, layer] : linears) {
      if (layer != nullptr && layer->scheme() == "fp32") names << QStringLiteral("h.%1.%2").arg(i).arg(name);
    }
  }
  names << QObject::tr("LayerNorm weights and biases (ln_1, ln_2, ln_f)")
        << QObject::tr("biases of every linear layer");
  return names;
}

}  // namespace

ComponentBytes componentBytesFrom(const CopyInfo& copy) { return componentBytesFrom(copy.components); }

ModelPairInfo measureModelPair(const QString& modelDir, QuantScheme scheme,
                               const std::function<void(const LoadStep&)>& onStep,
                               const CancelToken* cancel) {
  const std::filesystem::path dir = modelDir.toStdString();
  ModelPairInfo info;

  // FP32 copy: measured and freed before the INT8 copy loads, so the peak is
  // one copy plus one tensor.
  {
    LoadOptions options;
    options.cancel = cancel;
    options.onProgress = [&onStep](const LoadProgress& progress) {
      if (onStep) onStep({false, progress.index, progress.total, QString::fromStdString(progress.name)});
    };
    const auto start = std::chrono::steady_clock::now();
    const auto model = loadGpt2Model(dir, options);
    info.fp32LoadMs = millisecondsSince(start);
    info.parameters = model->config().parameterCount();
    info.fp32 = componentBytesFrom(componentMemory(model->weights()));
  }

  {
    const auto factory = makeLayerFactory(scheme);
    LoadOptions options;
    options.factory = factory.get();
    options.cancel = cancel;
    options.onProgress = [&onStep](const LoadProgress& progress) {
      if (onStep) onStep({true, progress.index, progress.total, QString::fromStdString(progress.name)});
    };
    const auto start = std::chrono::steady_clock::now();
    const auto model = loadGpt2Model(dir, options);
    info.int8LoadMs = millisecondsSince(start);
    info.int8 = componentBytesFrom(componentMemory(model->weights()));
    info.float32Tensors = float32TensorsOf(model->weights());
  }
  spdlog::info("measured {}: FP32 {} bytes, INT8 {} {} bytes", dir.string(), info.fp32.total(),
               schemeName(scheme), info.int8.total());
  return info;
}

}  // namespace gpupoor::gui
