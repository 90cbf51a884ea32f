#pragma once

// Turns generated token ids into displayable text one token at a time. A
// GPT-2 token may end in the middle of a UTF-8 character (an emoji is often
// split over two or three tokens), so the decoder holds back an incomplete
// trailing character until the next token completes it. Output is always
// valid UTF-8: bytes that can never form a character become U+FFFD, one per
// maximal invalid subpart. Not thread-safe, so use one decoder per stream.

#include <cstddef>
#include <memory>
#include <string>

#include "core/tokenizer/gpt2_tokenizer.h"
#include "core/tokenizer/token_id.h"

namespace gpupoor {

class StreamingDecoder {
 public:
  // Throws InvalidArgument when `tokenizer` is null.
  explicit StreamingDecoder(std::shared_ptr<const Gpt2Tokenizer> tokenizer);

  // Appends the bytes of `id` and returns the text that is now complete
  // (possibly empty). Throws InvalidArgument for an id outside the
  // vocabulary, leaving the held bytes unchanged.
  std::string push(TokenId id);

  // Returns the held bytes as text, each incomplete character replaced by
  // U+FFFD, and empties the decoder for a new stream.
  std::string flush();

  // Bytes held back because they may start a character not yet complete (0..3).
  std::size_t pendingBytes() const { return m_pending.size(); }

 private:
  std::shared_ptr<const Gpt2Tokenizer> m_tokenizer;
  std::string m_pending;
};

}  // namespace gpupoor
