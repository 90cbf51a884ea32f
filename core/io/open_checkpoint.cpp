// openCheckpoint(): picks the weights file of a model folder by format.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <system_error>

#include "core/common/errors.h"
#include "core/io/pytorch_bin_source.h"
#include "core/io/safetensors_source.h"
#include "core/io/sharded_safetensors_source.h"
#include "core/io/tensor_source.h"

namespace gpupoor {

namespace {

bool fileExists(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::exists(path, error);
}

void logOpened(const TensorSource& source, std::string_view format) {
  spdlog::info("opened {} checkpoint {} ({} tensors)", format, source.description(),
               source.tensors().size());
}

}  // namespace

std::unique_ptr<TensorSource> openCheckpoint(const std::filesystem::path& modelDir) {
  std::error_code error;
  if (!std::filesystem::is_directory(modelDir, error)) {
    throw InvalidCheckpoint(
        fmt::format("model folder '{}' does not exist or is not a folder. "
                    "Pass the folder that contains config.json and the weights.",
                    modelDir.string()));
  }

  std::unique_ptr<TensorSource> source;
  if (const auto single = modelDir / "model.safetensors"; fileExists(single)) {
    source = std::make_unique<SafetensorsSource>(single);
    logOpened(*source, "safetensors");
  } else if (const auto index = modelDir / "model.safetensors.index.json"; fileExists(index)) {
    source = std::make_unique<ShardedSafetensorsSource>(index);
    logOpened(*source, "sharded safetensors");
  } else if (const auto bin = modelDir / "pytorch_model.bin"; fileExists(bin)) {
    source = std::make_unique<PytorchBinSource>(bin);
    logOpened(*source, "pytorch_model.bin");
  } else if (fileExists(modelDir / "pytorch_model.bin.index.json")) {
    throw InvalidCheckpoint(fmt::format(
        "'{}' contains a sharded pytorch_model.bin (pytorch_model.bin.index.json), which is not "
        "supported. Convert the checkpoint to safetensors.",
        modelDir.string()));
  } else {
    throw InvalidCheckpoint(fmt::format(
        "no weights found in '{}': expected model.safetensors, model.safetensors.index.json or "
        "pytorch_model.bin. Download the weights into that folder or pick another folder.",
        modelDir.string()));
  }
  return source;
}

}  // namespace gpupoor
