// Checkpoint -> Gpt2Model. Every tensor is checked against the config before
// any is read. Then each tensor is read, converted to float32, handed to the
// LayerFactory and dropped, and its file pages are released.

#include "core/model/model_loader.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "core/common/errors.h"
#include "core/model/fp32_layers.h"

namespace gpupoor {

namespace {

constexpr std::string_view kPrefix = "transformer.";
// How many unused tensor names the warning lists before it stops.
constexpr std::size_t kMaxListedUnusedTensors = 8;

std::int64_t float32Bytes(const at::Tensor& tensor) {
  return tensor.numel() * static_cast<std::int64_t>(sizeof(float));
}

// True for h.N.attn.bias and h.N.attn.masked_bias: causal-mask buffers that
// older checkpoints store and the forward pass rebuilds itself.
bool isMaskBuffer(std::string_view name) {
  if (name.starts_with(kPrefix)) name.remove_prefix(kPrefix.size());
  if (!name.starts_with("h.")) return false;
  name.remove_prefix(2);
  std::size_t digits = 0;
  while (digits < name.size() && name[digits] >= '0' && name[digits] <= '9') ++digits;
  if (digits == 0) return false;
  name.remove_prefix(digits);
  return name == ".attn.bias" || name == ".attn.masked_bias";
}

// Reads the tensors of one checkpoint by canonical name ("h.0.ln_1.weight"),
// whether or not the file prefixes them with "transformer.".
class CheckpointReader {
 public:
  CheckpointReader(const Gpt2Config& config, const TensorSource& source)
      : m_config(config), m_source(source) {}

  // Checks presence, dtype and shape of `canonical` and remembers it as used.
  void expect(const std::string& canonical, std::vector<std::int64_t> shape) {
    const TensorInfo& info = resolve(canonical);
    if (info.dtype != DType::F32 && info.dtype != DType::F16 && info.dtype != DType::BF16) {
      throw InvalidCheckpoint(fmt::format(
          "{}: tensor '{}' has dtype {}, but GPT-2 weights must be F32, F16 or BF16; convert the "
          "checkpoint to one of those",
          m_source.description(), info.name, dtypeName(info.dtype)));
    }
    if (info.shape != shape) {
      throw InvalidCheckpoint(fmt::format(
          "{}: tensor '{}' has shape [{}], expected [{}] from the config (vocab_size {}, "
          "n_positions {}, n_embd {}, n_inner {}); the weights and config.json do not belong "
          "together",
          m_source.description(), info.name, fmt::join(info.shape, ", "), fmt::join(shape, ", "),
          m_config.vocabSize, m_config.nPositions, m_config.nEmbd, m_config.nInner));
    }
    m_used.insert(info.name);
    m_storedDtypes.insert(std::string(dtypeName(info.dtype)));
  }

  // Reads `canonical` as float32 and releases its file pages.
  at::Tensor loadFloat32(const std::string& canonical) const {
    const TensorInfo& info = resolve(canonical);
    at::Tensor tensor = m_source.loadFloat32(info.name);
    m_source.release(info.name);
    return tensor;
  }

  const TensorInfo& resolve(const std::string& canonical) const {
    const std::string prefixed = std::string(kPrefix) + canonical;
    if (m_source.contains(prefixed)) return m_source.info(prefixed);
    if (m_source.contains(canonical)) return m_source.info(canonical);
    throw InvalidCheckpoint(fmt::format(
        "{}: tensor '{}' (or '{}') is missing; the checkpoint is incomplete or not a GPT-2 model",
        m_source.description(), canonical, prefixed));
  }

  // Logs a warning for tensors that are neither used nor mask buffers.
  void warnAboutUnusedTensors() const {
    std::vector<std::string> unused;
    for (const auto& info : m_source.tensors()) {
      if (!m_used.contains(info.name) && !isMaskBuffer(info.name)) unused.push_back(info.name);
    }
    if (unused.empty()) return;
    const std::size_t listed = std::min(unused.size(), kMaxListedUnusedTensors);
    spdlog::warn(
        "{}: ignoring {} tensor(s) that a GPT-2 model does not use: {}{}", m_source.description(),
        unused.size(),
        fmt::join(unused.begin(), unused.begin() + static_cast<std::ptrdiff_t>(listed), ", "),
        unused.size() > listed ? ", ..." : "");
  }

  std::string storedDtypes() const { return fmt::format("{}", fmt::join(m_storedDtypes, "+")); }

 private:
  const Gpt2Config& m_config;
  const TensorSource& m_source;
  std::set<std::string> m_used;
  std::set<std::string> m_storedDtypes;
};

class ModelBuilder {
 public:
  ModelBuilder(CheckpointReader& reader, LayerFactory& factory, const LoadOptions& options,
               int total)
      : m_reader(reader), m_factory(factory), m_options(options), m_total(total) {}

  // A Conv1D layer: weight stored [in, out], handed to the factory as [out, in].
  std::unique_ptr<LinearLayer> linear(const std::string& name) {
    throwIfCancelled(m_options.cancel);
    at::Tensor weight = m_reader.loadFloat32(name + ".weight").t().contiguous();
    at::Tensor bias = m_reader.loadFloat32(name + ".bias");
    const std::int64_t bytesBefore = float32Bytes(weight) + float32Bytes(bias);
    auto layer = m_factory.makeLinear(name, std::move(weight), std::move(bias));
    report(name, bytesBefore, layer->footprint().total());
    return layer;
  }

  std::pair<at::Tensor, at::Tensor> layerNorm(const std::string& name) {
    throwIfCancelled(m_options.cancel);
    at::Tensor weight = m_reader.loadFloat32(name + ".weight");
    at::Tensor bias = m_reader.loadFloat32(name + ".bias");
    const std::int64_t bytes = float32Bytes(weight) + float32Bytes(bias);
    report(name, bytes, bytes);
    return {std::move(weight), std::move(bias)};
  }

  std::unique_ptr<EmbeddingTable> embedding(const std::string& name, at::Tensor table) {
    const std::int64_t bytesBefore = float32Bytes(table);
    auto layer = m_factory.makeEmbedding(name, std::move(table));
    report(name, bytesBefore, layer->footprint().total());
    return layer;
  }

  // Logs one finished step and passes it to the progress callback.
  void report(const std::string& name, std::int64_t bytesBefore, std::int64_t bytesAfter) {
    ++m_index;
    const TensorInfo& info = m_reader.resolve(name + ".weight");
    spdlog::debug("[{}/{}] {} [{}] {} -> {}: {} -> {} bytes", m_index, m_total, name,
                  fmt::join(info.shape, ", "), dtypeName(info.dtype), m_factory.scheme(),
                  bytesBefore, bytesAfter);
    if (!m_options.onProgress) return;
    LoadProgress progress;
    progress.index = m_index;
    progress.total = m_total;
    progress.name = name;
    progress.shape = info.shape;
    progress.storedDtype = std::string(dtypeName(info.dtype));
    progress.bytesBefore = bytesBefore;
    progress.bytesAfter = bytesAfter;
    m_options.onProgress(progress);
  }

 private:
  CheckpointReader& m_reader;
  LayerFactory& m_factory;
  const LoadOptions& m_options;
  int m_total = 0;
  int m_index = 0;
};

}  // namespace

std::unique_ptr<Gpt2Model> loadGpt2Model(const std::filesystem::path& modelDir,
                                         const LoadOptions& options) {
  if (!std::filesystem::is_directory(modelDir)) {
    throw InvalidArgument(
        fmt::format("model folder '{}' not found; pass a folder with config.json and the weights",
                    modelDir.string()));
  }
  const Gpt2Config config = Gpt2Config::fromFile(modelDir / "config.json");
  const std::unique_ptr<TensorSource> source = openCheckpoint(modelDir);
  return loadGpt2Model(config, *source, options);
}

std::unique_ptr<Gpt2Model> loadGpt2Model(const Gpt2Config& config, const TensorSource& source,
                                         const LoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t v = config.vocabSize;
  const std::int64_t p = config.nPositions;
  const std::int64_t c = config.nEmbd;
  const std::int64_t inner = config.nInner;

  // Check every tensor before reading any, so a bad file fails fast.
  CheckpointReader reader(config, source);
  reader.expect("wte.weight", {v, c});
  reader.expect("wpe.weight", {p, c});
  for (int i = 0; i < config.nLayer; ++i) {
    const std::string h = fmt::format("h.{}.", i);
    reader.expect(h + "ln_1.weight", {c});
    reader.expect(h + "ln_1.bias", {c});
    reader.expect(h + "attn.c_attn.weight", {c, 3 * c});
    reader.expect(h + "attn.c_attn.bias", {3 * c});
    reader.expect(h + "attn.c_proj.weight", {c, c});
    reader.expect(h + "attn.c_proj.bias", {c});
    reader.expect(h + "ln_2.weight", {c});
    reader.expect(h + "ln_2.bias", {c});
    reader.expect(h + "mlp.c_fc.weight", {c, inner});
    reader.expect(h + "mlp.c_fc.bias", {inner});
    reader.expect(h + "mlp.c_proj.weight", {inner, c});
    reader.expect(h + "mlp.c_proj.bias", {c});
  }
  reader.expect("ln_f.weight", {c});
  reader.expect("ln_f.bias", {c});
  // Hugging Face stores the head as "lm_head.weight", outside "transformer.".
  const bool hasLmHead = source.contains("lm_head.weight");
  if (hasLmHead) reader.expect("lm_head.weight", {v, c});
  reader.warnAboutUnusedTensors();

  std::unique_ptr<LayerFactory> fp32Factory;
  LayerFactory* factory = options.factory;
  if (factory == nullptr) {
    fp32Factory = makeFp32LayerFactory();
    factory = fp32Factory.get();
  }

  const int total = 2 + 6 * config.nLayer + 1 + (hasLmHead ? 1 : 0);
  ModelBuilder builder(reader, *factory, options, total);
  Gpt2Weights weights;

  // Embeddings. The head is compared with wte while wte is still float32.
  throwIfCancelled(options.cancel);
  {
    at::Tensor wte = reader.loadFloat32("wte.weight");
    at::Tensor lmHead;
    if (hasLmHead) lmHead = reader.loadFloat32("lm_head.weight");
    const bool tied = !hasLmHead || at::equal(lmHead, wte);
    weights.tokenEmbedding = builder.embedding("wte", std::move(wte));
    if (hasLmHead && tied) {
      spdlog::info("{}: lm_head.weight equals wte.weight; keeping one tied copy",
                   source.description());
      builder.report("lm_head", float32Bytes(lmHead), 0);
    } else if (hasLmHead) {
      spdlog::info("{}: lm_head.weight differs from wte.weight; keeping a separate output head",
                   source.description());
      weights.lmHead = builder.embedding("lm_head", std::move(lmHead));
    }
  }
  throwIfCancelled(options.cancel);
  weights.positionEmbedding = builder.embedding("wpe", reader.loadFloat32("wpe.weight"));

  for (int i = 0; i < config.nLayer; ++i) {
    const std::string h = fmt::format("h.{}.", i);
    Gpt2BlockWeights block;
    std::tie(block.ln1Weight, block.ln1Bias) = builder.layerNorm(h + "ln_1");
    block.attnQkv = builder.linear(h + "attn.c_attn");
    block.attnProj = builder.linear(h + "attn.c_proj");
    std::tie(block.ln2Weight, block.ln2Bias) = builder.layerNorm(h + "ln_2");
    block.mlpFc = builder.linear(h + "mlp.c_fc");
    block.mlpProj = builder.linear(h + "mlp.c_proj");
    weights.blocks.push_back(std::move(block));
  }
  std::tie(weights.lnFWeight, weights.lnFBias) = builder.layerNorm("ln_f");

  auto model = std::make_unique<Gpt2Model>(config, std::move(weights));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info(
      "Loaded {}: {} layers, n_embd {}, vocabulary {}, stored as {}, scheme {}, "
      "{:.1f} MiB resident, {:.2f} s",
      source.description(), config.nLayer, config.nEmbd, config.vocabSize, reader.storedDtypes(),
      model->scheme(), static_cast<double>(model->memory().total()) / (1024.0 * 1024.0), seconds);
  return model;
}

}  // namespace gpupoor
