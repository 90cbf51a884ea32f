#pragma once

// A validator for the JSON Schema subset that resources/schema uses: type
// (one name or a list), required, properties, items, enum, minimum and local
// "$ref": "#/$defs/name". Other keywords are ignored, so a schema that needs
// them must not rely on this check.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace gpupoor::test {

// Returns one message per violation, each naming the JSON pointer of the
// offending value; empty when `document` conforms to `schema`.
std::vector<std::string> validateJsonSchema(const nlohmann::json& schema, const nlohmann::json& document);

}  // namespace gpupoor::test
