// The format-independent part of TensorSource: lookup by name.
#include "core/io/tensor_source.h"

#include <fmt/format.h>

#include "core/common/errors.h"

namespace gpupoor {

namespace {

const TensorInfo* findTensor(const std::vector<TensorInfo>& tensors, std::string_view name) {
  for (const auto& tensor : tensors) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

}  // namespace

bool TensorSource::contains(std::string_view name) const {
  return findTensor(tensors(), name) != nullptr;
}

const TensorInfo& TensorSource::info(std::string_view name) const {
  const TensorInfo* tensor = findTensor(tensors(), name);
  if (tensor == nullptr) {
    throw InvalidCheckpoint(fmt::format(
        "{}: tensor '{}' not found among its {} tensors. The checkpoint is incomplete or not "
        "a GPT-2 model; check the model folder.",
        description(), name, tensors().size()));
  }
  return *tensor;
}

}  // namespace gpupoor
