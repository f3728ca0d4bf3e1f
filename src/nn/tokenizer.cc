// Tokenizer front end: encoding with special tokens, truncation and padding; the
// tokenizer.json parser; model-folder loading (docs/tokenizers.md).
#include "crema/nn/tokenizer.h"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>

#include "crema/common/file_io.h"
#include "crema/common/utf8.h"
#include "tokenizer_internal.h"

namespace crema::nn {

Encoding Tokenizer::encode(std::string_view text, size_t max_len, bool add_special_tokens) const {
  std::vector<Piece> content;
  tokenize(text, content);
  const size_t specials = add_special_tokens ? num_special_tokens() : 0;
  if (max_len > 0) {
    const size_t budget = max_len > specials ? max_len - specials : 0;
    if (content.size() > budget) content.resize(budget);
  }
  Encoding enc;
  const size_t n = content.size() + specials;
  enc.ids.reserve(n);
  enc.type_ids.reserve(n);
  enc.offsets.reserve(n);
  enc.special_mask.reserve(n);
  auto add_special = [&](const Special& s) {
    enc.ids.push_back(s.id);
    enc.type_ids.push_back(s.type_id);
    enc.offsets.emplace_back(0, 0);
    enc.special_mask.push_back(1);
  };
  if (add_special_tokens) {
    for (const auto& s : special_prefix_) add_special(s);
  }
  for (const auto& p : content) {
    enc.ids.push_back(p.id);
    enc.type_ids.push_back(content_type_id_);
    enc.offsets.emplace_back(p.begin, p.end);
    enc.special_mask.push_back(0);
  }
  if (add_special_tokens) {
    for (const auto& s : special_suffix_) add_special(s);
  }
  enc.attention_mask.assign(enc.ids.size(), 1);
  return enc;
}

BatchEncoding Tokenizer::encode_batch(std::span<const std::string_view> texts, size_t max_len, Padding padding,
                                      bool add_special_tokens) const {
  std::vector<Encoding> rows;
  rows.reserve(texts.size());
  size_t longest = 0;
  for (const auto t : texts) {
    rows.push_back(encode(t, max_len, add_special_tokens));
    longest = std::max(longest, rows.back().ids.size());
  }
  BatchEncoding b;
  b.batch = texts.size();
  b.seq_len = (padding == Padding::kMaxLen && max_len > 0) ? max_len : longest;
  b.ids.assign(b.batch * b.seq_len, pad_id_);
  b.attention_mask.assign(b.batch * b.seq_len, 0);
  b.type_ids.assign(b.batch * b.seq_len, 0);
  b.lengths.resize(b.batch);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const size_t off = i * b.seq_len;
    std::copy(r.ids.begin(), r.ids.end(), b.ids.begin() + static_cast<std::ptrdiff_t>(off));
    std::copy(r.type_ids.begin(), r.type_ids.end(), b.type_ids.begin() + static_cast<std::ptrdiff_t>(off));
    std::fill_n(b.attention_mask.begin() + static_cast<std::ptrdiff_t>(off), r.ids.size(), 1);
    b.lengths[i] = static_cast<uint32_t>(r.ids.size());
  }
  return b;
}

namespace tok {
namespace {

// Whether a well-formed word character (regex \w) starts at text[i].
bool word_char_at(std::string_view text, size_t i) {
  if (utf8_sequence_length(text, i) == 0) return false;
  size_t n = 0;
  return is_word_char(decode_at(text, i, &n));
}

}  // namespace

PipelineTokenizer::PipelineTokenizer(Parts parts)
    : added_(std::move(parts.added)),
      normalizer_(std::move(parts.normalizer)),
      pre_tokenizer_(std::move(parts.pre_tokenizer)),
      model_(std::move(parts.model)),
      trim_offsets_(parts.trim_offsets) {
  pad_id_ = parts.pad_id;
  content_type_id_ = parts.content_type_id;
  for (const auto& [id, type] : parts.prefix) special_prefix_.push_back({id, type});
  for (const auto& [id, type] : parts.suffix) special_suffix_.push_back({id, type});
  // Longest first, so that the scan below finds the leftmost-longest added token.
  std::stable_sort(added_.begin(), added_.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
}

size_t PipelineTokenizer::vocab_size() const {
  size_t n = model_->vocab_size();
  for (const auto& a : added_) n = std::max(n, static_cast<size_t>(a.id) + 1);
  return n;
}

std::optional<int32_t> PipelineTokenizer::token_to_id(std::string_view token) const {
  for (const auto& a : added_) {
    if (a.content == token) return a.id;
  }
  return model_->token_to_id(token);
}

std::string PipelineTokenizer::id_to_token(int32_t id) const {
  for (const auto& a : added_) {
    if (a.id == id) return a.content;
  }
  return model_->id_to_token(id);
}

void PipelineTokenizer::tokenize(std::string_view text, std::vector<Tokenizer::Piece>& out) const {
  size_t section = 0;
  size_t i = 0;
  bool first = true;
  while (i < text.size() && !added_.empty()) {
    const AddedToken* hit = nullptr;
    for (const auto& a : added_) {
      if (!a.content.empty() && text.compare(i, a.content.size(), a.content) == 0) {
        hit = &a;
        break;
      }
    }
    if (hit != nullptr && hit->single_word) {
      const size_t e = i + hit->content.size();
      size_t p = i;
      while (p > 0 && (static_cast<unsigned char>(text[p - 1]) & 0xC0) == 0x80 && i - p < 3) --p;
      if (p > 0) --p;
      const bool left_ok = i == 0 || !word_char_at(text, p);
      const bool right_ok = e >= text.size() || !word_char_at(text, e);
      if (!left_ok || !right_ok) hit = nullptr;
    }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    size_t start = i;
    size_t end = i + hit->content.size();
    if (hit->lstrip) {
      while (start > section && is_whitespace(static_cast<unsigned char>(text[start - 1]))) --start;
    }
    if (hit->rstrip) {
      while (end < text.size() && is_whitespace(static_cast<unsigned char>(text[end]))) ++end;
    }
    if (start > section) tokenize_section(text.substr(section, start - section), static_cast<uint32_t>(section), first, out);
    out.push_back({hit->id, static_cast<uint32_t>(i), static_cast<uint32_t>(i + hit->content.size())});
    first = false;
    section = end;
    i = end;
  }
  if (section < text.size()) tokenize_section(text.substr(section), static_cast<uint32_t>(section), first, out);
  if (trim_offsets_) {
    for (auto& p : out) {
      while (p.end - p.begin > 1 && is_whitespace(static_cast<unsigned char>(text[p.begin]))) ++p.begin;
      while (p.end - p.begin > 1 && is_whitespace(static_cast<unsigned char>(text[p.end - 1]))) --p.end;
    }
  }
}

void PipelineTokenizer::tokenize_section(std::string_view text, uint32_t base, bool first,
                                         std::vector<Tokenizer::Piece>& out) const {
  AlignedText t = make_aligned(text, base);
  if (normalizer_) normalizer_->apply(t);
  if (t.text.empty()) return;
  std::vector<AlignedText> pieces;
  pieces.push_back(std::move(t));
  if (pre_tokenizer_) pre_tokenizer_->apply(pieces, first);
  std::vector<tok::Piece> sub;
  for (const auto& p : pieces) {
    if (p.text.empty()) continue;
    sub.clear();
    model_->tokenize(p.text, sub);
    for (const auto& s : sub) {
      out.push_back({s.id, p.begin[s.begin], p.end[s.end - 1]});
    }
  }
}

}  // namespace tok

// ---- tokenizer.json ---------------------------------------------------------------------

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

struct Ctx {
  std::string source;
  tl::unexpected<Error> error(ErrorCode code, const std::string& what) const {
    return make_error(code, source + ": " + what);
  }
};

std::optional<element> field(const object& o, std::string_view name) {
  element e;
  if (o.at_key(name).get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  return e;
}

Result<bool> get_bool(const Ctx& c, const object& o, std::string_view name, bool dflt) {
  const auto e = field(o, name);
  if (!e) return dflt;
  bool v = false;
  if (e->get(v) != simdjson::SUCCESS) return c.error(ErrorCode::kParseError, "\"" + std::string(name) + "\" is not a boolean");
  return v;
}

Result<std::optional<bool>> get_opt_bool(const Ctx& c, const object& o, std::string_view name) {
  const auto e = field(o, name);
  if (!e) return std::optional<bool>();
  bool v = false;
  if (e->get(v) != simdjson::SUCCESS) return c.error(ErrorCode::kParseError, "\"" + std::string(name) + "\" is not a boolean");
  return std::optional<bool>(v);
}

Result<std::optional<std::string>> get_opt_string(const Ctx& c, const object& o, std::string_view name) {
  const auto e = field(o, name);
  if (!e) return std::optional<std::string>();
  std::string_view v;
  if (e->get(v) != simdjson::SUCCESS) return c.error(ErrorCode::kParseError, "\"" + std::string(name) + "\" is not a string");
  return std::optional<std::string>(std::string(v));
}

Result<std::string> get_string(const Ctx& c, const object& o, std::string_view name, std::string_view what) {
  auto v = get_opt_string(c, o, name);
  if (!v) return tl::unexpected(v.error());
  if (!*v) return c.error(ErrorCode::kParseError, std::string(what) + " lacks \"" + std::string(name) + "\"");
  return **v;
}

Result<int64_t> get_int(const Ctx& c, const element& e, std::string_view what) {
  int64_t v = 0;
  if (e.get(v) != simdjson::SUCCESS) {
    uint64_t u = 0;
    if (e.get(u) == simdjson::SUCCESS) return c.error(ErrorCode::kCorrupt, std::string(what) + " is out of range");
    return c.error(ErrorCode::kParseError, std::string(what) + " is not an integer");
  }
  return v;
}

Result<object> get_object(const Ctx& c, const element& e, std::string_view what) {
  object o;
  if (e.get(o) != simdjson::SUCCESS) return c.error(ErrorCode::kParseError, std::string(what) + " is not an object");
  return o;
}

Result<array> get_array(const Ctx& c, const element& e, std::string_view what) {
  array a;
  if (e.get(a) != simdjson::SUCCESS) return c.error(ErrorCode::kParseError, std::string(what) + " is not an array");
  return a;
}

Result<std::string> type_of(const Ctx& c, const object& o, std::string_view what) {
  return get_string(c, o, "type", what);
}

// {"String": "..."} or {"Regex": "..."}
Result<std::pair<std::string, bool>> get_pattern(const Ctx& c, const object& o, std::string_view what) {
  const auto e = field(o, "pattern");
  if (!e) return c.error(ErrorCode::kParseError, std::string(what) + " lacks \"pattern\"");
  auto po = get_object(c, *e, std::string(what) + " pattern");
  if (!po) return tl::unexpected(po.error());
  if (auto s = get_opt_string(c, *po, "String"); s && *s) return std::make_pair(**s, false);
  if (auto r = get_opt_string(c, *po, "Regex"); r && *r) return std::make_pair(**r, true);
  return c.error(ErrorCode::kParseError, std::string(what) + " pattern is neither {\"String\"} nor {\"Regex\"}");
}

Result<tok::SplitBehavior> get_behavior(const Ctx& c, const object& o, tok::SplitBehavior dflt) {
  auto b = get_opt_string(c, o, "behavior");
  if (!b) return tl::unexpected(b.error());
  if (!*b) return dflt;
  const std::string& s = **b;
  if (s == "Removed") return tok::SplitBehavior::kRemoved;
  if (s == "Isolated") return tok::SplitBehavior::kIsolated;
  if (s == "MergedWithPrevious") return tok::SplitBehavior::kMergedWithPrevious;
  if (s == "MergedWithNext") return tok::SplitBehavior::kMergedWithNext;
  if (s == "Contiguous") return tok::SplitBehavior::kContiguous;
  return c.error(ErrorCode::kUnsupported, "unknown split behavior \"" + s + "\"");
}

Result<std::string> base64_decode(const Ctx& c, std::string_view in) {
  auto val = [](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (const char ch : in) {
    if (ch == '=') break;
    const int v = val(ch);
    if (v < 0) return c.error(ErrorCode::kCorrupt, "precompiled_charsmap is not base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

Result<std::unique_ptr<tok::Normalizer>> parse_normalizer(const Ctx& c, const element& e, int depth) {
  if (depth > 16) return c.error(ErrorCode::kCorrupt, "normalizers nested too deeply");
  auto o = get_object(c, e, "normalizer");
  if (!o) return tl::unexpected(o.error());
  auto type = type_of(c, *o, "normalizer");
  if (!type) return tl::unexpected(type.error());
  const std::string& t = *type;
  if (t == "BertNormalizer") {
    auto clean = get_bool(c, *o, "clean_text", true);
    auto chinese = get_bool(c, *o, "handle_chinese_chars", true);
    auto strip = get_opt_bool(c, *o, "strip_accents");
    auto lower = get_bool(c, *o, "lowercase", true);
    if (!clean || !chinese || !strip || !lower) {
      return c.error(ErrorCode::kParseError, "BertNormalizer has a field of the wrong type");
    }
    return tok::make_bert_normalizer(*clean, *chinese, *strip, *lower);
  }
  if (t == "Lowercase") return tok::make_lowercase();
  if (t == "NFC" || t == "NFD" || t == "NFKC" || t == "NFKD") {
    auto n = tok::make_unicode_normalizer(t);
    if (!n) return c.error(n.error().code, n.error().message);
    return n;
  }
  if (t == "StripAccents") return tok::make_strip_accents();
  if (t == "Strip") {
    auto l = get_bool(c, *o, "strip_left", true);
    auto r = get_bool(c, *o, "strip_right", true);
    if (!l || !r) return c.error(ErrorCode::kParseError, "Strip has a field of the wrong type");
    return tok::make_strip(*l, *r);
  }
  if (t == "Prepend") {
    auto p = get_string(c, *o, "prepend", "Prepend normalizer");
    if (!p) return tl::unexpected(p.error());
    return tok::make_prepend(*p);
  }
  if (t == "Replace") {
    auto p = get_pattern(c, *o, "Replace normalizer");
    if (!p) return tl::unexpected(p.error());
    auto content = get_string(c, *o, "content", "Replace normalizer");
    if (!content) return tl::unexpected(content.error());
    auto r = tok::make_replace(p->first, p->second, *content);
    if (!r) return c.error(r.error().code, "Replace normalizer: " + r.error().message);
    return r;
  }
  if (t == "Precompiled") {
    auto s = get_opt_string(c, *o, "precompiled_charsmap");
    if (!s) return tl::unexpected(s.error());
    // An absent charsmap (identity rules) normalizes nothing.
    if (!*s || (*s)->empty()) return tok::make_normalizer_sequence({});
    auto bytes = base64_decode(c, **s);
    if (!bytes) return tl::unexpected(bytes.error());
    auto p = tok::make_precompiled(std::move(*bytes));
    if (!p) return c.error(p.error().code, p.error().message);
    return p;
  }
  if (t == "Sequence") {
    const auto items = field(*o, "normalizers");
    if (!items) return c.error(ErrorCode::kParseError, "Sequence normalizer lacks \"normalizers\"");
    auto arr = get_array(c, *items, "normalizers");
    if (!arr) return tl::unexpected(arr.error());
    std::vector<std::unique_ptr<tok::Normalizer>> list;
    for (const element item : *arr) {
      auto n = parse_normalizer(c, item, depth + 1);
      if (!n) return tl::unexpected(n.error());
      list.push_back(std::move(*n));
    }
    return tok::make_normalizer_sequence(std::move(list));
  }
  return c.error(ErrorCode::kUnsupported, "unknown normalizer type \"" + t + "\"");
}

Result<std::unique_ptr<tok::PreTokenizer>> parse_pre_tokenizer(const Ctx& c, const element& e, int depth) {
  if (depth > 16) return c.error(ErrorCode::kCorrupt, "pre-tokenizers nested too deeply");
  auto o = get_object(c, e, "pre_tokenizer");
  if (!o) return tl::unexpected(o.error());
  auto type = type_of(c, *o, "pre_tokenizer");
  if (!type) return tl::unexpected(type.error());
  const std::string& t = *type;
  if (t == "BertPreTokenizer") return tok::make_bert_pre_tokenizer();
  if (t == "Whitespace") return tok::make_whitespace();
  if (t == "WhitespaceSplit") return tok::make_whitespace_split();
  if (t == "Punctuation") {
    auto b = get_behavior(c, *o, tok::SplitBehavior::kIsolated);
    if (!b) return tl::unexpected(b.error());
    return tok::make_punctuation(*b);
  }
  if (t == "Digits") {
    auto ind = get_bool(c, *o, "individual_digits", false);
    if (!ind) return tl::unexpected(ind.error());
    return tok::make_digits(*ind);
  }
  if (t == "Split") {
    auto p = get_pattern(c, *o, "Split pre-tokenizer");
    if (!p) return tl::unexpected(p.error());
    auto b = get_behavior(c, *o, tok::SplitBehavior::kRemoved);
    if (!b) return tl::unexpected(b.error());
    auto inv = get_bool(c, *o, "invert", false);
    if (!inv) return tl::unexpected(inv.error());
    auto s = tok::make_split(p->first, p->second, *b, *inv);
    if (!s) return c.error(s.error().code, "Split pre-tokenizer: " + s.error().message);
    return s;
  }
  if (t == "ByteLevel") {
    auto aps = get_bool(c, *o, "add_prefix_space", true);
    auto regex = get_bool(c, *o, "use_regex", true);
    if (!aps || !regex) return c.error(ErrorCode::kParseError, "ByteLevel has a field of the wrong type");
    return tok::make_byte_level(*aps, *regex);
  }
  if (t == "Metaspace") {
    auto rep = get_opt_string(c, *o, "replacement");
    auto scheme = get_opt_string(c, *o, "prepend_scheme");
    auto aps = get_bool(c, *o, "add_prefix_space", true);
    auto split = get_bool(c, *o, "split", true);
    if (!rep || !scheme || !aps || !split) return c.error(ErrorCode::kParseError, "Metaspace has a field of the wrong type");
    std::string prepend = *scheme ? **scheme : (*aps ? "always" : "never");
    if (prepend != "always" && prepend != "never" && prepend != "first") {
      return c.error(ErrorCode::kUnsupported, "Metaspace prepend_scheme \"" + prepend + "\" is unknown");
    }
    std::string r = rep->value_or("\xE2\x96\x81");
    if (r.empty()) return c.error(ErrorCode::kParseError, "Metaspace replacement is empty");
    return tok::make_metaspace(r, prepend, *split);
  }
  if (t == "Sequence") {
    const auto items = field(*o, "pretokenizers");
    if (!items) return c.error(ErrorCode::kParseError, "Sequence pre-tokenizer lacks \"pretokenizers\"");
    auto arr = get_array(c, *items, "pretokenizers");
    if (!arr) return tl::unexpected(arr.error());
    std::vector<std::unique_ptr<tok::PreTokenizer>> list;
    for (const element item : *arr) {
      auto p = parse_pre_tokenizer(c, item, depth + 1);
      if (!p) return tl::unexpected(p.error());
      list.push_back(std::move(*p));
    }
    return tok::make_pre_tokenizer_sequence(std::move(list));
  }
  return c.error(ErrorCode::kUnsupported, "unknown pre_tokenizer type \"" + t + "\"");
}

Result<tok::Vocab> parse_vocab_object(const Ctx& c, const object& model) {
  const auto e = field(model, "vocab");
  if (!e) return c.error(ErrorCode::kParseError, "model lacks \"vocab\"");
  auto o = get_object(c, *e, "model.vocab");
  if (!o) return tl::unexpected(o.error());
  std::vector<std::pair<std::string, int64_t>> pairs;
  pairs.reserve(o->size());
  for (const auto kv : *o) {
    auto id = get_int(c, kv.value, "id of vocab token '" + std::string(kv.key) + "'");
    if (!id) return tl::unexpected(id.error());
    pairs.emplace_back(std::string(kv.key), *id);
  }
  return tok::Vocab::from_pairs(std::move(pairs), c.source);
}

Result<std::unique_ptr<tok::Model>> parse_model(const Ctx& c, const element& e) {
  auto o = get_object(c, e, "model");
  if (!o) return tl::unexpected(o.error());
  auto type = get_opt_string(c, *o, "type");
  if (!type) return tl::unexpected(type.error());
  std::string t = type->value_or("");
  if (t.empty()) {
    // Old files omit the type: infer it from the fields.
    if (field(*o, "merges")) t = "BPE";
    else if (const auto v = field(*o, "vocab"); v && v->is_array()) t = "Unigram";
    else t = "WordPiece";
  }
  if (t == "WordPiece") {
    auto vocab = parse_vocab_object(c, *o);
    if (!vocab) return tl::unexpected(vocab.error());
    tok::WordPieceOptions opt;
    auto unk = get_opt_string(c, *o, "unk_token");
    auto prefix = get_opt_string(c, *o, "continuing_subword_prefix");
    if (!unk || !prefix) return c.error(ErrorCode::kParseError, "WordPiece has a field of the wrong type");
    if (*unk) opt.unk_token = **unk;
    if (*prefix) opt.prefix = **prefix;
    if (const auto m = field(*o, "max_input_chars_per_word")) {
      auto v = get_int(c, *m, "max_input_chars_per_word");
      if (!v) return tl::unexpected(v.error());
      if (*v < 0) return c.error(ErrorCode::kCorrupt, "max_input_chars_per_word is negative");
      opt.max_input_chars_per_word = static_cast<size_t>(*v);
    }
    auto m = tok::make_wordpiece(std::move(*vocab), std::move(opt), c.source);
    if (!m) return tl::unexpected(m.error());
    return m;
  }
  if (t == "BPE") {
    auto vocab = parse_vocab_object(c, *o);
    if (!vocab) return tl::unexpected(vocab.error());
    tok::BpeOptions opt;
    auto unk = get_opt_string(c, *o, "unk_token");
    auto prefix = get_opt_string(c, *o, "continuing_subword_prefix");
    auto suffix = get_opt_string(c, *o, "end_of_word_suffix");
    auto fuse = get_bool(c, *o, "fuse_unk", false);
    auto bf = get_bool(c, *o, "byte_fallback", false);
    auto im = get_bool(c, *o, "ignore_merges", false);
    if (!unk || !prefix || !suffix || !fuse || !bf || !im) return c.error(ErrorCode::kParseError, "BPE has a field of the wrong type");
    opt.unk_token = *unk;
    opt.continuing_subword_prefix = prefix->value_or("");
    opt.end_of_word_suffix = suffix->value_or("");
    opt.fuse_unk = *fuse;
    opt.byte_fallback = *bf;
    opt.ignore_merges = *im;
    std::vector<std::pair<std::string, std::string>> merges;
    if (const auto me = field(*o, "merges")) {
      auto arr = get_array(c, *me, "model.merges");
      if (!arr) return tl::unexpected(arr.error());
      for (const element m : *arr) {
        std::string_view s;
        array pair;
        if (m.get(s) == simdjson::SUCCESS) {
          const size_t sp = s.find(' ', 1);
          if (sp == std::string_view::npos) {
            return c.error(ErrorCode::kCorrupt, "merge " + std::to_string(merges.size()) + " \"" + std::string(s) + "\" is not two tokens");
          }
          merges.emplace_back(std::string(s.substr(0, sp)), std::string(s.substr(sp + 1)));
        } else if (m.get(pair) == simdjson::SUCCESS && pair.size() == 2) {
          std::string_view a, b;
          if (pair.at(0).get(a) != simdjson::SUCCESS || pair.at(1).get(b) != simdjson::SUCCESS) {
            return c.error(ErrorCode::kParseError, "merge " + std::to_string(merges.size()) + " is not two strings");
          }
          merges.emplace_back(std::string(a), std::string(b));
        } else {
          return c.error(ErrorCode::kParseError, "merge " + std::to_string(merges.size()) + " is neither \"a b\" nor [a, b]");
        }
      }
    }
    auto model = tok::make_bpe(std::move(*vocab), merges, std::move(opt), c.source);
    if (!model) return tl::unexpected(model.error());
    return model;
  }
  if (t == "Unigram") {
    const auto ve = field(*o, "vocab");
    if (!ve) return c.error(ErrorCode::kParseError, "Unigram model lacks \"vocab\"");
    auto arr = get_array(c, *ve, "Unigram vocab");
    if (!arr) return tl::unexpected(arr.error());
    std::vector<std::pair<std::string, double>> pieces;
    pieces.reserve(arr->size());
    for (const element item : *arr) {
      array pair;
      std::string_view piece;
      double score = 0;
      if (item.get(pair) != simdjson::SUCCESS || pair.size() != 2 || pair.at(0).get(piece) != simdjson::SUCCESS) {
        return c.error(ErrorCode::kParseError, "Unigram vocab entry " + std::to_string(pieces.size()) + " is not [piece, score]");
      }
      const element se = pair.at(1).value_unsafe();
      if (se.get(score) != simdjson::SUCCESS) {
        int64_t i = 0;
        if (se.get(i) != simdjson::SUCCESS) {
          return c.error(ErrorCode::kParseError, "Unigram vocab entry " + std::to_string(pieces.size()) + " has a non-numeric score");
        }
        score = static_cast<double>(i);
      }
      pieces.emplace_back(std::string(piece), score);
    }
    std::optional<int64_t> unk_id;
    if (const auto u = field(*o, "unk_id")) {
      auto v = get_int(c, *u, "unk_id");
      if (!v) return tl::unexpected(v.error());
      unk_id = *v;
    }
    auto bf = get_bool(c, *o, "byte_fallback", false);
    if (!bf) return tl::unexpected(bf.error());
    auto model = tok::make_unigram(std::move(pieces), unk_id, *bf, c.source);
    if (!model) return tl::unexpected(model.error());
    return model;
  }
  return c.error(ErrorCode::kUnsupported, "unknown model type \"" + t + "\"");
}

using IdPairs = std::vector<std::pair<int32_t, int32_t>>;

Result<int32_t> checked_id(const Ctx& c, int64_t id, size_t vocab_size, std::string_view what) {
  if (id < 0 || static_cast<uint64_t>(id) >= vocab_size) {
    return c.error(ErrorCode::kCorrupt, std::string(what) + " id " + std::to_string(id) + " is outside the vocabulary of " +
                                            std::to_string(vocab_size));
  }
  return static_cast<int32_t>(id);
}

// [token, id] of BertProcessing/RobertaProcessing.
Result<int32_t> special_pair(const Ctx& c, const object& o, std::string_view name, size_t vocab_size) {
  const auto e = field(o, name);
  if (!e) return c.error(ErrorCode::kParseError, "post_processor lacks \"" + std::string(name) + "\"");
  auto arr = get_array(c, *e, name);
  if (!arr) return tl::unexpected(arr.error());
  if (arr->size() != 2) return c.error(ErrorCode::kParseError, "post_processor \"" + std::string(name) + "\" is not [token, id]");
  auto id = get_int(c, arr->at(1).value_unsafe(), std::string(name) + " id");
  if (!id) return tl::unexpected(id.error());
  return checked_id(c, *id, vocab_size, name);
}

Status parse_post_processor(const Ctx& c, const element& e, size_t vocab_size, tok::PipelineTokenizer::Parts& parts, int depth) {
  if (depth > 8) return c.error(ErrorCode::kCorrupt, "post-processors nested too deeply");
  auto o = get_object(c, e, "post_processor");
  if (!o) return tl::unexpected(o.error());
  auto type = type_of(c, *o, "post_processor");
  if (!type) return tl::unexpected(type.error());
  const std::string& t = *type;
  if (t == "BertProcessing" || t == "RobertaProcessing") {
    auto cls = special_pair(c, *o, "cls", vocab_size);
    if (!cls) return tl::unexpected(cls.error());
    auto sep = special_pair(c, *o, "sep", vocab_size);
    if (!sep) return tl::unexpected(sep.error());
    parts.prefix = {{*cls, 0}};
    parts.suffix = {{*sep, 0}};
    parts.content_type_id = 0;
    if (t == "RobertaProcessing") {
      auto trim = get_bool(c, *o, "trim_offsets", true);
      if (!trim) return tl::unexpected(trim.error());
      parts.trim_offsets = parts.trim_offsets || *trim;
    }
    return {};
  }
  if (t == "ByteLevel") {
    auto trim = get_bool(c, *o, "trim_offsets", true);
    if (!trim) return tl::unexpected(trim.error());
    parts.trim_offsets = parts.trim_offsets || *trim;
    return {};
  }
  if (t == "TemplateProcessing") {
    const auto single = field(*o, "single");
    if (!single) return c.error(ErrorCode::kParseError, "TemplateProcessing lacks \"single\"");
    auto items = get_array(c, *single, "TemplateProcessing single");
    if (!items) return tl::unexpected(items.error());
    object specials;
    if (const auto st = field(*o, "special_tokens")) {
      auto so = get_object(c, *st, "TemplateProcessing special_tokens");
      if (!so) return tl::unexpected(so.error());
      specials = *so;
    }
    bool seen_sequence = false;
    parts.prefix.clear();
    parts.suffix.clear();
    for (const element item : *items) {
      auto io = get_object(c, item, "TemplateProcessing item");
      if (!io) return tl::unexpected(io.error());
      if (const auto seq = field(*io, "Sequence")) {
        auto so = get_object(c, *seq, "TemplateProcessing Sequence");
        if (!so) return tl::unexpected(so.error());
        int32_t type_id = 0;
        if (const auto ti = field(*so, "type_id")) {
          auto v = get_int(c, *ti, "type_id");
          if (!v) return tl::unexpected(v.error());
          type_id = static_cast<int32_t>(std::clamp<int64_t>(*v, 0, 1 << 16));
        }
        parts.content_type_id = type_id;
        seen_sequence = true;
        continue;
      }
      const auto sp = field(*io, "SpecialToken");
      if (!sp) return c.error(ErrorCode::kUnsupported, "TemplateProcessing item is neither Sequence nor SpecialToken");
      auto so = get_object(c, *sp, "TemplateProcessing SpecialToken");
      if (!so) return tl::unexpected(so.error());
      auto name = get_string(c, *so, "id", "TemplateProcessing SpecialToken");
      if (!name) return tl::unexpected(name.error());
      int32_t type_id = 0;
      if (const auto ti = field(*so, "type_id")) {
        auto v = get_int(c, *ti, "type_id");
        if (!v) return tl::unexpected(v.error());
        type_id = static_cast<int32_t>(std::clamp<int64_t>(*v, 0, 1 << 16));
      }
      const auto def = field(specials, *name);
      if (!def) return c.error(ErrorCode::kCorrupt, "TemplateProcessing uses \"" + *name + "\", missing from special_tokens");
      auto dobj = get_object(c, *def, "special token " + *name);
      if (!dobj) return tl::unexpected(dobj.error());
      const auto ids = field(*dobj, "ids");
      if (!ids) return c.error(ErrorCode::kParseError, "special token \"" + *name + "\" lacks \"ids\"");
      auto arr = get_array(c, *ids, "special token ids");
      if (!arr) return tl::unexpected(arr.error());
      for (const element ide : *arr) {
        auto id = get_int(c, ide, "special token id");
        if (!id) return tl::unexpected(id.error());
        auto checked = checked_id(c, *id, vocab_size, "special token \"" + *name + "\"");
        if (!checked) return tl::unexpected(checked.error());
        (seen_sequence ? parts.suffix : parts.prefix).emplace_back(*checked, type_id);
      }
    }
    if (!seen_sequence) return c.error(ErrorCode::kCorrupt, "TemplateProcessing single has no $A sequence");
    return {};
  }
  if (t == "Sequence") {
    const auto items = field(*o, "processors");
    if (!items) return c.error(ErrorCode::kParseError, "Sequence post_processor lacks \"processors\"");
    auto arr = get_array(c, *items, "processors");
    if (!arr) return tl::unexpected(arr.error());
    for (const element item : *arr) {
      auto s = parse_post_processor(c, item, vocab_size, parts, depth + 1);
      if (!s) return s;
    }
    return {};
  }
  return c.error(ErrorCode::kUnsupported, "unknown post_processor type \"" + t + "\"");
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> parse_tokenizer_json(std::string_view json, std::string_view source) {
  Ctx c{std::string(source)};
  simdjson::dom::parser parser;
  element root;
  if (const auto err = parser.parse(json.data(), json.size()).get(root); err != simdjson::SUCCESS) {
    return c.error(ErrorCode::kParseError, std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  auto o = get_object(c, root, "the top level");
  if (!o) return tl::unexpected(o.error());
  tok::PipelineTokenizer::Parts parts;
  const auto model = field(*o, "model");
  if (!model) return c.error(ErrorCode::kParseError, "no \"model\"");
  auto m = parse_model(c, *model);
  if (!m) return tl::unexpected(m.error());
  parts.model = std::move(*m);
  const size_t model_vocab = parts.model->vocab_size();
  if (const auto added = field(*o, "added_tokens")) {
    auto arr = get_array(c, *added, "added_tokens");
    if (!arr) return tl::unexpected(arr.error());
    // Added tokens may extend the model vocabulary, but only densely.
    const size_t limit = model_vocab + arr->size();
    for (const element item : *arr) {
      auto ao = get_object(c, item, "added token");
      if (!ao) return tl::unexpected(ao.error());
      tok::AddedToken a;
      auto content = get_string(c, *ao, "content", "added token");
      if (!content) return tl::unexpected(content.error());
      a.content = *content;
      const auto ide = field(*ao, "id");
      if (!ide) return c.error(ErrorCode::kParseError, "added token \"" + a.content + "\" lacks \"id\"");
      auto id = get_int(c, *ide, "id of added token \"" + a.content + "\"");
      if (!id) return tl::unexpected(id.error());
      auto checked = checked_id(c, *id, limit, "added token \"" + a.content + "\"");
      if (!checked) return tl::unexpected(checked.error());
      a.id = *checked;
      auto sp = get_bool(c, *ao, "special", false);
      auto ls = get_bool(c, *ao, "lstrip", false);
      auto rs = get_bool(c, *ao, "rstrip", false);
      auto sw = get_bool(c, *ao, "single_word", false);
      if (!sp || !ls || !rs || !sw) return c.error(ErrorCode::kParseError, "added token \"" + a.content + "\" has a field of the wrong type");
      a.special = *sp;
      a.lstrip = *ls;
      a.rstrip = *rs;
      a.single_word = *sw;
      parts.added.push_back(std::move(a));
    }
  }
  size_t vocab_size = model_vocab;
  for (const auto& a : parts.added) vocab_size = std::max(vocab_size, static_cast<size_t>(a.id) + 1);
  if (const auto n = field(*o, "normalizer")) {
    auto norm = parse_normalizer(c, *n, 0);
    if (!norm) return tl::unexpected(norm.error());
    parts.normalizer = std::move(*norm);
  }
  if (const auto p = field(*o, "pre_tokenizer")) {
    auto pre = parse_pre_tokenizer(c, *p, 0);
    if (!pre) return tl::unexpected(pre.error());
    parts.pre_tokenizer = std::move(*pre);
  }
  if (const auto p = field(*o, "post_processor")) {
    if (auto s = parse_post_processor(c, *p, vocab_size, parts, 0); !s) return tl::unexpected(s.error());
  }
  // Padding id: the file's padding section, else the conventional pad token, else 0.
  std::optional<int32_t> pad;
  if (const auto pe = field(*o, "padding")) {
    if (auto po = get_object(c, *pe, "padding")) {
      if (const auto pid = field(*po, "pad_id")) {
        auto id = get_int(c, *pid, "padding.pad_id");
        if (!id) return tl::unexpected(id.error());
        auto checked = checked_id(c, *id, vocab_size, "padding.pad_id");
        if (!checked) return tl::unexpected(checked.error());
        pad = *checked;
      }
    }
  }
  auto tokenizer = std::make_unique<tok::PipelineTokenizer>(std::move(parts));
  if (!pad) {
    for (const char* name : {"[PAD]", "<pad>"}) {
      if (const auto id = tokenizer->token_to_id(name)) {
        pad = *id;
        break;
      }
    }
  }
  tokenizer->set_pad_id(pad.value_or(0));
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

// ---- model folders ----------------------------------------------------------------------

namespace {

struct FolderConfig {
  std::optional<bool> do_lower_case;
  std::optional<bool> strip_accents;
  std::optional<bool> tokenize_chinese_chars;
  std::optional<bool> add_prefix_space;
  std::map<std::string, std::string> specials;  // unk_token, cls_token, ... -> content
};

Status read_config_file(const std::filesystem::path& path, FolderConfig& cfg) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  auto text = read_file(path.string());
  if (!text) return tl::unexpected(text.error());
  Ctx c{path.string()};
  simdjson::dom::parser parser;
  element root;
  if (const auto err = parser.parse(text->data(), text->size()).get(root); err != simdjson::SUCCESS) {
    return c.error(ErrorCode::kParseError, std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  auto o = get_object(c, root, "the top level");
  if (!o) return tl::unexpected(o.error());
  for (const auto& [name, slot] : {std::pair{"do_lower_case", &cfg.do_lower_case}, std::pair{"strip_accents", &cfg.strip_accents},
                                   std::pair{"tokenize_chinese_chars", &cfg.tokenize_chinese_chars},
                                   std::pair{"add_prefix_space", &cfg.add_prefix_space}}) {
    auto v = get_opt_bool(c, *o, name);
    if (!v) return tl::unexpected(v.error());
    if (*v) *slot = *v;
  }
  for (const char* name : {"unk_token", "cls_token", "sep_token", "pad_token", "mask_token", "bos_token", "eos_token"}) {
    const auto e = field(*o, name);
    if (!e) continue;
    std::string_view s;
    object so;
    if (e->get(s) == simdjson::SUCCESS) {
      cfg.specials[name] = std::string(s);
    } else if (e->get(so) == simdjson::SUCCESS) {
      auto content = get_string(c, so, "content", name);
      if (!content) return tl::unexpected(content.error());
      cfg.specials[name] = *content;
    } else {
      return c.error(ErrorCode::kParseError, "\"" + std::string(name) + "\" is neither a string nor {\"content\"}");
    }
  }
  return {};
}

std::string special_or(const FolderConfig& cfg, const char* name, const char* dflt) {
  const auto it = cfg.specials.find(name);
  return it == cfg.specials.end() ? dflt : it->second;
}

Result<std::unique_ptr<Tokenizer>> load_vocab_txt(const std::filesystem::path& path, const FolderConfig& cfg) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIoError, path.string() + ": cannot open");
  std::vector<std::pair<std::string, int64_t>> pairs;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pairs.emplace_back(line, static_cast<int64_t>(pairs.size()));
  }
  auto vocab = tok::Vocab::from_pairs(std::move(pairs), path.string());
  if (!vocab) return tl::unexpected(vocab.error());
  tok::WordPieceOptions opt;
  opt.unk_token = special_or(cfg, "unk_token", "[UNK]");
  tok::PipelineTokenizer::Parts parts;
  const bool lower = cfg.do_lower_case.value_or(true);
  parts.normalizer = tok::make_bert_normalizer(true, cfg.tokenize_chinese_chars.value_or(true), cfg.strip_accents, lower);
  parts.pre_tokenizer = tok::make_bert_pre_tokenizer();
  for (const char* name : {"pad_token", "unk_token", "cls_token", "sep_token", "mask_token"}) {
    static const std::map<std::string, std::string> dflt = {
        {"pad_token", "[PAD]"}, {"unk_token", "[UNK]"}, {"cls_token", "[CLS]"}, {"sep_token", "[SEP]"}, {"mask_token", "[MASK]"}};
    const std::string content = special_or(cfg, name, dflt.at(name).c_str());
    if (const auto id = vocab->find(content)) parts.added.push_back({content, *id, true, false, false, false});
  }
  const auto cls = vocab->find(special_or(cfg, "cls_token", "[CLS]"));
  const auto sep = vocab->find(special_or(cfg, "sep_token", "[SEP]"));
  if (!cls || !sep) return make_error(ErrorCode::kCorrupt, path.string() + ": the CLS or SEP token is not in the vocab");
  parts.prefix = {{*cls, 0}};
  parts.suffix = {{*sep, 0}};
  parts.pad_id = vocab->find(special_or(cfg, "pad_token", "[PAD]")).value_or(0);
  auto model = tok::make_wordpiece(std::move(*vocab), std::move(opt), path.string());
  if (!model) return tl::unexpected(model.error());
  parts.model = std::move(*model);
  return std::unique_ptr<Tokenizer>(std::make_unique<tok::PipelineTokenizer>(std::move(parts)));
}

Result<std::unique_ptr<Tokenizer>> load_vocab_json_merges(const std::filesystem::path& dir, const FolderConfig& cfg) {
  const auto vpath = dir / "vocab.json";
  auto vtext = read_file(vpath.string());
  if (!vtext) return tl::unexpected(vtext.error());
  Ctx c{vpath.string()};
  simdjson::dom::parser parser;
  element root;
  if (const auto err = parser.parse(vtext->data(), vtext->size()).get(root); err != simdjson::SUCCESS) {
    return c.error(ErrorCode::kParseError, std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  auto vo = get_object(c, root, "the top level");
  if (!vo) return tl::unexpected(vo.error());
  std::vector<std::pair<std::string, int64_t>> pairs;
  for (const auto kv : *vo) {
    auto id = get_int(c, kv.value, "id of '" + std::string(kv.key) + "'");
    if (!id) return tl::unexpected(id.error());
    pairs.emplace_back(std::string(kv.key), *id);
  }
  auto vocab = tok::Vocab::from_pairs(std::move(pairs), vpath.string());
  if (!vocab) return tl::unexpected(vocab.error());
  const auto mpath = dir / "merges.txt";
  std::ifstream in(mpath, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIoError, mpath.string() + ": cannot open");
  std::vector<std::pair<std::string, std::string>> merges;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (lineno == 1 && line.rfind("#version", 0) == 0)) continue;
    const size_t sp = line.find(' ');
    if (sp == std::string::npos || sp == 0 || line.find(' ', sp + 1) != std::string::npos) {
      return make_error(ErrorCode::kCorrupt, mpath.string() + ": line " + std::to_string(lineno) + " is not two tokens");
    }
    merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
  }
  tok::PipelineTokenizer::Parts parts;
  parts.pre_tokenizer = tok::make_byte_level(cfg.add_prefix_space.value_or(false), true);
  parts.trim_offsets = true;
  const std::string bos = special_or(cfg, "cls_token", special_or(cfg, "bos_token", "<s>").c_str());
  const std::string eos = special_or(cfg, "sep_token", special_or(cfg, "eos_token", "</s>").c_str());
  for (const auto& [name, dflt] : {std::pair{"bos_token", "<s>"}, std::pair{"pad_token", "<pad>"}, std::pair{"eos_token", "</s>"},
                                   std::pair{"unk_token", "<unk>"}, std::pair{"mask_token", "<mask>"}}) {
    const std::string content = special_or(cfg, name, dflt);
    if (const auto id = vocab->find(content)) {
      parts.added.push_back({content, *id, true, std::string_view(name) == "mask_token", false, false});
    }
  }
  const auto b = vocab->find(bos);
  const auto e = vocab->find(eos);
  if (b && e) {
    parts.prefix = {{*b, 0}};
    parts.suffix = {{*e, 0}};
  }
  parts.pad_id = vocab->find(special_or(cfg, "pad_token", "<pad>")).value_or(0);
  tok::BpeOptions opt;
  const std::string unk = special_or(cfg, "unk_token", "<unk>");
  if (vocab->find(unk)) opt.unk_token = unk;
  auto model = tok::make_bpe(std::move(*vocab), merges, std::move(opt), mpath.string());
  if (!model) return tl::unexpected(model.error());
  parts.model = std::move(*model);
  return std::unique_ptr<Tokenizer>(std::make_unique<tok::PipelineTokenizer>(std::move(parts)));
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::filesystem::path& dir) {
  std::error_code ec;
  auto has = [&](const char* name) { return std::filesystem::is_regular_file(dir / name, ec); };
  if (!std::filesystem::is_directory(dir, ec)) {
    return make_error(ErrorCode::kNotFound, dir.string() + ": not a directory");
  }
  if (has("tokenizer.json")) {
    const auto path = dir / "tokenizer.json";
    auto text = read_file(path.string());
    if (!text) return tl::unexpected(text.error());
    return parse_tokenizer_json(*text, path.string());
  }
  FolderConfig cfg;
  if (auto s = read_config_file(dir / "special_tokens_map.json", cfg); !s) return tl::unexpected(s.error());
  if (auto s = read_config_file(dir / "tokenizer_config.json", cfg); !s) return tl::unexpected(s.error());
  if (has("vocab.txt")) return load_vocab_txt(dir / "vocab.txt", cfg);
  if (has("vocab.json") && has("merges.txt")) return load_vocab_json_merges(dir, cfg);
  if (has("sentencepiece.bpe.model")) return tok::load_sentencepiece((dir / "sentencepiece.bpe.model").string(), true);
  for (const char* name : {"spiece.model", "sentencepiece.model", "tokenizer.model"}) {
    if (has(name)) return tok::load_sentencepiece((dir / name).string(), false);
  }
  return make_error(ErrorCode::kNotFound, dir.string() +
                                              ": no tokenizer.json, vocab.txt, vocab.json+merges.txt or SentencePiece model");
}

}  // namespace crema::nn
