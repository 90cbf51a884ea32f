#pragma once

// Refuses model loads that would not fit: compares an estimate of the bytes a
// load needs with MemAvailable from /proc/meminfo (the kernel's estimate of
// memory available without swapping).

#include <QString>

#include <cstdint>
#include <optional>
#include <string>

namespace gpupoor::gui {

// MemAvailable in bytes, or nullopt when /proc/meminfo cannot be read or has
// no such line (kernels before 3.14).
std::optional<std::int64_t> availableMemoryBytes();
// Parses the text of /proc/meminfo; exposed for tests.
std::optional<std::int64_t> parseMemAvailable(const std::string& meminfo);

// Bytes needed to hold an FP32 copy and an INT8 copy of a model with
// `parameters` parameters, plus the working memory of a forward pass.
// NOTE: an estimate: 4 bytes per parameter for FP32, 1 byte plus about 2%
// of scales for INT8, and 15% on top of both for activations, KV caches and
// the loader's per-tensor FP32 buffer.
std::int64_t estimateLoadBytes(long long parameters, bool withInt8Copy = true);

// nullopt when `neededBytes` fits in `availableBytes`; otherwise a message for
// the user naming the model, the bytes needed and the bytes free.
std::optional<QString> checkFits(const QString& modelName, std::int64_t neededBytes,
                                 std::int64_t availableBytes);

// "1.5 GiB", "27.8 MiB", "512 B": binary units with one decimal.
QString formatBytes(std::int64_t bytes);

}  // namespace gpupoor::gui
