// The safetensors parser under AddressSanitizer and UBSan: every malformed
// file from tst_safetensors must raise InvalidCheckpoint without a memory
// error, and a good fixture must read in full. A plain main without Qt or
// LibTorch keeps the build small; it exits non-zero on the first failure.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/common/errors.h"
#include "core/io/safetensors_reader.h"
#include "helpers/malformed_safetensors.h"

namespace {

int g_failures = 0;

void check(bool condition, const std::string& caseName, const std::string& what) {
  if (!condition) {
    std::fprintf(stderr, "FAIL %s: %s\n", caseName.c_str(), what.c_str());
    ++g_failures;
  }
}

void runMalformedCase(const gpupoor::test::MalformedSafetensorsCase& testCase,
                      const std::filesystem::path& folder) {
  const auto path = folder / "model.safetensors";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(testCase.fileBytes.data(), static_cast<std::streamsize>(testCase.fileBytes.size()));
  }

  std::string message;
  try {
    const gpupoor::SafetensorsReader reader(path);
  } catch (const gpupoor::InvalidCheckpoint& error) {
    message = error.what();
  }
  check(!message.empty(), testCase.name, "no InvalidCheckpoint thrown");
  check(message.find(path.string()) != std::string::npos, testCase.name,
        "message lacks the file name: " + message);
  check(message.find(testCase.messagePart) != std::string::npos, testCase.name,
        "message lacks '" + testCase.messagePart + "': " + message);
  if (!testCase.tensor.empty()) {
    check(message.find("tensor '" + testCase.tensor + "'") != std::string::npos, testCase.name,
          "message lacks the tensor name: " + message);
  }
}

void readFixtureInFull(const std::filesystem::path& file) {
  const gpupoor::SafetensorsReader reader(file);
  check(!reader.tensors().empty(), "fixture", "no tensors in " + file.string());
  unsigned checksum = 0;
  for (const auto& info : reader.tensors()) {
    const auto bytes = reader.tensorBytes(info.name);
    check(bytes.size() == info.byteLength(), "fixture", "size mismatch for " + info.name);
    for (const std::byte b : bytes) checksum += static_cast<unsigned>(b);
    reader.release(info.name);
  }
  std::printf("fixture %s: %zu tensors, byte sum %u\n", file.filename().c_str(),
              reader.tensors().size(), checksum);
}

}  // namespace

int main() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "gpupoor-sanitized-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return EXIT_FAILURE;
  }
  const std::filesystem::path folder = pattern;

  for (const auto& testCase : gpupoor::test::malformedSafetensorsCases()) {
    runMalformedCase(testCase, folder);
  }
  readFixtureInFull(std::filesystem::path(GPUPOOR_TEST_DATA_DIR) / "tiny-gpt2" / "f32-plain" /
                    "model.safetensors");
  readFixtureInFull(std::filesystem::path(GPUPOOR_TEST_DATA_DIR) / "tiny-gpt2" / "bf16-prefixed" /
                    "model.safetensors");
  std::filesystem::remove_all(folder);

  std::printf("%d malformed cases, %d failures\n",
              static_cast<int>(gpupoor::test::malformedSafetensorsCases().size()), g_failures);
  return g_failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
