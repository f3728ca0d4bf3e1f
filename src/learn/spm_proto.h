// src/learn/spm_proto.h: the few fields of a SentencePiece ModelProto that the HF files need
// (private to learn; crema::nn has the full reader for inference).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "crema/common/result.h"

namespace crema::learn {

struct SpmPiece {
  std::string piece;
  float score = 0;
  int type = 1;  // 1 NORMAL, 2 UNKNOWN, 3 CONTROL, 4 USER_DEFINED, 5 BYTE, 6 UNUSED
};

struct SpmModelInfo {
  std::vector<SpmPiece> pieces;
  std::string precompiled_charsmap;
};

// kCorrupt naming the file and field for a truncated or malformed file.
Result<SpmModelInfo> read_spm_model(const std::filesystem::path& path);

}  // namespace crema::learn
