#pragma once

#include <cstdint>

namespace gpupoor {

// Index into the tokenizer's vocabulary and the model's embedding rows.
using TokenId = std::int32_t;

}  // namespace gpupoor
