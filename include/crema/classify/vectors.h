// crema/classify/vectors.h: crisis-domain word vectors for the classifiers' pretrained axis.
// fastText's unsupervised skipgram with character n-grams, trained on unlabelled text and
// written as a fastText .vec file (a training input of `crema train classifier
// --pretrained-vectors`, not a run-time file).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crema/common/progress.h"
#include "crema/common/result.h"

namespace crema::classify {

struct VectorTrainOptions {
  // Corpus files: one record per line; a record may hold several texts separated by TAB
  // (a message and its original-language text), each of which becomes one training line.
  std::vector<std::string> inputs;
  std::string out_path;  // the .vec file to write
  // Labelled JSONL (load_labelled) whose validation and test posts of the seeded
  // stratified_split are left out: a record is dropped when any of its texts, normalised
  // and tokenised as the classifiers see it, equals such a post's. Empty: nothing left out.
  std::string holdout_labels;
  uint64_t seed = 42;  // the split's seed and fastText's
  int dim = 100;
  int epochs = 5;
  int min_count = 5;
  int min_char_ngram = 3;  // 0 = no character n-grams (then max must be 0 too)
  int max_char_ngram = 6;
  int window = 5;
  double learning_rate = 0.05;
  int threads = 1;  // 1 => the same bytes on every run
  ProgressFn progress;
};

struct VectorTrainResult {
  int64_t records = 0;        // records read from the inputs
  int64_t held_out = 0;       // records dropped because they hold a validation/test post
  int64_t lines = 0;          // training lines (non-empty texts of the kept records)
  int64_t tokens = 0;         // word tokens in those lines
  int64_t words = 0;          // vectors written (words seen at least min_count times)
  int dim = 0;
  std::string sha256;         // of the .vec file
};

// Normalises the corpus (text::normalize_text, then fasttext_input), leaves out the holdout,
// trains the skipgram model and writes every dictionary word's vector (its own row plus its
// character n-grams, as fastText computes it) to out_path atomically, "%.5g" per value.
Result<VectorTrainResult> train_vectors(const VectorTrainOptions& options);

}  // namespace crema::classify
