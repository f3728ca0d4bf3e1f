// Near-duplicate detection: MinHash + LSH banding, confirmed by exact Jaccard.
//
// Band/row choice. With b bands of r rows, two posts whose word sets have Jaccard s become
// candidates with probability P(s) = 1 - (1 - s^r)^b, an S-curve whose steepest point is
// near (1/b)^(1/r). The defaults b = 16, r = 4 (64 permutations) put that point at 0.5,
// well below the 0.8 threshold, so the curve is already flat at the top where it matters:
//   s    0.3    0.5    0.6    0.7    0.75    0.8      0.9
//   P    0.12   0.64   0.89   0.988  0.9977  0.99978  1 - 4e-8
// A true near-duplicate (s >= 0.8) is missed with probability <= 2.2e-4. The price is more
// candidates in 0.5..0.8, but each one costs only an exact Jaccard over two short sorted
// arrays of word hashes, and candidates never become false positives. Tweets have ~5-15
// content words, so MinHash's per-row agreement is exactly the Jaccard of those sets.
//
// Memory per original: its sorted 64-bit word hashes (~8 bytes/word), its id, and one LSH
// entry per band plus one exact-set entry (a 4-byte link and, amortised, a 12-byte slot at
// load <= 0.7): roughly 300-400 bytes for a typical tweet. Duplicates are not stored.
// Buckets are capped (kMaxBucket); a full bucket takes no newer posts, which keeps every
// add() bounded even for templated spam, and keeps the earliest posts in the bucket.
#include "crema/ingest/dedup.h"

#include <algorithm>
#include <limits>

#include "crema/common/hash.h"
#include "crema/text/normalize.h"
#include "stop_words.h"

namespace crema::ingest {
namespace {

constexpr uint32_t kMaxBucket = 64;

uint64_t hash_word(std::string_view w) { return mix64(fnv1a(kFnvOffset, w)); }

bool is_ascii_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool starts_with_ci(std::string_view s, size_t i, std::string_view prefix) {
  if (s.size() - i < prefix.size()) return false;
  for (size_t k = 0; k < prefix.size(); ++k) {
    char c = s[i + k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[k]) return false;
  }
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// raw with URLs (http://, https://, www. up to the next space) and @mentions blanked out.
std::string strip_urls_and_mentions(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    const bool at_token_start = i == 0 || !is_ascii_word_char(raw[i - 1]);
    const bool url = starts_with_ci(raw, i, "http://") || starts_with_ci(raw, i, "https://") ||
                     (at_token_start && starts_with_ci(raw, i, "www."));
    if (url) {
      while (i < raw.size() && !is_space(raw[i])) ++i;
      out.push_back(' ');
      continue;
    }
    if (raw[i] == '@' && at_token_start && i + 1 < raw.size() && is_ascii_word_char(raw[i + 1])) {
      ++i;
      while (i < raw.size() && is_ascii_word_char(raw[i])) ++i;
      out.push_back(' ');
      continue;
    }
    out.push_back(raw[i]);
    ++i;
  }
  return out;
}

}  // namespace

std::vector<std::string> dedup_words(std::string_view raw_text) {
  std::vector<std::string> words = text::word_tokens(strip_urls_and_mentions(raw_text));
  std::erase_if(words, [](const std::string& w) { return detail::is_stop_word(w); });
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

struct NearDuplicateIndex::Impl {
  struct Slot {
    uint32_t fp = 0;     // 32-bit fingerprint of the bucket key (slot index derives from it)
    uint32_t head = 0;   // first entry + 1; 0 = empty slot
    uint32_t count = 0;  // entries in the chain
  };

  DedupOptions opt;
  size_t k = 0;       // permutations = bands * rows
  size_t stride = 0;  // entries per stored post: one per band + one exact-set entry
  std::vector<uint64_t> perm_seeds;
  std::vector<uint64_t> band_seeds;
  uint64_t exact_seed = 0;

  // Stored originals (non-empty word sets), in insertion order.
  std::vector<uint64_t> words;           // sorted word hashes, concatenated
  std::vector<size_t> word_begin{0};     // post p's words: [word_begin[p], word_begin[p+1])
  std::string ids;                       // concatenated ids
  std::vector<size_t> id_begin{0};
  std::vector<uint32_t> next;            // per entry: next entry in its chain + 1, 0 = end
  std::vector<uint32_t> seen;            // per post: last query stamp that verified it
  uint32_t stamp = 0;

  std::vector<Slot> table = std::vector<Slot>(1024);
  size_t used = 0;
  size_t originals = 0;

  // Query scratch.
  std::vector<uint64_t> query;
  std::vector<uint64_t> sig;
  std::vector<uint64_t> keys;

  explicit Impl(const DedupOptions& o) : opt(o) {
    opt.bands = std::max(opt.bands, 1);
    opt.rows = std::max(opt.rows, 1);
    opt.min_words = std::max(opt.min_words, 1);
    opt.threshold = std::clamp(opt.threshold, 1e-9, 1.0);
    k = static_cast<size_t>(opt.bands) * static_cast<size_t>(opt.rows);
    stride = static_cast<size_t>(opt.bands) + 1;
    uint64_t state = opt.seed;
    auto next_seed = [&] { return splitmix64_next(state); };
    for (size_t i = 0; i < k; ++i) perm_seeds.push_back(next_seed());
    for (int b = 0; b < opt.bands; ++b) band_seeds.push_back(next_seed());
    exact_seed = next_seed();
  }

  size_t stored() const { return id_begin.size() - 1; }

  static uint32_t fingerprint(uint64_t key) { return static_cast<uint32_t>(key >> 32) | 1U; }

  // The slot holding fp, or the empty slot where it would go.
  size_t find_slot(uint32_t fp) const {
    const size_t mask = table.size() - 1;
    size_t i = mix64(fp) & mask;
    while (table[i].head != 0 && table[i].fp != fp) i = (i + 1) & mask;
    return i;
  }

  void grow() {
    std::vector<Slot> old = std::move(table);
    table.assign(old.size() * 2, Slot{});
    for (const Slot& s : old) {
      if (s.head != 0) table[find_slot(s.fp)] = s;
    }
  }

  void link(uint64_t key, size_t entry) {
    if ((used + 1) * 10 > table.size() * 7) grow();
    Slot& s = table[find_slot(fingerprint(key))];
    if (s.head == 0) {
      s.fp = fingerprint(key);
      ++used;
    }
    if (s.count >= kMaxBucket) return;
    next[entry] = s.head;
    s.head = static_cast<uint32_t>(entry + 1);
    ++s.count;
  }

  uint64_t exact_key() const {
    uint64_t h = exact_seed;
    for (uint64_t w : query) h = mix64(h ^ w);
    return h;
  }

  void compute_band_keys() {
    sig.assign(k, std::numeric_limits<uint64_t>::max());
    for (uint64_t w : query) {
      for (size_t i = 0; i < k; ++i) sig[i] = std::min(sig[i], mix64(w ^ perm_seeds[i]));
    }
    keys.resize(static_cast<size_t>(opt.bands));
    const auto rows = static_cast<size_t>(opt.rows);
    for (size_t b = 0; b < keys.size(); ++b) {
      uint64_t h = band_seeds[b];
      for (size_t r = 0; r < rows; ++r) h = mix64(h ^ sig[b * rows + r]);
      keys[b] = h;
    }
  }

  bool similar(size_t p) const {
    const uint64_t* a = words.data() + word_begin[p];
    const size_t na = word_begin[p + 1] - word_begin[p];
    const size_t nb = query.size();
    const bool exact_only = static_cast<int>(nb) < opt.min_words || static_cast<int>(na) < opt.min_words;
    if (exact_only) return na == nb && std::equal(a, a + na, query.begin());
    // |A ∩ B| / |A ∪ B| <= min/max: skip pairs whose sizes alone rule them out.
    if (static_cast<double>(std::min(na, nb)) < opt.threshold * static_cast<double>(std::max(na, nb)) - 1e-9) {
      return false;
    }
    size_t i = 0;
    size_t j = 0;
    size_t inter = 0;
    while (i < na && j < nb) {
      if (a[i] < query[j]) {
        ++i;
      } else if (query[j] < a[i]) {
        ++j;
      } else {
        ++inter;
        ++i;
        ++j;
      }
    }
    const size_t uni = na + nb - inter;
    return static_cast<double>(inter) + 1e-9 >= opt.threshold * static_cast<double>(uni);
  }

  // Walks the chain of key; keeps in best the earliest stored post that is similar.
  void probe(uint64_t key, size_t& best) {
    const Slot& s = table[find_slot(fingerprint(key))];
    for (uint32_t e = s.head; e != 0; e = next[e - 1]) {
      const size_t p = (e - 1) / stride;
      if (p >= best || seen[p] == stamp) continue;
      seen[p] = stamp;
      if (similar(p)) best = p;
    }
  }

  std::optional<std::string> add(std::string_view id, std::string_view raw_text) {
    const std::vector<std::string> ws = dedup_words(raw_text);
    query.clear();
    for (const std::string& w : ws) query.push_back(hash_word(w));
    std::sort(query.begin(), query.end());
    query.erase(std::unique(query.begin(), query.end()), query.end());
    if (query.empty()) {  // nothing to compare: always an original, never a match target
      ++originals;
      return std::nullopt;
    }
    if (++stamp == 0) {  // wrapped: clear the stamps
      std::fill(seen.begin(), seen.end(), 0);
      stamp = 1;
    }
    const bool lsh = static_cast<int>(query.size()) >= opt.min_words;
    const uint64_t ekey = exact_key();
    size_t best = std::numeric_limits<size_t>::max();
    probe(ekey, best);
    if (lsh) {
      compute_band_keys();
      for (uint64_t key : keys) probe(key, best);
    }
    if (best != std::numeric_limits<size_t>::max()) {
      return ids.substr(id_begin[best], id_begin[best + 1] - id_begin[best]);
    }
    store(id, ekey, lsh);
    ++originals;
    return std::nullopt;
  }

  void store(std::string_view id, uint64_t ekey, bool lsh) {
    // Links are 32-bit: past ~250 million originals new posts are no longer indexed.
    if (next.size() + stride >= std::numeric_limits<uint32_t>::max()) return;
    const size_t p = stored();
    words.insert(words.end(), query.begin(), query.end());
    word_begin.push_back(words.size());
    ids.append(id);
    id_begin.push_back(ids.size());
    seen.push_back(0);
    next.resize(next.size() + stride, 0);
    const size_t base = p * stride;
    link(ekey, base + static_cast<size_t>(opt.bands));
    if (lsh) {
      for (size_t b = 0; b < keys.size(); ++b) link(keys[b], base + b);
    }
  }
};

NearDuplicateIndex::NearDuplicateIndex(const DedupOptions& options) : impl_(std::make_unique<Impl>(options)) {}
NearDuplicateIndex::~NearDuplicateIndex() = default;

std::optional<std::string> NearDuplicateIndex::add(std::string_view id, std::string_view raw_text) {
  return impl_->add(id, raw_text);
}

size_t NearDuplicateIndex::size() const { return impl_->originals; }

}  // namespace crema::ingest
