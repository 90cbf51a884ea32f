#pragma once

// Resident parameter bytes of a loaded model copy, split into the components
// reports show: embeddings (wte, wpe), attention (c_attn, attn.c_proj), mlp
// (c_fc, mlp.c_proj), layer_norm (all LayerNorm parameters) and lm_head (a
// separate output head; absent when tied to wte).

#include <vector>

#include "core/engine/report.h"
#include "core/model/gpt2_weights.h"

namespace gpupoor {

std::vector<ComponentMemory> componentMemory(const Gpt2Weights& weights);

}  // namespace gpupoor
