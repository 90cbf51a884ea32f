#pragma once

// Malformed safetensors files, one per header check, shared by
// tst_safetensors and the sanitizer build. Free of Qt and LibTorch.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace gpupoor::test {

struct MalformedSafetensorsCase {
  std::string name;         // row name
  std::string fileBytes;    // the whole file
  std::string tensor;       // tensor the message must name; empty when none
  std::string messagePart;  // text the message must contain
};

// Builds a file: 8-byte little-endian `declaredHeaderBytes`, then `header`,
// then `dataBytes` zero bytes.
inline std::string safetensorsBytes(const std::string& header, std::size_t dataBytes,
                                    std::uint64_t declaredHeaderBytes) {
  std::string bytes(sizeof(std::uint64_t), '\0');
  std::memcpy(bytes.data(), &declaredHeaderBytes, sizeof(declaredHeaderBytes));
  return bytes + header + std::string(dataBytes, '\0');
}

inline std::string safetensorsBytes(const std::string& header, std::size_t dataBytes) {
  return safetensorsBytes(header, dataBytes, header.size());
}

inline std::vector<MalformedSafetensorsCase> malformedSafetensorsCases() {
  const std::string goodEntry = R"("w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})";
  return {
      {"empty file", "", "", "empty"},
      {"truncated length prefix", std::string("\x10\x00\x00\x00", 4), "",
       "shorter than the 8-byte header length"},
      {"header length larger than file", safetensorsBytes("{" + goodEntry + "}", 16, 5000), "",
       "header length field says 5000 bytes"},
      {"truncated data section", safetensorsBytes("{" + goodEntry + "}", 10), "w",
       "past the data section of 10 bytes"},
      {"invalid JSON header", safetensorsBytes(R"({"w":{"dtype":"F32",)", 16), "",
       "not valid JSON"},
      {"header not an object", safetensorsBytes("[1, 2, 3]", 0), "", "expected an object"},
      {"entry not an object", safetensorsBytes(R"({"w":[1,2]})", 0), "w", "entry is a JSON array"},
      {"overlapping offsets",
       safetensorsBytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                        R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                        24),
       "b", "overlap tensor 'a'"},
      {"out-of-range offsets",
       safetensorsBytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[100,116]}})", 16), "w",
       "past the data section of 16 bytes"},
      {"begin after end",
       safetensorsBytes(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[16,0]}})", 16), "w",
       "begin after end"},
      {"missing data_offsets", safetensorsBytes(R"({"w":{"dtype":"F32","shape":[4]}})", 16), "w",
       "data_offsets"},
      {"unknown dtype",
       safetensorsBytes(R"({"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}})", 4), "w",
       "unknown dtype \"F8_E4M3\""},
      {"byte length not matching shape",
       safetensorsBytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", 16), "w",
       "needs 16 bytes"},
      {"negative shape entry",
       safetensorsBytes(R"({"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", 16), "w",
       "non-negative"},
      {"fractional shape entry",
       safetensorsBytes(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4), "w",
       "expected an integer"},
      {"shape product overflows",
       safetensorsBytes(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],)"
                        R"("data_offsets":[0,4]}})",
                        4),
       "w", "too large"},
      {"metadata value not a string",
       safetensorsBytes(R"({"__metadata__":{"format":1},)" + goodEntry + "}", 16), "",
       "\"__metadata__\" entry 'format'"},
      {"metadata not an object", safetensorsBytes(R"({"__metadata__":"pt",)" + goodEntry + "}", 16),
       "", "\"__metadata__\" is a JSON string"},
  };
}

}  // namespace gpupoor::test
