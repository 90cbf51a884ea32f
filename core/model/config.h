#pragma once

#include <filesystem>
#include <string>

namespace gpupoor {

enum class Activation { GeluNew, GeluExact, Relu };

// The fields of a Hugging Face GPT-2 config.json that the forward pass uses.
// Example values are GPT-2 small's.
struct Gpt2Config {
  int vocabSize = 50257;
  int nPositions = 1024;
  int nEmbd = 768;
  int nLayer = 12;
  int nHead = 12;
  int nInner = 3072;  // n_inner, or 4 * n_embd when null
  double layerNormEpsilon = 1e-5;
  Activation activation = Activation::GeluNew;
  bool scaleAttnWeights = true;
  bool scaleAttnByInverseLayerIdx = false;
  bool reorderAndUpcastAttn = false;  // accepted: the forward pass is FP32 anyway
  int bosTokenId = 50256;
  int eosTokenId = 50256;
  std::string modelType = "gpt2";

  int headDim() const { return nEmbd / nHead; }
  // Parameter count of the GPT-2 layout with a tied head.
  long long parameterCount() const;

  // Reads and validates `modelDir`/config.json. Throws InvalidCheckpoint
  // naming the file and the field for missing or unsupported values.
  static Gpt2Config fromFile(const std::filesystem::path& configJson);
  // Parses JSON text; `origin` names the source in error messages.
  static Gpt2Config fromJson(const std::string& jsonText, const std::string& origin);
};

}  // namespace gpupoor
