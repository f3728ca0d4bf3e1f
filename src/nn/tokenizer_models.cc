// Tokenizer models: WordPiece, BPE and Unigram, as Hugging Face tokenizers implements them.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_map>

#include "tokenizer_internal.h"

namespace crema::nn::tok {

size_t StringHash::operator()(std::string_view s) const noexcept {
  uint64_t h = 1469598103934665603ull;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

Result<Vocab> Vocab::from_pairs(std::vector<std::pair<std::string, int64_t>> pairs, std::string_view what) {
  Vocab v;
  const size_t n = pairs.size();
  v.tokens.assign(n, std::string());
  std::vector<bool> seen(n, false);
  v.map.reserve(n);
  for (auto& [token, id] : pairs) {
    if (id < 0 || static_cast<uint64_t>(id) >= n) {
      return make_error(ErrorCode::kCorrupt, std::string(what) + ": token '" + token + "' has id " + std::to_string(id) +
                                                 ", outside the vocabulary of " + std::to_string(n) + " entries");
    }
    const auto idx = static_cast<size_t>(id);
    if (seen[idx]) {
      return make_error(ErrorCode::kCorrupt, std::string(what) + ": id " + std::to_string(id) + " is used twice");
    }
    seen[idx] = true;
    if (!v.map.emplace(token, static_cast<int32_t>(id)).second) {
      return make_error(ErrorCode::kCorrupt, std::string(what) + ": token '" + token + "' appears twice");
    }
    v.tokens[idx] = std::move(token);
  }
  return v;
}

std::optional<int32_t> Vocab::find(std::string_view token) const {
  const auto it = map.find(token);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

namespace {

size_t char_len(unsigned char b) { return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4; }

std::string byte_token(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", b);
  return buf;
}

class VocabModel : public Model {
 public:
  explicit VocabModel(Vocab v) : vocab_(std::move(v)) {}
  size_t vocab_size() const override { return vocab_.tokens.size(); }
  std::optional<int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  std::string id_to_token(int32_t id) const override {
    if (id < 0 || static_cast<size_t>(id) >= vocab_.tokens.size()) return {};
    return vocab_.tokens[static_cast<size_t>(id)];
  }

 protected:
  Vocab vocab_;
};

class WordPiece final : public VocabModel {
 public:
  WordPiece(Vocab v, WordPieceOptions o, int32_t unk) : VocabModel(std::move(v)), opt_(std::move(o)), unk_(unk) {}
  std::string_view kind() const override { return "wordpiece"; }

  void tokenize(std::string_view word, std::vector<Piece>& out) const override {
    const auto len = static_cast<uint32_t>(word.size());
    size_t chars = 0;
    for (size_t i = 0; i < word.size(); i += char_len(static_cast<unsigned char>(word[i]))) ++chars;
    if (chars > opt_.max_input_chars_per_word) {
      out.push_back({unk_, 0, len});
      return;
    }
    const size_t mark = out.size();
    std::string buf;
    size_t start = 0;
    while (start < word.size()) {
      size_t end = word.size();
      std::optional<int32_t> found;
      while (end > start) {
        const std::string_view sub = word.substr(start, end - start);
        if (start > 0) {
          buf.assign(opt_.prefix);
          buf.append(sub);
          found = vocab_.find(buf);
        } else {
          found = vocab_.find(sub);
        }
        if (found) break;
        // Step back one character.
        --end;
        while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
      }
      if (!found) {
        out.resize(mark);
        out.push_back({unk_, 0, len});
        return;
      }
      out.push_back({*found, static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
      start = end;
    }
  }

 private:
  WordPieceOptions opt_;
  int32_t unk_;
};

class Bpe final : public VocabModel {
 public:
  struct Merge {
    int32_t rank;
    int32_t id;
  };
  Bpe(Vocab v, BpeOptions o, std::optional<int32_t> unk, std::unordered_map<uint64_t, Merge> merges)
      : VocabModel(std::move(v)), opt_(std::move(o)), unk_(unk), merges_(std::move(merges)) {}
  std::string_view kind() const override { return "bpe"; }

  void tokenize(std::string_view word, std::vector<Piece>& out) const override {
    if (word.empty()) return;
    if (opt_.ignore_merges) {
      if (const auto id = vocab_.find(word)) {
        out.push_back({*id, 0, static_cast<uint32_t>(word.size())});
        return;
      }
    }
    std::vector<Piece> syms;
    std::string buf;
    for (size_t i = 0; i < word.size();) {
      const size_t n = std::min(char_len(static_cast<unsigned char>(word[i])), word.size() - i);
      const bool first = i == 0;
      const bool last = i + n == word.size();
      buf.clear();
      if (!first) buf += opt_.continuing_subword_prefix;
      buf.append(word.substr(i, n));
      if (last) buf += opt_.end_of_word_suffix;
      const auto b = static_cast<uint32_t>(i);
      const auto e = static_cast<uint32_t>(i + n);
      if (const auto id = vocab_.find(buf)) {
        syms.push_back({*id, b, e});
      } else if (opt_.byte_fallback && all_bytes_known(word.substr(i, n))) {
        for (size_t k = 0; k < n; ++k) {
          syms.push_back({*vocab_.find(byte_token(static_cast<unsigned char>(word[i + k]))), b, e});
        }
      } else if (unk_) {
        if (opt_.fuse_unk && !syms.empty() && syms.back().id == *unk_) {
          syms.back().end = e;
        } else {
          syms.push_back({*unk_, b, e});
        }
      }
      i += n;
    }
    // Merge the lowest-ranked adjacent pair, leftmost first, until none applies.
    while (syms.size() > 1) {
      int32_t best_rank = std::numeric_limits<int32_t>::max();
      size_t best = 0;
      int32_t best_id = 0;
      for (size_t k = 0; k + 1 < syms.size(); ++k) {
        const auto it = merges_.find(key(syms[k].id, syms[k + 1].id));
        if (it != merges_.end() && it->second.rank < best_rank) {
          best_rank = it->second.rank;
          best = k;
          best_id = it->second.id;
        }
      }
      if (best_rank == std::numeric_limits<int32_t>::max()) break;
      syms[best].id = best_id;
      syms[best].end = syms[best + 1].end;
      syms.erase(syms.begin() + static_cast<std::ptrdiff_t>(best + 1));
    }
    out.insert(out.end(), syms.begin(), syms.end());
  }

  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

 private:
  bool all_bytes_known(std::string_view s) const {
    return std::all_of(s.begin(), s.end(), [&](char c) { return vocab_.find(byte_token(static_cast<unsigned char>(c))).has_value(); });
  }

  BpeOptions opt_;
  std::optional<int32_t> unk_;
  std::unordered_map<uint64_t, Merge> merges_;
};

class Unigram final : public VocabModel {
 public:
  Unigram(Vocab v, std::vector<double> scores, std::optional<int32_t> unk, bool byte_fallback)
      : VocabModel(std::move(v)), scores_(std::move(scores)), unk_(unk), byte_fallback_(byte_fallback) {
    double min_score = std::numeric_limits<double>::infinity();
    for (const double s : scores_) min_score = std::min(min_score, s);
    unk_score_ = min_score - 10.0;  // HF's kUnkPenalty
    for (const auto& t : vocab_.tokens) max_piece_ = std::max(max_piece_, t.size());
  }
  std::string_view kind() const override { return "unigram"; }

  void tokenize(std::string_view s, std::vector<Piece>& out) const override {
    if (s.empty()) return;
    struct Node {
      int32_t id = -1;
      double score = 0;
      size_t start = 0;
      bool set = false;
    };
    const size_t n = s.size();
    std::vector<Node> best(n + 1);
    best[0].set = true;
    for (size_t start = 0; start < n;) {
      const size_t mblen = std::min(char_len(static_cast<unsigned char>(s[start])), n - start);
      if (!best[start].set) {
        start += mblen;
        continue;
      }
      const double base = best[start].score;
      bool single = false;
      const size_t limit = std::min(n, start + max_piece_);
      for (size_t end = start + mblen; end <= limit;) {
        if (const auto id = vocab_.find(s.substr(start, end - start))) {
          const double cand = base + scores_[static_cast<size_t>(*id)];
          Node& t = best[end];
          if (!t.set || cand > t.score) t = {*id, cand, start, true};
          if (end - start == mblen) single = true;
        }
        if (end == n) break;
        end += std::min(char_len(static_cast<unsigned char>(s[end])), n - end);
      }
      if (!single) {
        Node& t = best[start + mblen];
        const double cand = base + unk_score_;
        if (!t.set || cand > t.score) t = {unk_.value_or(-1), cand, start, true};
      }
      start += mblen;
    }
    // Backtrack; runs of unknown pieces fuse into one token.
    std::vector<Piece> rev;
    size_t end = n;
    size_t unk_end = 0;
    bool in_unk = false;
    auto flush_unk = [&](size_t from) {
      emit_unknown(s, from, unk_end, rev);
      in_unk = false;
    };
    while (end > 0) {
      const Node& node = best[end];
      const bool is_unk = node.id < 0 || (unk_ && node.id == *unk_);
      if (is_unk) {
        if (!in_unk) {
          in_unk = true;
          unk_end = end;
        }
      } else {
        if (in_unk) flush_unk(end);
        rev.push_back({node.id, static_cast<uint32_t>(node.start), static_cast<uint32_t>(end)});
      }
      end = node.start;
    }
    if (in_unk) flush_unk(0);
    out.insert(out.end(), rev.rbegin(), rev.rend());
  }

 private:
  // Appends (in reverse order) the tokens for the unknown text s[from, to).
  void emit_unknown(std::string_view s, size_t from, size_t to, std::vector<Piece>& rev) const {
    const std::string_view text = s.substr(from, to - from);
    if (const auto id = vocab_.find(text)) {
      rev.push_back({*id, static_cast<uint32_t>(from), static_cast<uint32_t>(to)});
      return;
    }
    if (byte_fallback_) {
      std::vector<Piece> bytes;
      bool ok = true;
      for (size_t k = 0; k < text.size(); ++k) {
        const auto id = vocab_.find(byte_token(static_cast<unsigned char>(text[k])));
        if (!id) {
          ok = false;
          break;
        }
        bytes.push_back({*id, static_cast<uint32_t>(from + k), static_cast<uint32_t>(from + k + 1)});
      }
      if (ok) {
        rev.insert(rev.end(), bytes.rbegin(), bytes.rend());
        return;
      }
    }
    if (unk_) rev.push_back({*unk_, static_cast<uint32_t>(from), static_cast<uint32_t>(to)});
  }

  std::vector<double> scores_;
  std::optional<int32_t> unk_;
  bool byte_fallback_;
  double unk_score_ = 0;
  size_t max_piece_ = 1;
};

}  // namespace

Result<std::unique_ptr<Model>> make_wordpiece(Vocab vocab, WordPieceOptions options, std::string_view what) {
  const auto unk = vocab.find(options.unk_token);
  if (!unk) {
    return make_error(ErrorCode::kCorrupt, std::string(what) + ": WordPiece unk_token '" + options.unk_token + "' is not in the vocab");
  }
  return std::unique_ptr<Model>(std::make_unique<WordPiece>(std::move(vocab), std::move(options), *unk));
}

Result<std::unique_ptr<Model>> make_bpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                        BpeOptions options, std::string_view what) {
  std::optional<int32_t> unk;
  if (options.unk_token) {
    unk = vocab.find(*options.unk_token);
    if (!unk) {
      return make_error(ErrorCode::kCorrupt, std::string(what) + ": BPE unk_token '" + *options.unk_token + "' is not in the vocab");
    }
  }
  std::unordered_map<uint64_t, Bpe::Merge> table;
  table.reserve(merges.size());
  const size_t prefix = options.continuing_subword_prefix.size();
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    const auto ia = vocab.find(a);
    const auto ib = vocab.find(b);
    if (!ia || !ib) {
      return make_error(ErrorCode::kCorrupt, std::string(what) + ": merge " + std::to_string(r) + " ('" + a + "' '" + b +
                                                 "') names a token missing from the vocab");
    }
    std::string merged = a;
    merged += (prefix > 0 && b.compare(0, prefix, options.continuing_subword_prefix) == 0) ? b.substr(prefix) : b;
    const auto im = vocab.find(merged);
    if (!im) {
      return make_error(ErrorCode::kCorrupt, std::string(what) + ": merge " + std::to_string(r) + " makes '" + merged +
                                                 "', which is not in the vocab");
    }
    table.emplace(Bpe::key(*ia, *ib), Bpe::Merge{static_cast<int32_t>(r), *im});
  }
  return std::unique_ptr<Model>(std::make_unique<Bpe>(std::move(vocab), std::move(options), unk, std::move(table)));
}

Result<std::unique_ptr<Model>> make_unigram(std::vector<std::pair<std::string, double>> pieces, std::optional<int64_t> unk_id,
                                            bool byte_fallback, std::string_view what) {
  if (pieces.empty()) return make_error(ErrorCode::kCorrupt, std::string(what) + ": Unigram vocab is empty");
  std::vector<std::pair<std::string, int64_t>> pairs;
  std::vector<double> scores;
  pairs.reserve(pieces.size());
  scores.reserve(pieces.size());
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (!std::isfinite(pieces[i].second)) {
      return make_error(ErrorCode::kCorrupt, std::string(what) + ": Unigram piece " + std::to_string(i) + " has a non-finite score");
    }
    scores.push_back(pieces[i].second);
    pairs.emplace_back(std::move(pieces[i].first), static_cast<int64_t>(i));
  }
  auto vocab = Vocab::from_pairs(std::move(pairs), what);
  if (!vocab) return tl::unexpected(vocab.error());
  std::optional<int32_t> unk;
  if (unk_id) {
    if (*unk_id < 0 || static_cast<uint64_t>(*unk_id) >= scores.size()) {
      return make_error(ErrorCode::kCorrupt, std::string(what) + ": Unigram unk_id " + std::to_string(*unk_id) + " is outside the vocab");
    }
    unk = static_cast<int32_t>(*unk_id);
  }
  return std::unique_ptr<Model>(std::make_unique<Unigram>(std::move(*vocab), std::move(scores), unk, byte_fallback));
}

}  // namespace crema::nn::tok
