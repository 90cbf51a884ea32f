#include "tiny_checkpoint.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

#include "core/io/safetensors_writer.h"

namespace gpupoor::test {

std::map<std::string, at::Tensor> randomCheckpointTensors(const Gpt2Config& config,
                                                          std::uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  const auto normal = [&](std::vector<std::int64_t> shape, double mean, double std) {
    return at::normal(mean, std, shape, generator);
  };
  const std::int64_t c = config.nEmbd;
  const std::int64_t inner = config.nInner;

  std::map<std::string, at::Tensor> tensors;
  tensors["wte.weight"] = normal({config.vocabSize, c}, 0.0, 0.5);
  tensors["wpe.weight"] = normal({config.nPositions, c}, 0.0, 0.1);
  for (int i = 0; i < config.nLayer; ++i) {
    const std::string h = fmt::format("h.{}.", i);
    tensors[h + "ln_1.weight"] = normal({c}, 1.0, 0.02);
    tensors[h + "ln_1.bias"] = normal({c}, 0.0, 0.02);
    tensors[h + "attn.c_attn.weight"] = normal({c, 3 * c}, 0.0, 0.02);
    tensors[h + "attn.c_attn.bias"] = normal({3 * c}, 0.0, 0.02);
    tensors[h + "attn.c_proj.weight"] = normal({c, c}, 0.0, 0.02);
    tensors[h + "attn.c_proj.bias"] = normal({c}, 0.0, 0.02);
    tensors[h + "ln_2.weight"] = normal({c}, 1.0, 0.02);
    tensors[h + "ln_2.bias"] = normal({c}, 0.0, 0.02);
    tensors[h + "mlp.c_fc.weight"] = normal({c, inner}, 0.0, 0.02);
    tensors[h + "mlp.c_fc.bias"] = normal({inner}, 0.0, 0.02);
    tensors[h + "mlp.c_proj.weight"] = normal({inner, c}, 0.0, 0.02);
    tensors[h + "mlp.c_proj.bias"] = normal({c}, 0.0, 0.02);
  }
  tensors["ln_f.weight"] = normal({c}, 1.0, 0.02);
  tensors["ln_f.bias"] = normal({c}, 0.0, 0.02);
  return tensors;
}

nlohmann::json configJson(const Gpt2Config& config) {
  return {{"model_type", "gpt2"},
          {"activation_function", "gelu_new"},
          {"vocab_size", config.vocabSize},
          {"n_positions", config.nPositions},
          {"n_ctx", config.nPositions},
          {"n_embd", config.nEmbd},
          {"n_layer", config.nLayer},
          {"n_head", config.nHead},
          {"n_inner", config.nInner},
          {"layer_norm_epsilon", config.layerNormEpsilon},
          {"bos_token_id", config.bosTokenId},
          {"eos_token_id", config.eosTokenId}};
}

void writeCheckpoint(const std::filesystem::path& dir, const nlohmann::json& config,
                     const std::map<std::string, at::Tensor>& tensors) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / "config.json");
  out << config.dump(2);
  if (!out) throw std::runtime_error("cannot write " + (dir / "config.json").string());
  writeSafetensors(dir / "model.safetensors", tensors);
}

}  // namespace gpupoor::test
