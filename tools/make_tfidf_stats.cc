// Reads normalised texts, one per line, on stdin and writes the tfidf encoder's IDF stats
// (include/crema/embed/tfidf_stats.h). Usage: crema_make_tfidf_stats OUT_PATH < texts.txt
// Normally run through tools/make_tfidf_stats.py, which extracts the corpus.
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "crema/embed/tfidf_stats.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_PATH < texts.txt\n", argv[0]);
    return 2;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(std::cin, line);) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  const std::vector<std::string_view> docs(lines.begin(), lines.end());
  auto info = crema::embed::write_tfidf_stats(docs, argv[1]);
  if (!info) {
    std::fprintf(stderr, "error: %s\n", info.error().message.c_str());
    return 1;
  }
  std::printf("documents %llu, feature occurrences %llu, idf %.4f..%.4f\n",
              static_cast<unsigned long long>(info->documents), static_cast<unsigned long long>(info->features),
              static_cast<double>(info->idf_min), static_cast<double>(info->idf_max));
  return 0;
}
