// crema/learn/tokenizer_train.h: the multilingual training corpus and SentencePiece Unigram
// tokenizer training behind `crema train tokenizer` (docs/learn.md).
//
// The corpus is built only from files shipped in the repository's data/ folder (TICO-19
// parallel text in data/parallel/, Figure Eight and CrisisLex posts in data/labels/, GeoNames
// alternate names in data/geonames/), in a fixed order, so the same repository gives the same
// corpus byte for byte. Training runs Debian's `spm_train` (package `sentencepiece`) as a
// subprocess: crema never links libsentencepiece (its protobuf clashes with libphonenumber's).
// The result is saved in Hugging Face XLM-R layout: sentencepiece.bpe.model (fairseq ids:
// <s>=0 <pad>=1 </s>=2 <unk>=3, pieces shifted by one, <mask> last) and a tokenizer.json
// (Unigram, Precompiled charsmap, Metaspace, <s> $A </s>) with the same ids, so crema's own
// tokenizer (crema/nn/tokenizer.h) and HF `tokenizers` both read the folder.
//
// Units: sizes in pieces and lines; times in seconds.
// Threads: the functions are reentrant; train_tokenizer starts subprocesses and uses up to
// `threads` threads in spm_train.
// Failures: kNotFound for a missing data file or tool, kCorrupt naming the file and line of a
// malformed input record, kIoError for writes, kInternal when spm_train or spm_encode fails
// (the message carries the tool's exit status and last stderr line).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "crema/common/progress.h"
#include "crema/common/result.h"

namespace crema::learn {

struct CorpusOptions {
  std::filesystem::path data_dir;    // empty = resource_path("data")
  size_t max_geonames_lines = 60000;  // alternate-name lines taken from cities15000 (0 = all)
};

struct CorpusStats {
  size_t lines = 0;
  size_t bytes = 0;
  std::map<std::string, size_t> lines_by_source;  // "tico19:ar", "figure8", "geonames", ...
  std::string fnv1a64;                              // hex hash of the corpus bytes
};

// Writes the deterministic tokenizer corpus (one text per line, duplicates removed, no empty
// lines) to out_file.
Result<CorpusStats> build_tokenizer_corpus(const CorpusOptions& options, const std::filesystem::path& out_file);

struct TokenizerTrainOptions {
  std::filesystem::path out_dir;
  CorpusOptions corpus;
  std::filesystem::path corpus_file;  // non-empty: train on this file instead of building one
  int vocab_size = 32000;             // final vocabulary, specials and <mask> included
  size_t input_sentence_size = 0;     // spm_train sample size (0 = every line)
  uint64_t seed = 42;
  int threads = 1;
  size_t verify_lines = 2000;        // lines compared with spm_encode (0 = skip)
  std::string spm_train = "spm_train";
  std::string spm_encode = "spm_encode";
};

struct TokenizerTrainReport {
  CorpusStats corpus;
  size_t vocab_size = 0;
  size_t verified_lines = 0;      // lines compared with spm_encode
  size_t identical_lines = 0;     // of those, lines whose ids agree exactly
  std::vector<size_t> differing;  // indices (0-based) of the first differing lines (≤ 20)
  double seconds = 0;
  std::string spm_command;        // the spm_train command line that ran
};

// Builds the corpus (unless corpus_file is given), trains the Unigram model, writes the HF
// folder and a TOKENIZER.md card into out_dir, then encodes verify_lines corpus lines with
// both spm_encode and crema's tokenizer on the written folder and counts identical lines.
Result<TokenizerTrainReport> train_tokenizer(const TokenizerTrainOptions& options, const ProgressFn& progress = {});

// Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json for
// dir/sentencepiece.bpe.model (XLM-R id layout). kCorrupt naming the field of a damaged model.
Status write_hf_tokenizer_files(const std::filesystem::path& dir);

}  // namespace crema::learn
