// SentencePiece models (.model files) without libsentencepiece: a bounds-checked reader for
// the ModelProto protobuf wire format and an encoder that reproduces spm_encode (normalizer
// with the precompiled charsmap, Unigram Viterbi, score-priority BPE, WORD and CHAR models,
// user-defined pieces, byte fallback). docs/tokenizers.md.
//
// Ownership and threads: a Processor owns its model and is immutable after create();
// encode() is const and may run on any number of threads.
// Failures: parse_model_proto and Processor::create return kCorrupt errors naming the
// source and the field (e.g. "x.model: ModelProto.pieces[3].score: truncated fixed32").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crema/common/result.h"

namespace crema::nn::spm {

// sentencepiece_model.proto enum values.
enum class PieceType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };
enum class ModelType : int32_t { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };

struct ModelPiece {
  std::string piece;
  float score = 0.0f;
  PieceType type = PieceType::kNormal;
};

// The TrainerSpec fields that matter for encoding, with the proto defaults.
struct TrainerSpec {
  ModelType model_type = ModelType::kUnigram;
  int32_t vocab_size = 8000;
  bool split_by_whitespace = true;
  bool treat_whitespace_as_suffix = false;
  bool byte_fallback = false;
  int32_t unk_id = 0;
  int32_t bos_id = 1;
  int32_t eos_id = 2;
  int32_t pad_id = -1;
  std::string unk_piece = "<unk>";
  std::string bos_piece = "<s>";
  std::string eos_piece = "</s>";
  std::string pad_piece = "<pad>";
};

struct NormalizerSpec {
  std::string name;
  std::string precompiled_charsmap;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

struct ModelProto {
  std::vector<ModelPiece> pieces;
  TrainerSpec trainer_spec;
  NormalizerSpec normalizer_spec;
};

// Reads a serialized ModelProto. Unknown fields are skipped as protobuf does; truncated
// fields, bad wire types and out-of-range enum values are errors naming `source` and the field.
Result<ModelProto> parse_model_proto(std::string_view bytes, std::string_view source);

// An encoded piece: id and byte span [begin, end) in the input (begin == end for control
// pieces and for all but the last byte piece of a byte-fallback character).
struct SpmToken {
  int32_t id;
  uint32_t begin;
  uint32_t end;
};

class Processor {
 public:
  // Checks the model as libsentencepiece does (non-empty unique pieces, exactly one
  // UNKNOWN piece, all 256 byte pieces when byte_fallback) and builds the lookup tables.
  static Result<Processor> create(ModelProto model, std::string_view source);

  // Encodes `input` exactly as spm_encode --output_format=id does.
  void encode(std::string_view input, std::vector<SpmToken>& out) const;

  int32_t size() const { return static_cast<int32_t>(model_.pieces.size()); }
  // libsentencepiece's PieceToId: control/unknown/byte pieces first, then the others; the
  // unknown id when absent.
  int32_t piece_to_id(std::string_view piece) const;
  const std::string& id_to_piece(int32_t id) const;  // "" when out of range
  bool is_unknown(int32_t id) const { return type_is(id, PieceType::kUnknown); }
  bool is_control(int32_t id) const { return type_is(id, PieceType::kControl); }
  int32_t unk_id() const { return unk_id_; }
  // The id of the trainer spec's bos/eos/pad piece when it is a control piece, else -1.
  int32_t bos_id() const { return control_or_none(model_.trainer_spec.bos_piece); }
  int32_t eos_id() const { return control_or_none(model_.trainer_spec.eos_piece); }
  int32_t pad_id() const { return control_or_none(model_.trainer_spec.pad_piece); }
  const ModelProto& model() const { return model_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept;
  };
  using PieceMap = std::unordered_map<std::string, int32_t, Hash, std::equal_to<>>;
  // (normalized text, for every byte of it plus one the input offset it came from)
  struct Normalized {
    std::string text;
    std::vector<uint32_t> to_orig;
  };
  using Segment = std::pair<std::string_view, int32_t>;  // (surface in normalized text, id)

  bool type_is(int32_t id, PieceType t) const {
    return id >= 0 && id < size() && model_.pieces[static_cast<size_t>(id)].type == t;
  }
  int32_t control_or_none(const std::string& piece) const {
    const int32_t id = piece_to_id(piece);
    return is_control(id) ? id : -1;
  }
  std::pair<std::string_view, size_t> normalize_prefix(std::string_view input) const;
  Normalized normalize(std::string_view input) const;
  size_t user_prefix(std::string_view w, bool* found) const;
  std::vector<Segment> encode_unigram(std::string_view s) const;
  std::vector<Segment> encode_bpe(std::string_view s) const;
  std::vector<Segment> encode_word(std::string_view s) const;
  std::vector<Segment> encode_char(std::string_view s) const;
  std::optional<int32_t> find_normal(std::string_view piece) const;

  ModelProto model_;
  PieceMap normal_;    // NORMAL, USER_DEFINED and UNUSED pieces
  PieceMap reserved_;  // UNKNOWN, CONTROL and BYTE pieces
  PieceMap user_defined_;
  size_t max_user_defined_ = 0;
  size_t max_piece_ = 0;
  int32_t unk_id_ = -1;
  int32_t byte_ids_[256] = {};
  float min_score_ = 0.0f;
  float max_score_ = 0.0f;
  // The precompiled charsmap: darts-clone units and NUL-terminated replacements.
  std::vector<uint32_t> trie_;
  std::string replacements_;
};

}  // namespace crema::nn::spm
