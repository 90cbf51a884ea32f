#include "core/quant/quantized_checkpoint.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <map>
#include <system_error>
#include <vector>

#include "core/common/errors.h"
#include "core/io/safetensors_writer.h"
#include "core/io/tensor_source.h"
#include "core/quant/int8_embedding.h"
#include "core/quant/int8_linear.h"

namespace gpupoor {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWeightsFile = "model.safetensors";
constexpr const char* kFormatKey = "gpupoor.format";
constexpr const char* kVersionKey = "gpupoor.format_version";
constexpr const char* kSchemeKey = "gpupoor.scheme";
constexpr const char* kSourceKey = "gpupoor.source";

// Files besides the weights that a model folder needs to be used on its own.
const std::vector<std::string> kCopiedFiles = {"config.json",
                                               "vocab.json",
                                               "merges.txt",
                                               "tokenizer.json",
                                               "tokenizer_config.json",
                                               "special_tokens_map.json",
                                               "generation_config.json",
                                               "added_tokens.json"};

// Collects the tensors of one model copy under their file names.
class TensorCollector {
 public:
  void addLinear(const std::string& name, const LinearLayer* layer) {
    const auto* int8 = dynamic_cast<const Int8Linear*>(layer);
    if (int8 == nullptr) {
      throw InvalidArgument(
          fmt::format("cannot save layer '{}' as INT8: it is {} (quantize the model before saving)",
                      name, layer == nullptr ? std::string("missing") : layer->scheme()));
    }
    noteScheme(name, int8->quantScheme());
    addMatrix(name, int8->weight());
    if (int8->bias().defined()) m_tensors[name + ".bias"] = int8->bias();
  }

  void addEmbedding(const std::string& name, const EmbeddingTable* table) {
    const auto* int8 = dynamic_cast<const Int8Embedding*>(table);
    if (int8 == nullptr) {
      throw InvalidArgument(
          fmt::format("cannot save table '{}' as INT8: it is {} (quantize the model before saving)",
                      name, table == nullptr ? std::string("missing") : table->scheme()));
    }
    noteScheme(name, int8->quantScheme());
    addMatrix(name, int8->table());
  }

  void addFloat(const std::string& name, const at::Tensor& tensor) { m_tensors[name] = tensor; }

  const std::map<std::string, at::Tensor>& tensors() const { return m_tensors; }
  QuantScheme scheme() const { return m_scheme.value_or(QuantScheme::W8A32); }

 private:
  void addMatrix(const std::string& name, const QuantizedMatrix& matrix) {
    m_tensors[name + ".weight"] = matrix.values;
    m_tensors[name + ".weight_scale"] = matrix.scales;
  }

  void noteScheme(const std::string& name, QuantScheme scheme) {
    if (m_scheme.has_value() && *m_scheme != scheme) {
      throw InvalidArgument(
          fmt::format("cannot save a model with mixed schemes: '{}' is {}, "
                      "earlier layers are {}",
                      name, schemeName(scheme), schemeName(*m_scheme)));
    }
    m_scheme = scheme;
  }

  std::map<std::string, at::Tensor> m_tensors;
  std::optional<QuantScheme> m_scheme;
};

std::string blockName(int layer, const char* suffix) {
  return fmt::format("h.{}.{}", layer, suffix);
}

std::string shapeText(at::IntArrayRef shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// Reads stored tensors back and checks them against config.json.
class TensorLoader {
 public:
  TensorLoader(const TensorSource& source, fs::path dir)
      : m_source(source), m_dir(std::move(dir)) {}

  QuantizedMatrix matrix(const std::string& name, std::int64_t rows, std::int64_t cols) const {
    QuantizedMatrix result =
        quantizedMatrixFromTensors(load(name + ".weight"), load(name + ".weight_scale"), name);
    if (result.rows() != rows || result.cols() != cols) {
      throw InvalidCheckpoint(fmt::format(
          "{}: '{}.weight' has shape {}, but config.json implies [{}, {}]; the folder mixes "
          "files of different models",
          (m_dir / kWeightsFile).string(), name, shapeText(result.values.sizes()), rows, cols));
    }
    return result;
  }

  at::Tensor float32(const std::string& name, std::int64_t size) const {
    at::Tensor tensor = load(name);
    if (tensor.scalar_type() != at::kFloat || tensor.dim() != 1 || tensor.size(0) != size) {
      throw InvalidCheckpoint(
          fmt::format("{}: '{}' should be F32 [{}], found {} {}", (m_dir / kWeightsFile).string(),
                      name, size, c10::toString(tensor.scalar_type()), shapeText(tensor.sizes())));
    }
    return tensor;
  }

 private:
  at::Tensor load(const std::string& name) const {
    if (!m_source.contains(name)) {
      throw InvalidCheckpoint(fmt::format("{}: tensor '{}' is missing; re-run gpupoor quantize",
                                          (m_dir / kWeightsFile).string(), name));
    }
    at::Tensor tensor = m_source.load(name);
    m_source.release(name);
    return tensor;
  }

  const TensorSource& m_source;
  fs::path m_dir;
};

void copyModelFiles(const fs::path& sourceDir, const fs::path& outDir) {
  if (!fs::exists(sourceDir / "config.json")) {
    throw InvalidCheckpoint(fmt::format("{}: config.json is missing; the quantized model needs it",
                                        sourceDir.string()));
  }
  for (const std::string& file : kCopiedFiles) {
    if (!fs::exists(sourceDir / file)) continue;
    std::error_code error;
    fs::copy_file(sourceDir / file, outDir / file, fs::copy_options::overwrite_existing, error);
    if (error) {
      throw Error(fmt::format("failed to copy {} to {}: {}", (sourceDir / file).string(),
                              outDir.string(), error.message()));
    }
  }
}

}  // namespace

void prepareQuantizedOutputDir(const fs::path& sourceDir, const fs::path& outDir) {
  std::error_code error;
  if (fs::exists(outDir) && fs::equivalent(sourceDir, outDir, error)) {
    throw InvalidArgument(fmt::format(
        "the output folder {} is the source folder; choose a new folder for the quantized model",
        outDir.string()));
  }
  if (fs::exists(outDir, error) && !fs::is_directory(outDir, error)) {
    throw InvalidArgument(fmt::format(
        "the output path {} exists and is not a folder; choose a folder for the quantized model",
        outDir.string()));
  }
  fs::create_directories(outDir, error);
  if (error) {
    throw InvalidArgument(fmt::format("cannot create the output folder {}: {}; choose a writable "
                                      "location for the quantized model",
                                      outDir.string(), error.message()));
  }
  if (access(outDir.c_str(), W_OK) != 0) {
    throw InvalidArgument(fmt::format(
        "the output folder {} is not writable; choose a writable location for the quantized model",
        outDir.string()));
  }
}

void saveQuantizedModel(const Gpt2Model& model, const fs::path& sourceDir, const fs::path& outDir) {
  prepareQuantizedOutputDir(sourceDir, outDir);
  const Gpt2Weights& weights = model.weights();
  TensorCollector collector;
  collector.addEmbedding("wte", weights.tokenEmbedding.get());
  collector.addEmbedding("wpe", weights.positionEmbedding.get());
  for (std::size_t i = 0; i < weights.blocks.size(); ++i) {
    const int layer = static_cast<int>(i);
    const Gpt2BlockWeights& block = weights.blocks[i];
    collector.addFloat(blockName(layer, "ln_1.weight"), block.ln1Weight);
    collector.addFloat(blockName(layer, "ln_1.bias"), block.ln1Bias);
    collector.addLinear(blockName(layer, "attn.c_attn"), block.attnQkv.get());
    collector.addLinear(blockName(layer, "attn.c_proj"), block.attnProj.get());
    collector.addFloat(blockName(layer, "ln_2.weight"), block.ln2Weight);
    collector.addFloat(blockName(layer, "ln_2.bias"), block.ln2Bias);
    collector.addLinear(blockName(layer, "mlp.c_fc"), block.mlpFc.get());
    collector.addLinear(blockName(layer, "mlp.c_proj"), block.mlpProj.get());
  }
  collector.addFloat("ln_f.weight", weights.lnFWeight);
  collector.addFloat("ln_f.bias", weights.lnFBias);
  if (weights.lmHead) collector.addEmbedding("lm_head", weights.lmHead.get());

  copyModelFiles(sourceDir, outDir);
  const std::map<std::string, std::string> metadata = {
      {kFormatKey, kQuantizedFormatName},
      {kVersionKey, kQuantizedFormatVersion},
      {kSchemeKey, schemeName(collector.scheme())},
      {kSourceKey, fs::absolute(sourceDir).lexically_normal().string()}};
  writeSafetensors(outDir / kWeightsFile, collector.tensors(), metadata);
  spdlog::info("saved {} model ({} tensors) to {}", schemeName(collector.scheme()),
               collector.tensors().size(), (outDir / kWeightsFile).string());
}

bool isQuantizedCheckpoint(const fs::path& modelDir) {
  try {
    if (!fs::exists(modelDir / kWeightsFile)) return false;
    return openCheckpoint(modelDir)->metadata().count(kFormatKey) > 0;
  } catch (const std::exception& error) {
    spdlog::debug("{} is not a quantized checkpoint: {}", modelDir.string(), error.what());
    return false;
  }
}

std::unique_ptr<Gpt2Model> loadQuantizedModel(const fs::path& modelDir,
                                              std::optional<QuantScheme> scheme) {
  const Gpt2Config config = Gpt2Config::fromFile(modelDir / "config.json");
  const std::unique_ptr<TensorSource> source = openCheckpoint(modelDir);
  const std::map<std::string, std::string> metadata = source->metadata();
  const auto field = [&](const char* key) {
    const auto it = metadata.find(key);
    return it == metadata.end() ? std::string() : it->second;
  };
  const std::string weightsPath = (modelDir / kWeightsFile).string();
  if (field(kFormatKey) != kQuantizedFormatName) {
    throw InvalidCheckpoint(fmt::format(
        "{}: {} is '{}', expected '{}'; load FP32 checkpoints with the normal model loader",
        weightsPath, kFormatKey, field(kFormatKey), kQuantizedFormatName));
  }
  if (field(kVersionKey) != kQuantizedFormatVersion) {
    throw InvalidCheckpoint(
        fmt::format("{}: {} is '{}', this build reads version {}; re-run gpupoor quantize",
                    weightsPath, kVersionKey, field(kVersionKey), kQuantizedFormatVersion));
  }
  QuantScheme storedScheme = QuantScheme::W8A32;
  try {
    storedScheme = parseScheme(field(kSchemeKey));
  } catch (const InvalidArgument& error) {
    throw InvalidCheckpoint(fmt::format("{}: {}", weightsPath, error.what()));
  }
  if (storedScheme == QuantScheme::Fp32) {
    throw InvalidCheckpoint(
        fmt::format("{}: {} is fp32, expected w8a32 or w8a8", weightsPath, kSchemeKey));
  }
  const QuantScheme activeScheme = scheme.value_or(storedScheme);

  const TensorLoader loader(*source, modelDir);
  const std::int64_t width = config.nEmbd;
  Gpt2Weights weights;
  weights.tokenEmbedding = std::make_unique<Int8Embedding>(
      "wte", loader.matrix("wte", config.vocabSize, width), activeScheme);
  weights.positionEmbedding = std::make_unique<Int8Embedding>(
      "wpe", loader.matrix("wpe", config.nPositions, width), activeScheme);
  for (int layer = 0; layer < config.nLayer; ++layer) {
    Gpt2BlockWeights block;
    const auto linear = [&](const char* suffix, std::int64_t out, std::int64_t in) {
      const std::string name = blockName(layer, suffix);
      return std::make_unique<Int8Linear>(name, loader.matrix(name, out, in),
                                          loader.float32(name + ".bias", out), activeScheme);
    };
    block.ln1Weight = loader.float32(blockName(layer, "ln_1.weight"), width);
    block.ln1Bias = loader.float32(blockName(layer, "ln_1.bias"), width);
    block.attnQkv = linear("attn.c_attn", 3 * width, width);
    block.attnProj = linear("attn.c_proj", width, width);
    block.ln2Weight = loader.float32(blockName(layer, "ln_2.weight"), width);
    block.ln2Bias = loader.float32(blockName(layer, "ln_2.bias"), width);
    block.mlpFc = linear("mlp.c_fc", config.nInner, width);
    block.mlpProj = linear("mlp.c_proj", width, config.nInner);
    weights.blocks.push_back(std::move(block));
  }
  weights.lnFWeight = loader.float32("ln_f.weight", width);
  weights.lnFBias = loader.float32("ln_f.bias", width);
  if (source->contains("lm_head.weight")) {
    weights.lmHead = std::make_unique<Int8Embedding>(
        "lm_head", loader.matrix("lm_head", config.vocabSize, width), activeScheme);
  }
  spdlog::info("loaded {} model from {} (stored as {}, source {})", schemeName(activeScheme),
               weightsPath, schemeName(storedScheme), field(kSourceKey));
  return std::make_unique<Gpt2Model>(config, std::move(weights));
}

}  // namespace gpupoor
