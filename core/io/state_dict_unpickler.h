#pragma once

// A restricted unpickler for the data.pkl of a torch.save zip archive. It
// understands the pickle opcodes that torch.save emits for a state dict and
// only these globals: collections.OrderedDict, the torch.*Storage types,
// torch._utils._rebuild_tensor_v2 and torch._utils._rebuild_parameter. Any
// other global is rejected, so no pickled code runs.
//
// LibTorch 1.13's own torch::pickle_load cannot be used: it turns every
// collections.OrderedDict into None, and model.state_dict() is an
// OrderedDict, so most saved checkpoints would fail to load.

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace gpupoor {

// Returns the bytes of the archive record `data/<key>` for one storage.
using StorageRecordReader = std::function<std::vector<std::byte>(const std::string& key)>;

// Unpickles `pickle` (the data.pkl bytes) into name -> tensor pairs in the
// order of the pickled dict. Tensors that share a storage in the file share
// it in memory. `origin` names the file in messages. Throws InvalidCheckpoint
// naming the file and the offending opcode, global or entry.
std::vector<std::pair<std::string, at::Tensor>> unpickleStateDict(
    std::span<const std::byte> pickle, const StorageRecordReader& readStorage,
    const std::string& origin);

}  // namespace gpupoor
