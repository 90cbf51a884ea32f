#pragma once

// Exceptions thrown by gpupoor_core. Messages name the file, tensor or value,
// what was expected, what was found and what to do. The command line maps
// InvalidArgument and InvalidCheckpoint to exit code 2 and anything else to 1.

#include <stdexcept>
#include <string>

namespace gpupoor {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad checkpoint, tokenizer or data file: malformed, truncated, or
// disagreeing with its config.
class InvalidCheckpoint : public Error {
 public:
  using Error::Error;
};

// A bad value from the caller: option, setting, prompt, file name.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// Work stopped because the caller cancelled it.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
  using Error::Error;
};

// A model or buffer that does not fit in the memory that is available.
class OutOfMemory : public Error {
 public:
  using Error::Error;
};

}  // namespace gpupoor
