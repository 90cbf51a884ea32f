#include "random_gpt2.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/model/fp32_layers.h"

namespace gpupoor::test {

namespace {

// Standard deviation GPT-2 uses to initialise its weights.
constexpr double kWeightStd = 0.02;

class RandomTensors {
 public:
  explicit RandomTensors(std::uint64_t seed) : m_generator(at::detail::createCPUGenerator(seed)) {}

  at::Tensor normal(at::IntArrayRef shape, double mean, double std) {
    return at::normal(mean, std, shape, m_generator);
  }

  std::unique_ptr<LinearLayer> linear(std::int64_t in, std::int64_t out) {
    return std::make_unique<Fp32Linear>(normal({out, in}, 0.0, kWeightStd),
                                        normal({out}, 0.0, kWeightStd));
  }

 private:
  at::Generator m_generator;
};

}  // namespace

Gpt2Config tinyGpt2Config(int positions) {
  Gpt2Config config;
  config.vocabSize = 64;
  config.nPositions = positions;
  config.nEmbd = 16;
  config.nLayer = 2;
  config.nHead = 2;
  config.nInner = 64;
  config.bosTokenId = 0;
  config.eosTokenId = 0;
  return config;
}

std::unique_ptr<Gpt2Model> makeRandomGpt2(const Gpt2Config& config, std::uint64_t seed) {
  RandomTensors random(seed);
  const std::int64_t c = config.nEmbd;
  Gpt2Weights weights;
  // Embeddings get a larger spread than the matrices so that logits differ
  // clearly between tokens and greedy choices are not near-ties.
  weights.tokenEmbedding =
      std::make_unique<Fp32Embedding>(random.normal({config.vocabSize, c}, 0.0, 0.5));
  weights.positionEmbedding =
      std::make_unique<Fp32Embedding>(random.normal({config.nPositions, c}, 0.0, 0.1));
  for (int i = 0; i < config.nLayer; ++i) {
    Gpt2BlockWeights block;
    block.ln1Weight = random.normal({c}, 1.0, kWeightStd);
    block.ln1Bias = random.normal({c}, 0.0, kWeightStd);
    block.attnQkv = random.linear(c, 3 * c);
    block.attnProj = random.linear(c, c);
    block.ln2Weight = random.normal({c}, 1.0, kWeightStd);
    block.ln2Bias = random.normal({c}, 0.0, kWeightStd);
    block.mlpFc = random.linear(c, config.nInner);
    block.mlpProj = random.linear(config.nInner, c);
    weights.blocks.push_back(std::move(block));
  }
  weights.lnFWeight = random.normal({c}, 1.0, kWeightStd);
  weights.lnFBias = random.normal({c}, 0.0, kWeightStd);
  return std::make_unique<Gpt2Model>(config, std::move(weights));
}

}  // namespace gpupoor::test
