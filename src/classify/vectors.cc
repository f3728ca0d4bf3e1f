// Crisis-domain word vectors: fastText unsupervised skipgram with character n-grams.
#include "crema/classify/vectors.h"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <unordered_set>

#include <fasttext/fasttext.h>

#include "crema/classify/classifier.h"
#include "crema/classify/evaluation.h"
#include "crema/common/file_io.h"
#include "crema/common/parallel.h"
#include "crema/text/normalize.h"
#include "temp_file.h"

namespace crema::classify {
namespace {

// Hashed character n-gram rows: fastText's default (2M) costs 800 MB at dim 100 for a corpus
// of a few million tokens; 500k keeps collisions rare at a quarter of that.
constexpr int kBuckets = 500'000;

std::string model_line(std::string_view raw) { return fasttext_input(text::normalize_text(raw)); }

// The classifiers' view of every validation and test post of the seeded split.
Result<std::unordered_set<std::string>> holdout_lines(const std::string& labels_path, uint64_t seed) {
  auto posts = load_labelled(labels_path);
  if (!posts) return tl::unexpected(posts.error());
  const Split split = stratified_split(*posts, seed);
  std::unordered_set<std::string> out;
  for (const auto* part : {&split.validation, &split.test}) {
    for (size_t i : *part) {
      std::string line = model_line((*posts)[i].text);
      if (!line.empty()) out.insert(std::move(line));
    }
  }
  return out;
}

std::vector<std::string_view> split_on(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

}  // namespace

Result<VectorTrainResult> train_vectors(const VectorTrainOptions& o) {
  const bool char_ngrams_ok = (o.min_char_ngram == 0 && o.max_char_ngram == 0) ||
                              (o.min_char_ngram >= 1 && o.min_char_ngram <= o.max_char_ngram && o.max_char_ngram <= 8);
  if (o.inputs.empty() || o.out_path.empty() || o.dim < 1 || o.dim > 1000 || o.epochs < 1 || o.min_count < 1 ||
      o.window < 1 || !(o.learning_rate > 0) || o.threads < 1 || !char_ngrams_ok) {
    return make_error(ErrorCode::kInvalidArgument,
                      "vector training options out of range (inputs and output given, dim 1..1000, epochs >= 1, "
                      "min count >= 1, window >= 1, lr > 0, threads >= 1, char n-grams 0,0 or 1 <= min <= max <= 8)");
  }
  std::unordered_set<std::string> holdout;
  if (!o.holdout_labels.empty()) {
    auto lines = holdout_lines(o.holdout_labels, o.seed);
    if (!lines) return tl::unexpected(lines.error());
    holdout = std::move(*lines);
  }

  VectorTrainResult result;
  std::string corpus;
  for (const std::string& path : o.inputs) {
    auto bytes = read_file(path);
    if (!bytes) return tl::unexpected(bytes.error());
    std::vector<std::string_view> records = split_on(*bytes, '\n');
    if (!records.empty() && records.back().empty()) records.pop_back();
    // Each record's texts as the classifiers see them, unless the record is held out.
    std::vector<std::vector<std::string>> kept(records.size());
    std::vector<uint8_t> held_out(records.size(), 0);
    parallel_for(records.size(), resolve_threads(o.threads), [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        std::string_view record = records[r];
        if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
        for (std::string_view text : split_on(record, '\t')) {
          std::string line = model_line(text);
          if (line.empty()) continue;
          if (holdout.count(line) != 0) {
            held_out[r] = 1;
            kept[r].clear();
            break;
          }
          kept[r].push_back(std::move(line));
        }
      }
    });
    for (size_t r = 0; r < records.size(); ++r) {
      ++result.records;
      result.held_out += held_out[r];
      for (const std::string& line : kept[r]) {
        corpus += line;
        corpus.push_back('\n');
        ++result.lines;
        result.tokens += 1 + static_cast<int64_t>(std::count(line.begin(), line.end(), ' '));
      }
    }
    if (o.progress) o.progress("read", result.records, 0);
  }
  if (result.lines == 0) return make_error(ErrorCode::kInvalidArgument, "the corpus has no text to train on");

  const TempFile corpus_file{o.out_path + ".corpus.tmp"};
  if (auto st = write_file_atomic(corpus_file.path, corpus); !st) return tl::unexpected(st.error());
  corpus.clear();
  corpus.shrink_to_fit();

  fasttext::Args args;
  args.input = corpus_file.path;
  args.model = fasttext::model_name::sg;
  args.loss = fasttext::loss_name::ns;
  args.dim = o.dim;
  args.ws = o.window;
  args.epoch = o.epochs;
  args.minCount = o.min_count;
  args.minn = o.min_char_ngram;
  args.maxn = o.max_char_ngram;
  args.bucket = o.min_char_ngram > 0 ? kBuckets : 0;
  args.lr = o.learning_rate;
  args.thread = o.threads;
  args.seed = static_cast<int>(o.seed & 0x7fffffff);
  args.verbose = 0;
  fasttext::FastText ft;
  try {
    ft.train(args, [&](float progress, float, double, double, int64_t) {
      if (o.progress) o.progress("train", static_cast<uint64_t>(progress * 1000), 1000);
    });
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInvalidArgument, std::string("fastText training failed: ") + e.what());
  }

  const auto dict = ft.getDictionary();
  std::string body;
  fasttext::Vector vec(o.dim);
  char buf[32];
  for (int32_t i = 0; i < dict->nwords(); ++i) {
    const std::string word = dict->getWord(i);
    if (word == fasttext::Dictionary::EOS) continue;
    ft.getWordVector(vec, word);
    body += word;
    for (int64_t d = 0; d < vec.size(); ++d) {
      std::snprintf(buf, sizeof buf, " %.5g", static_cast<double>(vec[d]));
      body += buf;
    }
    body.push_back('\n');
    ++result.words;
  }
  const std::string text = std::to_string(result.words) + " " + std::to_string(o.dim) + "\n" + body;
  if (auto st = write_file_atomic(o.out_path, text); !st) return tl::unexpected(st.error());
  result.dim = o.dim;
  result.sha256 = sha256_hex(text);
  if (o.progress) o.progress("write", 1, 1);
  return result;
}

}  // namespace crema::classify
