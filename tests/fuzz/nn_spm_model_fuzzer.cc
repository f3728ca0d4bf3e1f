// Fuzz target: the SentencePiece .model reader (protobuf wire format, piece checks, the
// precompiled charsmap trie), then encoding a fixed text with whatever loaded. Any bytes
// must load or fail with an error, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "../../src/nn/spm_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto proto = crema::nn::spm::parse_model_proto(bytes, "fuzz.model");
  if (!proto) return 0;
  auto sp = crema::nn::spm::Processor::create(std::move(*proto), "fuzz.model");
  if (!sp) return 0;
  std::vector<crema::nn::spm::SpmToken> out;
  sp->encode("  Need water at 5th St.  \xc2\xbf""D\xc3\xb3nde? \xe6\xb0\xb4 \xf0\x9f\x86\x98 \xff<s> ", out);
  (void)sp->piece_to_id("<unk>");
  return 0;
}
