#include "core/tokenizer/streaming_decoder.h"

#include "core/common/errors.h"
#include "core/tokenizer/utf8.h"

namespace gpupoor {

StreamingDecoder::StreamingDecoder(std::shared_ptr<const Gpt2Tokenizer> tokenizer)
    : m_tokenizer(std::move(tokenizer)) {
  if (!m_tokenizer) {
    throw InvalidArgument("StreamingDecoder needs a tokenizer, got a null pointer");
  }
}

std::string StreamingDecoder::push(TokenId id) {
  m_pending += m_tokenizer->tokenBytes(id);

  std::string complete;
  std::size_t offset = 0;
  while (offset < m_pending.size()) {
    const utf8::Sequence sequence = utf8::scanSequence(m_pending, offset);
    if (sequence.status == utf8::SequenceStatus::Truncated) break;
    if (sequence.status == utf8::SequenceStatus::Complete) {
      complete.append(m_pending, offset, sequence.lengthBytes);
    } else {
      complete.append(utf8::kReplacementCharacter);
    }
    offset += sequence.lengthBytes;
  }
  m_pending.erase(0, offset);
  return complete;
}

std::string StreamingDecoder::flush() {
  std::string rest = utf8::replaceInvalid(m_pending);
  m_pending.clear();
  return rest;
}

}  // namespace gpupoor
