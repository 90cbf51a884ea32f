#include "core/common/scheme.h"

#include <fmt/format.h>

#include "core/common/errors.h"

namespace gpupoor {

std::string schemeName(QuantScheme scheme) {
  switch (scheme) {
    case QuantScheme::Fp32:
      return "fp32";
    case QuantScheme::W8A32:
      return "w8a32";
    case QuantScheme::W8A8:
      return "w8a8";
  }
  return "unknown";
}

QuantScheme parseScheme(std::string_view name) {
  if (name == "fp32") return QuantScheme::Fp32;
  if (name == "w8a32") return QuantScheme::W8A32;
  if (name == "w8a8") return QuantScheme::W8A8;
  throw InvalidArgument(
      fmt::format("unknown quantization scheme '{}'; use w8a32, w8a8 or fp32", name));
}

}  // namespace gpupoor
