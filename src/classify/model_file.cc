// Structural check of fastText 0.9.2 model files, done on the bytes before fastText's own
// loader (which trusts every count it reads) ever sees them.
#include <cstring>
#include <limits>

#include "crema/classify/evaluation.h"

namespace crema::classify {
namespace {

constexpr int32_t kMagic = 793712314;
constexpr int32_t kVersion = 12;
constexpr int32_t kModelSupervised = 3;
constexpr int32_t kLossSoftmax = 3;
constexpr int32_t kLossOva = 4;
constexpr int64_t kCentroids = 256;  // ProductQuantizer ksub
constexpr std::string_view kLabelPrefix = "__label__";

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  template <typename T>
  bool read(T& value) {
    if (left() < sizeof(T)) return false;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool skip(uint64_t n) {
    if (left() < n) return false;
    pos_ += n;
    return true;
  }
  // A NUL-terminated string; false if no NUL before the end.
  bool read_cstring(std::string& out) {
    const size_t end = bytes_.find('\0', pos_);
    if (end == std::string_view::npos) return false;
    out.assign(bytes_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  size_t left() const { return bytes_.size() - pos_; }
  size_t pos() const { return pos_; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

struct Checker {
  Reader in;
  const std::string& name;

  tl::unexpected<Error> fail(const std::string& what) const {
    return make_error(ErrorCode::kCorrupt, name + ": not a valid crema fastText model (" + what +
                                               " at byte " + std::to_string(in.pos()) + ")");
  }

  // A byte that fastText reads into a bool: only 0 and 1 are valid.
  Result<bool> read_bool(const char* what) {
    uint8_t b = 0;
    if (!in.read(b)) return fail(std::string("truncated ") + what);
    if (b > 1) return fail(std::string("bad ") + what + " flag");
    return b == 1;
  }

  // ProductQuantizer::load: dim, nsubq, dsub, lastdsub, then dim * 256 centroids.
  Result<int64_t> read_pq(int64_t expected_dim) {
    int32_t dim = 0, nsubq = 0, dsub = 0, lastdsub = 0;
    if (!in.read(dim) || !in.read(nsubq) || !in.read(dsub) || !in.read(lastdsub)) {
      return fail("truncated quantizer header");
    }
    if (dim != expected_dim || dsub <= 0 || dsub > dim) return fail("bad quantizer dimensions");
    const int32_t rest = dim % dsub;
    const int32_t want_nsubq = dim / dsub + (rest == 0 ? 0 : 1);
    const int32_t want_last = rest == 0 ? dsub : rest;
    if (nsubq != want_nsubq || lastdsub != want_last) return fail("inconsistent quantizer sizes");
    if (!in.skip(static_cast<uint64_t>(dim) * kCentroids * sizeof(float))) {
      return fail("truncated quantizer centroids");
    }
    return nsubq;
  }

  // DenseMatrix or QuantMatrix with exactly rows x cols.
  Status read_matrix(bool quantized, int64_t rows, int64_t cols, const char* what) {
    if (!quantized) {
      int64_t m = 0, n = 0;
      if (!in.read(m) || !in.read(n)) return fail(std::string("truncated ") + what + " matrix header");
      if (m != rows || n != cols) return fail(std::string(what) + " matrix has the wrong shape");
      const uint64_t per_row = static_cast<uint64_t>(n) * sizeof(float);
      if (m > 0 && per_row > 0 && static_cast<uint64_t>(m) > in.left() / per_row) {
        return fail(std::string("truncated ") + what + " matrix");
      }
      in.skip(static_cast<uint64_t>(m) * per_row);
      return {};
    }
    auto qnorm = read_bool("qnorm");
    if (!qnorm) return tl::unexpected(qnorm.error());
    int64_t m = 0, n = 0;
    int32_t codesize = 0;
    if (!in.read(m) || !in.read(n) || !in.read(codesize)) {
      return fail(std::string("truncated quantized ") + what + " matrix header");
    }
    if (m != rows || n != cols) return fail(std::string(what) + " matrix has the wrong shape");
    if (codesize < 0 || !in.skip(static_cast<uint64_t>(codesize))) {
      return fail(std::string("truncated ") + what + " codes");
    }
    auto nsubq = read_pq(n);
    if (!nsubq) return tl::unexpected(nsubq.error());
    if (static_cast<int64_t>(codesize) != m * *nsubq) return fail(std::string(what) + " code size mismatch");
    if (*qnorm) {
      if (!in.skip(static_cast<uint64_t>(m))) return fail(std::string("truncated ") + what + " norm codes");
      auto norm_subq = read_pq(1);
      if (!norm_subq) return tl::unexpected(norm_subq.error());
    }
    return {};
  }

  Result<FastTextModelInfo> run() {
    FastTextModelInfo info;
    int32_t magic = 0, version = 0;
    if (!in.read(magic) || !in.read(version)) return fail("file too short");
    if (magic != kMagic) return fail("bad magic number");
    if (version != kVersion) return fail("unsupported version " + std::to_string(version));

    // Args::save order: dim ws epoch minCount neg wordNgrams loss model bucket minn maxn
    // lrUpdateRate (int32 each), then t (double).
    int32_t a[12] = {};
    for (int32_t& v : a) {
      if (!in.read(v)) return fail("truncated arguments");
    }
    double t = 0;
    if (!in.read(t)) return fail("truncated arguments");
    const int32_t dim = a[0], word_ngrams = a[5], loss = a[6], model = a[7], bucket = a[8], minn = a[9],
                  maxn = a[10];
    if (model != kModelSupervised) return fail("not a supervised model");
    if (loss != kLossSoftmax && loss != kLossOva) return fail("unsupported loss");
    if (dim <= 0 || dim > 4096) return fail("bad dimension");
    if (word_ngrams < 1 || word_ngrams > 16) return fail("bad wordNgrams");
    if (bucket < 0 || minn < 0 || maxn < 0 || maxn > 64 || minn > maxn) return fail("bad n-gram arguments");
    // Dictionary hashes n-grams modulo bucket: zero buckets with n-grams would divide by 0.
    if (bucket == 0 && (word_ngrams > 1 || maxn > 0)) return fail("n-grams without buckets");
    info.dim = dim;
    info.word_ngrams = word_ngrams;
    info.loss = loss;
    info.bucket = bucket;

    int32_t size = 0, nwords = 0, nlabels = 0;
    int64_t ntokens = 0, prune_size = 0;
    if (!in.read(size) || !in.read(nwords) || !in.read(nlabels) || !in.read(ntokens) || !in.read(prune_size)) {
      return fail("truncated dictionary header");
    }
    // Each entry takes at least 10 bytes (NUL, int64 count, type byte).
    if (nwords < 1 || nlabels < 1 || static_cast<int64_t>(size) != static_cast<int64_t>(nwords) + nlabels ||
        static_cast<uint64_t>(size) > in.left() / 10) {
      return fail("bad dictionary sizes");
    }
    if (prune_size < -1 || prune_size > std::numeric_limits<int32_t>::max()) return fail("bad pruned size");
    info.nwords = nwords;
    std::string word;
    for (int32_t i = 0; i < size; ++i) {
      int64_t count = 0;
      int8_t type = 0;
      if (!in.read_cstring(word) || !in.read(count) || !in.read(type)) return fail("truncated dictionary");
      const int8_t want = i < nwords ? 0 : 1;
      if (type != want) return fail("dictionary entry of the wrong type");
      if (want == 1) {
        if (word.rfind(kLabelPrefix, 0) != 0) return fail("label without __label__ prefix");
        info.labels.push_back(word.substr(kLabelPrefix.size()));
      }
    }
    if (prune_size > 0) {
      if (static_cast<uint64_t>(prune_size) > in.left() / 8) return fail("truncated pruning table");
      for (int64_t i = 0; i < prune_size; ++i) {
        int32_t key = 0, value = 0;
        in.read(key);
        in.read(value);
        if (key < 0 || value < 0 || value >= prune_size) return fail("bad pruning table entry");
      }
    }
    auto quant_input = read_bool("quantized-input");
    if (!quant_input) return tl::unexpected(quant_input.error());
    if (prune_size >= 0 && !*quant_input) return fail("pruned dictionary without quantization");
    info.quantized = *quant_input;
    const int64_t input_rows = static_cast<int64_t>(nwords) + (prune_size >= 0 ? prune_size : bucket);
    if (auto st = read_matrix(*quant_input, input_rows, dim, "input"); !st) return tl::unexpected(st.error());
    auto quant_output = read_bool("quantized-output");
    if (!quant_output) return tl::unexpected(quant_output.error());
    // fastText reads the output as quantized only if the input is quantized too.
    const bool output_quantized = *quant_input && *quant_output;
    if (auto st = read_matrix(output_quantized, nlabels, dim, "output"); !st) return tl::unexpected(st.error());
    if (in.left() != 0) return fail("trailing bytes");
    return info;
  }
};

}  // namespace

Result<FastTextModelInfo> check_fasttext_model(std::string_view bytes, const std::string& name) {
  Checker checker{Reader(bytes), name};
  return checker.run();
}

}  // namespace crema::classify
