// The tokenizer corpus: every text of the shipped data, normalised as crema normalises posts,
// in a fixed source order, exact duplicates removed.
#include <cstdio>
#include <memory>
#include <unordered_set>

#include "crema/common/hash.h"
#include "crema/common/paths.h"
#include "crema/learn/tokenizer_train.h"
#include "crema/text/normalize.h"
#include "data_files.h"

namespace crema::learn {

Result<CorpusStats> build_tokenizer_corpus(const CorpusOptions& options, const std::filesystem::path& out_file) {
  const std::filesystem::path data = options.data_dir.empty() ? std::filesystem::path(resource_path("data")) : options.data_dir;
  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(out_file.c_str(), "wb"), &std::fclose);
  if (!out) return make_error(ErrorCode::kIoError, out_file.string() + ": cannot write");
  CorpusStats stats;
  uint64_t hash = kFnvOffset;
  std::unordered_set<uint64_t> seen;
  auto emit = [&](std::string_view raw, const std::string& source) {
    std::string line = one_line(text::normalize_text(raw));
    if (line.empty() || !seen.insert(fnv1a(kFnvOffset, line)).second) return;
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), out.get());
    hash = fnv1a(hash, line);
    ++stats.lines;
    stats.bytes += line.size();
    ++stats.lines_by_source[source];
  };

  auto tico = read_tico19(data);
  if (!tico) return tl::unexpected(tico.error());
  for (const auto& p : *tico) {
    emit(p.english, "tico19:en");
    emit(p.other, "tico19:" + p.lang);
  }
  for (const char* file : {"open_labels.jsonl", "crema_labels.jsonl"}) {
    auto rows = read_labelled_texts(data / "labels" / file);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& r : *rows) emit(r.text, r.source.empty() ? "labels" : r.source);
  }
  auto dict = read_freedict(data);
  if (!dict) return tl::unexpected(dict.error());
  for (const auto& p : *dict) emit(p.other, "freedict:" + p.lang);

  // GeoNames: one line per city, its name and alternate names (column 4), for place names in
  // every script.
  const auto cities = data / "geonames" / "cities15000.txt.gz";
  auto lines = read_lines(cities);
  if (!lines) return tl::unexpected(lines.error());
  size_t taken = 0;
  for (size_t i = 0; i < lines->size(); ++i) {
    if (options.max_geonames_lines != 0 && taken >= options.max_geonames_lines) break;
    std::string_view l = (*lines)[i];
    size_t c1 = l.find('\t'), c2 = c1 == l.npos ? l.npos : l.find('\t', c1 + 1);
    size_t c3 = c2 == l.npos ? l.npos : l.find('\t', c2 + 1);
    size_t c4 = c3 == l.npos ? l.npos : l.find('\t', c3 + 1);
    if (c4 == l.npos) {
      return make_error(ErrorCode::kCorrupt, cities.string() + ":" + std::to_string(i + 1) + ": fewer than 5 columns");
    }
    std::string names(l.substr(c1 + 1, c2 - c1 - 1));
    names.push_back(' ');
    for (char c : l.substr(c3 + 1, c4 - c3 - 1)) names.push_back(c == ',' ? ' ' : c);
    emit(names, "geonames");
    ++taken;
  }
  if (std::fflush(out.get()) != 0) return make_error(ErrorCode::kIoError, out_file.string() + ": write failed");
  stats.fnv1a64 = hex64(hash);
  return stats;
}

}  // namespace crema::learn
