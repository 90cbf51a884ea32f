#pragma once

#include <cstdint>

namespace gpupoor {

// Index into the tokenizer's vocabulary and the model's embedding rows.
// 64-bit, like the ids that Gpt2Model and generate() take (LibTorch's kLong).
using TokenId = std::int64_t;

}  // namespace gpupoor
