#include "tfidf_features.h"

#include "crema/text/normalize.h"

namespace crema::embed::detail {
namespace {

// Start of each UTF-8 code point in s (continuation bytes are 10xxxxxx), plus s.size().
void code_point_starts(std::string_view s, std::vector<uint32_t>& out) {
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<uint8_t>(s[i]) & 0xC0) != 0x80) out.push_back(static_cast<uint32_t>(i));
  }
  out.push_back(static_cast<uint32_t>(s.size()));
}

}  // namespace

void extract_features(std::string_view text, FeatureBuffers& buffers) {
  buffers.words.clear();
  buffers.chars.clear();
  const std::vector<std::string> tokens = text::word_tokens(text);
  const uint64_t unigram_seed = fnv1a(kFnvOffset, "w:");
  const uint64_t bigram_seed = fnv1a(kFnvOffset, "b:");
  const uint64_t char_seed = fnv1a(kFnvOffset, "c:");
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& tok = tokens[i];
    buffers.words.push_back(mix64(fnv1a(unigram_seed, tok)));
    if (i + 1 < tokens.size()) {
      uint64_t h = fnv1a(bigram_seed, tok);
      h = fnv1a(h, " ");
      buffers.words.push_back(mix64(fnv1a(h, tokens[i + 1])));
    }
    buffers.padded.clear();  // clear + push_back: GCC 12 warns (-Wrestrict) on assign("<")
    buffers.padded.push_back('<');
    buffers.padded.append(tok);
    buffers.padded.push_back('>');
    code_point_starts(buffers.padded, buffers.boundaries);
    const size_t points = buffers.boundaries.size() - 1;
    for (size_t n = kMinCharGram; n <= kMaxCharGram; ++n) {
      if (n > points) break;
      for (size_t s = 0; s + n <= points; ++s) {
        const uint32_t b = buffers.boundaries[s];
        const uint32_t e = buffers.boundaries[s + n];
        buffers.chars.push_back(mix64(fnv1a(char_seed, std::string_view(buffers.padded).substr(b, e - b))));
      }
    }
  }
}

}  // namespace crema::embed::detail
