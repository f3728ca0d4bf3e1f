// SentencePiece ModelProto reader and encoder (spm_model.h). The algorithms follow
// libsentencepiece 0.1.x: Normalizer::Normalize, unigram Model::EncodeOptimized, bpe
// Model::Encode and SentencePieceProcessor's PopulateSentencePieceText.
#include "spm_model.h"

#include <algorithm>
#include <cfloat>
#include <cstdio>
#include <cstring>
#include <queue>
#include <set>

namespace crema::nn::spm {
namespace {

// ---- protobuf wire format ----

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

struct Field {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t varint = 0;     // kVarint, kFixed64 and kFixed32 values
  std::string_view bytes;  // kBytes payload
};

bool read_varint(std::string_view in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const auto b = static_cast<uint8_t>(in[pos++]);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;  // more than 10 bytes
}

// Calls f(field) for every field of the message `msg`; `what` names it in errors.
template <class F>
Status for_each_field(std::string_view msg, const std::string& what, F&& f) {
  size_t pos = 0;
  while (pos < msg.size()) {
    uint64_t key = 0;
    if (!read_varint(msg, pos, key)) {
      return make_error(ErrorCode::kCorrupt, what + ": truncated field key at byte " + std::to_string(pos));
    }
    Field fld;
    fld.number = static_cast<uint32_t>(key >> 3);
    fld.wire = static_cast<uint32_t>(key & 7);
    if (fld.number == 0 || (key >> 3) > 0x1FFFFFFF) {
      return make_error(ErrorCode::kCorrupt, what + ": invalid field number " + std::to_string(key >> 3));
    }
    const std::string name = what + " field " + std::to_string(fld.number);
    switch (fld.wire) {
      case kVarint:
        if (!read_varint(msg, pos, fld.varint)) return make_error(ErrorCode::kCorrupt, name + ": truncated varint");
        break;
      case kFixed64:
      case kFixed32: {
        const size_t n = fld.wire == kFixed64 ? 8 : 4;
        if (msg.size() - pos < n) return make_error(ErrorCode::kCorrupt, name + ": truncated fixed" + std::to_string(n * 8));
        for (size_t k = 0; k < n; ++k) fld.varint |= static_cast<uint64_t>(static_cast<uint8_t>(msg[pos + k])) << (8 * k);
        pos += n;
        break;
      }
      case kBytes: {
        uint64_t len = 0;
        if (!read_varint(msg, pos, len)) return make_error(ErrorCode::kCorrupt, name + ": truncated length");
        if (len > msg.size() - pos) {
          return make_error(ErrorCode::kCorrupt, name + ": length " + std::to_string(len) + " runs past the end (" +
                                                     std::to_string(msg.size() - pos) + " bytes left)");
        }
        fld.bytes = msg.substr(pos, static_cast<size_t>(len));
        pos += static_cast<size_t>(len);
        break;
      }
      default:
        return make_error(ErrorCode::kCorrupt, name + ": unsupported wire type " + std::to_string(fld.wire));
    }
    if (auto st = f(fld); !st) return st;
  }
  return {};
}

Status expect_wire(const Field& f, uint32_t wire, const std::string& name) {
  if (f.wire == wire) return {};
  return make_error(ErrorCode::kCorrupt, name + ": wire type " + std::to_string(f.wire) + ", expected " + std::to_string(wire));
}

// Typed field readers: each checks the wire type and stores the value.
Status get(const Field& f, const std::string& name, std::string& out) {
  if (auto st = expect_wire(f, kBytes, name); !st) return st;
  out.assign(f.bytes);
  return {};
}
Status get(const Field& f, const std::string& name, bool& out) {
  if (auto st = expect_wire(f, kVarint, name); !st) return st;
  out = f.varint != 0;
  return {};
}
Status get(const Field& f, const std::string& name, int32_t& out) {
  if (auto st = expect_wire(f, kVarint, name); !st) return st;
  out = static_cast<int32_t>(static_cast<uint32_t>(f.varint));  // protobuf int32 truncation
  return {};
}
Status get(const Field& f, const std::string& name, float& out) {
  if (auto st = expect_wire(f, kFixed32, name); !st) return st;
  const auto bits = static_cast<uint32_t>(f.varint);
  std::memcpy(&out, &bits, sizeof out);
  return {};
}

template <class E>
Status get_enum(const Field& f, const std::string& name, int32_t lo, int32_t hi, E& out) {
  int32_t v = 0;
  if (auto st = get(f, name, v); !st) return st;
  if (v < lo || v > hi) return make_error(ErrorCode::kCorrupt, name + ": enum value " + std::to_string(v) + " out of range");
  out = static_cast<E>(v);
  return {};
}

Status parse_piece(std::string_view msg, const std::string& what, ModelPiece& p) {
  return for_each_field(msg, what, [&](const Field& f) -> Status {
    switch (f.number) {
      case 1: return get(f, what + ".piece", p.piece);
      case 2: return get(f, what + ".score", p.score);
      case 3: return get_enum(f, what + ".type", 1, 6, p.type);
      default: return {};
    }
  });
}

Status parse_trainer(std::string_view msg, const std::string& what, TrainerSpec& t) {
  return for_each_field(msg, what, [&](const Field& f) -> Status {
    switch (f.number) {
      case 3: return get_enum(f, what + ".model_type", 1, 4, t.model_type);
      case 4: return get(f, what + ".vocab_size", t.vocab_size);
      case 22: return get(f, what + ".split_by_whitespace", t.split_by_whitespace);
      case 24: return get(f, what + ".treat_whitespace_as_suffix", t.treat_whitespace_as_suffix);
      case 35: return get(f, what + ".byte_fallback", t.byte_fallback);
      case 40: return get(f, what + ".unk_id", t.unk_id);
      case 41: return get(f, what + ".bos_id", t.bos_id);
      case 42: return get(f, what + ".eos_id", t.eos_id);
      case 43: return get(f, what + ".pad_id", t.pad_id);
      case 45: return get(f, what + ".unk_piece", t.unk_piece);
      case 46: return get(f, what + ".bos_piece", t.bos_piece);
      case 47: return get(f, what + ".eos_piece", t.eos_piece);
      case 48: return get(f, what + ".pad_piece", t.pad_piece);
      default: return {};
    }
  });
}

Status parse_normalizer(std::string_view msg, const std::string& what, NormalizerSpec& n) {
  return for_each_field(msg, what, [&](const Field& f) -> Status {
    switch (f.number) {
      case 1: return get(f, what + ".name", n.name);
      case 2: return get(f, what + ".precompiled_charsmap", n.precompiled_charsmap);
      case 3: return get(f, what + ".add_dummy_prefix", n.add_dummy_prefix);
      case 4: return get(f, what + ".remove_extra_whitespaces", n.remove_extra_whitespaces);
      case 5: return get(f, what + ".escape_whitespaces", n.escape_whitespaces);
      default: return {};
    }
  });
}

// ---- UTF-8 helpers as libsentencepiece defines them ----

size_t one_char_len(char c) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[static_cast<uint8_t>(c) >> 4];
}

bool is_trail(char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; }
bool valid_cp(uint32_t c) { return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF); }

// string_util::IsValidDecodeUTF8: the length of a well-formed character at s[0], or 0.
size_t valid_char_len(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(s[i])); };
  if (b(0) < 0x80) return 1;
  if (s.size() >= 2 && (b(0) & 0xE0) == 0xC0) {
    const uint32_t cp = ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    if (is_trail(s[1]) && cp >= 0x80 && valid_cp(cp)) return 2;
  } else if (s.size() >= 3 && (b(0) & 0xF0) == 0xE0) {
    const uint32_t cp = ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    if (is_trail(s[1]) && is_trail(s[2]) && cp >= 0x800 && valid_cp(cp)) return 3;
  } else if (s.size() >= 4 && (b(0) & 0xF8) == 0xF0) {
    const uint32_t cp = ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    if (is_trail(s[1]) && is_trail(s[2]) && is_trail(s[3]) && cp >= 0x10000 && valid_cp(cp)) return 4;
  }
  return 0;
}

constexpr std::string_view kSpaceSymbol = "\xe2\x96\x81";  // U+2581

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Parses "<0xAB>" into 0xAB, or -1.
int piece_to_byte(std::string_view p) {
  if (p.size() != 6 || p.substr(0, 3) != "<0x" || p[5] != '>') return -1;
  int v = 0;
  for (size_t i = 3; i < 5; ++i) {
    const char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

}  // namespace

Result<ModelProto> parse_model_proto(std::string_view bytes, std::string_view source) {
  ModelProto m;
  const std::string what = std::string(source) + ": ModelProto";
  auto st = for_each_field(bytes, what, [&](const Field& f) -> Status {
    switch (f.number) {
      case 1: {
        const std::string name = what + ".pieces[" + std::to_string(m.pieces.size()) + "]";
        if (auto s = expect_wire(f, kBytes, name); !s) return s;
        ModelPiece p;
        if (auto s = parse_piece(f.bytes, name, p); !s) return s;
        m.pieces.push_back(std::move(p));
        return {};
      }
      case 2:
        if (auto s = expect_wire(f, kBytes, what + ".trainer_spec"); !s) return s;
        return parse_trainer(f.bytes, what + ".trainer_spec", m.trainer_spec);
      case 3:
        if (auto s = expect_wire(f, kBytes, what + ".normalizer_spec"); !s) return s;
        return parse_normalizer(f.bytes, what + ".normalizer_spec", m.normalizer_spec);
      default:
        return {};
    }
  });
  if (!st) return tl::unexpected(st.error());
  if (m.pieces.empty()) return make_error(ErrorCode::kCorrupt, what + ".pieces: no pieces (not a SentencePiece model?)");
  return m;
}

size_t Processor::Hash::operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }

Result<Processor> Processor::create(ModelProto model, std::string_view source) {
  Processor p;
  p.model_ = std::move(model);
  const std::string what = std::string(source) + ": ModelProto.pieces";
  const auto& pieces = p.model_.pieces;
  if (pieces.size() > static_cast<size_t>(INT32_MAX)) return make_error(ErrorCode::kCorrupt, what + ": too many pieces");
  std::fill(std::begin(p.byte_ids_), std::end(p.byte_ids_), -1);
  p.min_score_ = FLT_MAX;
  p.max_score_ = FLT_MIN;
  const bool byte_fallback = p.model_.trainer_spec.byte_fallback;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const auto& sp = pieces[i];
    const auto id = static_cast<int32_t>(i);
    const std::string name = what + "[" + std::to_string(i) + "]";
    if (sp.piece.empty()) return make_error(ErrorCode::kCorrupt, name + ": empty piece");
    const bool normal = sp.type == PieceType::kNormal || sp.type == PieceType::kUserDefined || sp.type == PieceType::kUnused;
    if (!(normal ? p.normal_ : p.reserved_).emplace(sp.piece, id).second) {
      return make_error(ErrorCode::kCorrupt, name + ": piece '" + sp.piece + "' is already defined");
    }
    if (normal) p.max_piece_ = std::max(p.max_piece_, sp.piece.size());
    if (sp.type == PieceType::kNormal) {
      p.min_score_ = std::min(p.min_score_, sp.score);
      p.max_score_ = std::max(p.max_score_, sp.score);
    }
    if (sp.type == PieceType::kUserDefined) {
      p.user_defined_.emplace(sp.piece, id);
      p.max_user_defined_ = std::max(p.max_user_defined_, sp.piece.size());
    }
    if (sp.type == PieceType::kUnknown) {
      if (p.unk_id_ >= 0) return make_error(ErrorCode::kCorrupt, name + ": a second UNKNOWN piece");
      p.unk_id_ = id;
    }
    if (sp.type == PieceType::kByte) {
      if (!byte_fallback) return make_error(ErrorCode::kCorrupt, name + ": BYTE piece although trainer_spec.byte_fallback is false");
      const int b = piece_to_byte(sp.piece);
      if (b < 0) return make_error(ErrorCode::kCorrupt, name + ": invalid BYTE piece '" + sp.piece + "'");
      p.byte_ids_[b] = id;
    }
  }
  if (p.unk_id_ < 0) return make_error(ErrorCode::kCorrupt, what + ": no UNKNOWN piece");
  if (byte_fallback && std::count(std::begin(p.byte_ids_), std::end(p.byte_ids_), -1) > 0) {
    return make_error(ErrorCode::kCorrupt, what + ": byte_fallback is set but some of the 256 BYTE pieces are missing");
  }
  const auto& blob = p.model_.normalizer_spec.precompiled_charsmap;
  if (!blob.empty()) {
    const std::string name = std::string(source) + ": ModelProto.normalizer_spec.precompiled_charsmap";
    uint32_t trie_bytes = 0;
    if (blob.size() <= 4) return make_error(ErrorCode::kCorrupt, name + ": shorter than 5 bytes");
    for (size_t k = 0; k < 4; ++k) trie_bytes |= static_cast<uint32_t>(static_cast<uint8_t>(blob[k])) << (8 * k);
    if (trie_bytes == 0 || trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4) {
      return make_error(ErrorCode::kCorrupt, name + ": trie size " + std::to_string(trie_bytes) + " does not fit the " +
                                                 std::to_string(blob.size()) + "-byte blob");
    }
    p.trie_.resize(trie_bytes / 4);
    for (size_t u = 0; u < p.trie_.size(); ++u) {
      uint32_t v = 0;
      for (size_t k = 0; k < 4; ++k) v |= static_cast<uint32_t>(static_cast<uint8_t>(blob[4 + 4 * u + k])) << (8 * k);
      p.trie_[u] = v;
    }
    p.replacements_ = blob.substr(4 + trie_bytes);
  }
  return p;
}

int32_t Processor::piece_to_id(std::string_view piece) const {
  if (const auto it = reserved_.find(piece); it != reserved_.end()) return it->second;
  if (const auto it = normal_.find(piece); it != normal_.end()) return it->second;
  return unk_id_;
}

const std::string& Processor::id_to_piece(int32_t id) const {
  static const std::string kEmpty;
  if (id < 0 || id >= size()) return kEmpty;
  return model_.pieces[static_cast<size_t>(id)].piece;
}

std::optional<int32_t> Processor::find_normal(std::string_view piece) const {
  const auto it = normal_.find(piece);
  if (it == normal_.end()) return std::nullopt;
  return it->second;
}

// PrefixMatcher::PrefixMatch: the longest user-defined piece at w[0] (found = true), else
// one character.
size_t Processor::user_prefix(std::string_view w, bool* found) const {
  *found = false;
  size_t len = 0;
  for (size_t n = std::min(max_user_defined_, w.size()); n > 0; --n) {
    if (user_defined_.find(w.substr(0, n)) != user_defined_.end()) {
      len = n;
      *found = true;
      break;
    }
  }
  return *found ? len : std::min(w.size(), one_char_len(w[0]));
}

// Normalizer::NormalizePrefix: (replacement, bytes consumed) for the start of `input`.
std::pair<std::string_view, size_t> Processor::normalize_prefix(std::string_view input) const {
  bool user = false;
  const size_t ulen = user_prefix(input, &user);
  if (user) return {input.substr(0, ulen), ulen};
  size_t longest = 0;
  std::string_view rep;
  if (!trie_.empty()) {
    // darts-clone common-prefix search; every index is bounds-checked against hostile tries.
    size_t node = trie_[0] >> 10 << ((trie_[0] & (1u << 9)) >> 6);
    for (size_t i = 0; i < input.size(); ++i) {
      const auto c = static_cast<uint8_t>(input[i]);
      node ^= c;
      if (node >= trie_.size()) break;
      const uint32_t unit = trie_[node];
      if ((unit & ((1u << 31) | 0xFFu)) != c) break;
      node ^= (unit >> 10) << ((unit & (1u << 9)) >> 6);
      if (node >= trie_.size()) break;
      if (((unit >> 8) & 1u) != 0) {
        const size_t value = trie_[node] & 0x7FFFFFFFu;
        if (value < replacements_.size()) {
          const size_t z = replacements_.find('\0', value);
          longest = i + 1;
          rep = std::string_view(replacements_).substr(value, (z == std::string::npos ? replacements_.size() : z) - value);
        }
      }
    }
  }
  if (longest > 0) return {rep, longest};
  const size_t n = valid_char_len(input);
  if (n == 0) {
    // A literal U+FFFD is valid input; a malformed byte becomes U+FFFD and consumes 1 byte.
    if (input.substr(0, 3) == "\xEF\xBF\xBD") return {input.substr(0, 3), 3};
    return {"\xEF\xBF\xBD", 1};
  }
  return {input.substr(0, n), n};
}

Processor::Normalized Processor::normalize(std::string_view input) const {
  Normalized out;
  const auto& spec = model_.normalizer_spec;
  const bool suffix = model_.trainer_spec.treat_whitespace_as_suffix;
  size_t consumed = 0;
  if (input.empty()) return out;
  if (spec.remove_extra_whitespaces) {
    while (!input.empty()) {
      const auto [rep, len] = normalize_prefix(input);
      if (rep != " ") break;
      input.remove_prefix(len);
      consumed += len;
    }
  }
  if (input.empty()) return out;
  auto push = [&](std::string_view bytes) {
    out.text.append(bytes);
    out.to_orig.resize(out.text.size(), static_cast<uint32_t>(consumed));
  };
  const std::string_view space = spec.escape_whitespaces ? kSpaceSymbol : std::string_view(" ");
  if (!suffix && spec.add_dummy_prefix) push(space);
  bool prev_space = spec.remove_extra_whitespaces;
  while (!input.empty()) {
    auto [sp, len] = normalize_prefix(input);
    if (prev_space) {
      while (!sp.empty() && sp[0] == ' ') sp.remove_prefix(1);
    }
    if (!sp.empty()) {
      for (const char c : sp) push(spec.escape_whitespaces && c == ' ' ? kSpaceSymbol : std::string_view(&c, 1));
      prev_space = sp.back() == ' ';
    }
    consumed += len;
    input.remove_prefix(len);
    if (!spec.remove_extra_whitespaces) prev_space = false;
  }
  if (spec.remove_extra_whitespaces) {
    while (ends_with(out.text, space)) {
      const size_t length = out.text.size() - space.size();
      consumed = out.to_orig[length];
      out.text.resize(length);
      out.to_orig.resize(length);
    }
  }
  if (suffix && spec.add_dummy_prefix) push(space);
  out.to_orig.push_back(static_cast<uint32_t>(consumed));
  return out;
}

std::vector<Processor::Segment> Processor::encode_unigram(std::string_view s) const {
  struct Node {
    int32_t id = -1;
    float score = 0.0f;
    int64_t start = -1;
  };
  const size_t n = s.size();
  const float unk_score = min_score_ - 10.0f;  // kUnkPenalty
  std::vector<Node> best(n + 1);
  for (size_t start = 0; start < n;) {
    const float base = best[start].score;
    bool has_single = false;
    const size_t mblen = std::min(one_char_len(s[start]), n - start);
    const size_t limit = std::min(n, start + max_piece_);
    for (size_t end = start + 1; end <= limit; ++end) {
      const auto id = find_normal(s.substr(start, end - start));
      if (!id) continue;
      const auto& piece = model_.pieces[static_cast<size_t>(*id)];
      if (piece.type == PieceType::kUnused) continue;
      const size_t length = end - start;
      // User-defined pieces get a bonus so that they always win (as in libsentencepiece,
      // the sum is computed in double and stored as float).
      const double score = piece.type == PieceType::kUserDefined
                               ? static_cast<double>(static_cast<float>(length) * max_score_) - 0.1
                               : static_cast<double>(piece.score);
      const double cand = score + static_cast<double>(base);
      Node& t = best[end];
      if (t.start == -1 || cand > static_cast<double>(t.score)) {
        t = {*id, static_cast<float>(cand), static_cast<int64_t>(start)};
      }
      if (length == mblen) has_single = true;
    }
    if (!has_single) {
      Node& t = best[start + mblen];
      const float cand = unk_score + base;
      if (t.start == -1 || cand > t.score) t = {unk_id_, cand, static_cast<int64_t>(start)};
    }
    start += mblen;
  }
  std::vector<Segment> out;
  for (size_t end = n; end > 0;) {
    const Node& node = best[end];
    const auto start = static_cast<size_t>(node.start);
    out.emplace_back(s.substr(start, end - start), node.id);
    end = start;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<Processor::Segment> Processor::encode_bpe(std::string_view s) const {
  struct Symbol {
    int64_t prev;
    int64_t next;
    bool freeze;
    std::string_view piece;
  };
  struct Pair {
    int64_t left;
    int64_t right;
    float score;
    size_t size;
  };
  struct Lower {
    bool operator()(const Pair& a, const Pair& b) const {
      return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
  };
  std::vector<Symbol> symbols;
  std::priority_queue<Pair, std::vector<Pair>, Lower> agenda;
  std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> rev_merge;
  auto maybe_add = [&](int64_t left, int64_t right) {
    if (left == -1 || right == -1) return;
    const auto& l = symbols[static_cast<size_t>(left)];
    const auto& r = symbols[static_cast<size_t>(right)];
    if (l.freeze || r.freeze) return;
    const std::string_view piece(l.piece.data(), l.piece.size() + r.piece.size());
    const auto id = find_normal(piece);
    if (!id) return;
    const auto& mp = model_.pieces[static_cast<size_t>(*id)];
    agenda.push({left, right, mp.score, piece.size()});
    if (mp.type == PieceType::kUnused) rev_merge[piece] = {l.piece, r.piece};
  };
  for (std::string_view rest = s; !rest.empty();) {
    Symbol sym{};
    const size_t len = user_prefix(rest, &sym.freeze);
    sym.piece = rest.substr(0, len);
    const auto index = static_cast<int64_t>(symbols.size());
    sym.prev = index - 1;
    rest.remove_prefix(len);
    sym.next = rest.empty() ? -1 : index + 1;
    symbols.push_back(sym);
  }
  if (symbols.empty()) return {};
  for (size_t i = 1; i < symbols.size(); ++i) maybe_add(static_cast<int64_t>(i - 1), static_cast<int64_t>(i));
  while (!agenda.empty()) {
    const Pair top = agenda.top();
    agenda.pop();
    auto& l = symbols[static_cast<size_t>(top.left)];
    auto& r = symbols[static_cast<size_t>(top.right)];
    if (l.piece.empty() || r.piece.empty() || l.piece.size() + r.piece.size() != top.size) continue;
    l.piece = std::string_view(l.piece.data(), l.piece.size() + r.piece.size());
    l.next = r.next;
    if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = top.left;
    r.piece = std::string_view();
    maybe_add(l.prev, top.left);
    maybe_add(top.left, l.next);
  }
  std::vector<Segment> out;
  // Pieces marked UNUSED are split back into the pieces they were merged from.
  auto resegment = [&](auto&& self, std::string_view w) -> void {
    const int32_t id = piece_to_id(w);
    const auto it = id >= 0 && model_.pieces[static_cast<size_t>(id)].type == PieceType::kUnused ? rev_merge.find(w)
                                                                                                  : rev_merge.end();
    if (it == rev_merge.end()) {
      out.emplace_back(w, id);
      return;
    }
    self(self, it->second.first);
    self(self, it->second.second);
  };
  for (int64_t i = 0; i != -1; i = symbols[static_cast<size_t>(i)].next) resegment(resegment, symbols[static_cast<size_t>(i)].piece);
  return out;
}

// WORD model: each U+2581 starts a new word; words are looked up whole.
std::vector<Processor::Segment> Processor::encode_word(std::string_view s) const {
  std::vector<Segment> out;
  size_t word = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t len = std::min(one_char_len(s[i]), s.size() - i);
    if (i > 0 && s.substr(i, len) == kSpaceSymbol) {
      out.emplace_back(s.substr(word, i - word), piece_to_id(s.substr(word, i - word)));
      word = i;
    }
    i += len;
  }
  if (!s.empty()) out.emplace_back(s.substr(word), piece_to_id(s.substr(word)));
  return out;
}

std::vector<Processor::Segment> Processor::encode_char(std::string_view s) const {
  std::vector<Segment> out;
  while (!s.empty()) {
    bool user = false;
    const size_t len = user_prefix(s, &user);
    out.emplace_back(s.substr(0, len), piece_to_id(s.substr(0, len)));
    s.remove_prefix(len);
  }
  return out;
}

void Processor::encode(std::string_view input, std::vector<SpmToken>& out) const {
  const Normalized norm = normalize(input);
  if (norm.text.empty()) return;
  const std::string_view s(norm.text);
  std::vector<Segment> segs;
  switch (model_.trainer_spec.model_type) {
    case ModelType::kUnigram: segs = encode_unigram(s); break;
    case ModelType::kBpe: segs = encode_bpe(s); break;
    case ModelType::kWord: segs = encode_word(s); break;
    case ModelType::kChar: segs = encode_char(s); break;
  }
  // PopulateSentencePieceText: map back to input offsets, split unknown text into byte
  // pieces (byte fallback) or fuse runs of unknown pieces into one.
  size_t consumed = 0;
  bool prev_unk = false;
  const bool byte_fallback = model_.trainer_spec.byte_fallback;
  for (const auto& [w, id] : segs) {
    const bool unk = is_unknown(id);
    if (is_control(id)) {
      const uint32_t at = norm.to_orig[consumed];
      out.push_back({id, at, at});
    } else {
      const uint32_t b = norm.to_orig[consumed];
      const uint32_t e = std::max(b, norm.to_orig[consumed + w.size()]);
      if (unk && byte_fallback) {
        for (size_t k = 0; k < w.size(); ++k) {
          const int32_t bid = byte_ids_[static_cast<uint8_t>(w[k])];
          out.push_back({bid, b, k + 1 == w.size() ? e : b});
        }
      } else if (prev_unk && unk && !out.empty()) {
        out.back().end = e;
      } else {
        out.push_back({id, b, e});
      }
      consumed += w.size();
    }
    prev_unk = unk;
  }
}

}  // namespace crema::nn::spm
