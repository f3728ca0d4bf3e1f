// src/learn/data_files.h: readers for the training data shipped in data/ (private to learn).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "crema/common/result.h"

namespace crema::learn {

// Lines of a text file, gzip-compressed or not (zlib reads both), without line ends.
Result<std::vector<std::string>> read_lines(const std::filesystem::path& path);

struct LabelledText {
  std::string text, lang, source, source_id;
};
// text/lang/source/source_id of every row of a labels JSONL file (data/labels/*.jsonl);
// kCorrupt naming the file and line of a malformed row.
Result<std::vector<LabelledText>> read_labelled_texts(const std::filesystem::path& path);

struct ParallelPair {
  std::string id;      // "tico19:CMU_1:1", "figure8:848", "freedict:de:Wasser"
  std::string lang;    // language of `other`
  std::string english;
  std::string other;
};
// TICO-19 pairs of data_dir/parallel/tico19/en-*.tsv.gz, files in name order.
Result<std::vector<ParallelPair>> read_tico19(const std::filesystem::path& data_dir);
// FreeDict pairs of data_dir/parallel/freedict/*-en.tsv.gz (empty when the folder is absent).
Result<std::vector<ParallelPair>> read_freedict(const std::filesystem::path& data_dir);
// Figure Eight original/English pairs: rows of open_labels.jsonl from figure8 sharing a
// source_id, one English and one not.
std::vector<ParallelPair> figure8_pairs(const std::vector<LabelledText>& rows);

// Whitespace collapsed, tabs and control characters to spaces, trimmed.
std::string one_line(std::string_view s);

// 64-bit FNV-1a as 16 hex digits.
std::string hex64(uint64_t v);

}  // namespace crema::learn
