// USE-Lite tokenizer: a port of the JS Tokenizer in
// @tensorflow-models/universal-sentence-encoder 1.3.3, quirks included (see use_lite.h).
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <simdjson.h>

#include "crema/common/file_io.h"
#include "crema/nn/use_lite.h"

namespace crema::nn {
namespace {

constexpr int32_t kReserved = 6;
constexpr char16_t kSeparator = u'\u2581';

std::u16string to_u16(std::string_view utf8) {
  const icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(std::min<size_t>(utf8.size(), INT32_MAX))));
  return std::u16string(reinterpret_cast<const char16_t*>(s.getBuffer()), static_cast<size_t>(s.length()));
}

}  // namespace

Result<UseLiteTokenizer> UseLiteTokenizer::load(const std::string& vocab_json_path) {
  auto bytes = read_file(vocab_json_path);
  if (!bytes) return tl::unexpected(bytes.error());
  return parse(*bytes, vocab_json_path);
}

Result<UseLiteTokenizer> UseLiteTokenizer::parse(std::string_view json, std::string_view what) {
  const std::string file(what);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto err = parser.parse(json.data(), json.size()).get(root))
    return make_error(ErrorCode::kCorrupt, file + ": not JSON (" + simdjson::error_message(err) + ")");
  simdjson::dom::array entries;
  if (root.get_array().get(entries)) return make_error(ErrorCode::kCorrupt, file + ": expected an array of [piece, score]");
  UseLiteTokenizer tok;
  size_t i = 0;
  for (const auto entry : entries) {
    const std::string where = file + ": entry " + std::to_string(i);
    simdjson::dom::array pair;
    std::string_view piece;
    if (entry.get_array().get(pair) || pair.size() != 2 || pair.at(0).get_string().get(piece))
      return make_error(ErrorCode::kCorrupt, where + " is not [piece, score]");
    Piece p;
    p.text = to_u16(piece);
    const auto score = pair.at(1);
    // A null score counts as 0, as JavaScript's null + number does.
    if (!score.is_null()) {
      double v = 0;
      if (score.get_double().get(v)) {
        int64_t iv = 0;
        if (score.get_int64().get(iv)) return make_error(ErrorCode::kCorrupt, where + " has a non-numeric score");
        v = static_cast<double>(iv);
      }
      p.score = v;
    }
    if (static_cast<int32_t>(i) >= kReserved) {
      if (p.text.empty()) return make_error(ErrorCode::kCorrupt, where + " is an empty piece");
      tok.max_piece_units_ = std::max(tok.max_piece_units_, p.text.size());
      tok.index_[p.text] = static_cast<int32_t>(i);  // a repeated piece: the later id wins, as in the JS trie
    }
    tok.pieces_.push_back(std::move(p));
    if (++i > (1u << 24)) return make_error(ErrorCode::kCorrupt, file + ": more than 2^24 pieces");
  }
  if (tok.pieces_.size() <= static_cast<size_t>(kReserved))
    return make_error(ErrorCode::kCorrupt, file + ": no pieces beyond the reserved ids");
  return tok;
}

std::vector<int32_t> UseLiteTokenizer::encode(std::string_view text) const {
  static const icu::Normalizer2* nfkc = [] {
    UErrorCode status = U_ZERO_ERROR;
    return icu::Normalizer2::getNFKCInstance(status);
  }();
  const icu::UnicodeString raw = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(std::min<size_t>(text.size(), INT32_MAX))));
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString norm = nfkc ? nfkc->normalize(raw, status) : raw;
  const icu::UnicodeString& use = U_SUCCESS(status) ? norm : raw;
  std::u16string s;
  if (use.length() > 0) {
    s.reserve(static_cast<size_t>(use.length()) + 1);
    s.push_back(kSeparator);
    for (int32_t k = 0; k < use.length(); ++k) {
      const char16_t c = use.charAt(k);
      s.push_back(c == u' ' ? kSeparator : c);
    }
  }
  const size_t n = s.size();
  // Lattice: for each end position, candidates (start, id, score) in the JS visiting order:
  // starts ascending, so on equal totals the later (shorter) candidate wins.
  struct Cand {
    size_t start;
    int32_t id;
    double score;
  };
  std::vector<std::vector<Cand>> ends(n + 1);
  for (size_t i = 0; i < n; ++i) {
    bool any = false;
    const size_t max_len = std::min(max_piece_units_, n - i);
    for (size_t len = 1; len <= max_len; ++len) {
      const auto it = index_.find(s.substr(i, len));
      if (it == index_.end()) continue;
      ends[i + len].push_back({i, it->second, pieces_[static_cast<size_t>(it->second)].score});
      any = true;
    }
    if (!any) ends[i + 1].push_back({i, 0, 0.0});  // no piece starts here: one unknown unit
  }
  std::vector<double> best(n + 1, 0.0);
  std::vector<int32_t> words(n + 1, 0);
  for (size_t e = 0; e <= n; ++e) {
    auto& cands = ends[e];
    std::stable_sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) { return a.start < b.start; });
    for (const Cand& c : cands) {
      const double score = c.score + best[c.start];
      // The JS test `best === 0 || score >= best`: an exact 0 counts as unset.
      if (best[e] == 0 || score >= best[e]) {
        best[e] = score;
        words[e] = c.id;
      }
    }
  }
  // Backward pass steps by the UTF-16 length of the chosen piece's text (1 for id 0, U+FFFD).
  std::vector<int32_t> out;
  size_t it = n;
  while (it > 0) {
    const int32_t id = words[it];
    out.push_back(id);
    const size_t step = std::max<size_t>(1, pieces_[static_cast<size_t>(id)].text.size());
    it = step >= it ? 0 : it - step;
  }
  std::vector<int32_t> merged;
  merged.reserve(out.size());
  bool prev_unk = false;
  for (const int32_t id : out) {
    if (!(prev_unk && id == 0)) merged.push_back(id);
    prev_unk = id == 0;
  }
  std::reverse(merged.begin(), merged.end());
  return merged;
}

}  // namespace crema::nn
