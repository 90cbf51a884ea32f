#pragma once

// GPT-2 models with random FP32 weights built in memory, for tests that need
// a working model of a chosen shape but no checkpoint file.

#include <cstdint>
#include <memory>

#include "core/model/config.h"
#include "core/model/gpt2_model.h"

namespace gpupoor::test {

// A tiny config: vocabulary 64, n_embd 16, 2 layers, 2 heads, `positions` positions.
Gpt2Config tinyGpt2Config(int positions = 16);

// Random weights, repeatable for a given seed: matrices from N(0, 0.02) as
// GPT-2 initialises them, wider embeddings, LayerNorm gains near 1.
std::unique_ptr<Gpt2Model> makeRandomGpt2(const Gpt2Config& config, std::uint64_t seed);

}  // namespace gpupoor::test
