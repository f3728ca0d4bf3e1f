// A small data/ folder in the layout the learn module reads, written into a temp directory.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crema/learn/tokenizer_train.h"

namespace crema::learn::testing {

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// zlib's gzread reads plain text too, so the ".gz" files are written uncompressed.
inline std::filesystem::path make_fixture_data(const std::string& name) {
  const auto root = std::filesystem::temp_directory_path() / ("crema_learn_" + name);
  std::filesystem::remove_all(root);
  const std::vector<std::pair<std::string, std::string>> es = {
      {"we need clean water", "necesitamos agua limpia"},
      {"the family needs a place to sleep tonight", "la familia necesita un lugar para dormir esta noche"},
      {"doctors are coming to the hospital", "los médicos vienen al hospital"},
      {"we have food to share", "tenemos comida para compartir"},
      {"the road to the city is closed", "la carretera a la ciudad está cerrada"},
      {"children need medicine", "los niños necesitan medicinas"},
      {"spare room for a family", "habitación libre para una familia"},
      {"volunteers can drive people to the shelter", "los voluntarios pueden llevar gente al refugio"},
  };
  const std::vector<std::pair<std::string, std::string>> fr = {
      {"we need clean water", "nous avons besoin d'eau potable"},
      {"doctors are coming to the hospital", "les médecins arrivent à l'hôpital"},
      {"we have food to share", "nous avons de la nourriture à partager"},
      {"children need medicine", "les enfants ont besoin de médicaments"},
  };
  std::string text;
  for (size_t r = 0; r < 6; ++r) {
    for (size_t i = 0; i < es.size(); ++i) {
      text += "T_" + std::to_string(r) + ":" + std::to_string(i) + "\t" + es[i].first + (r ? " " + std::to_string(r) : "") +
              "\t" + es[i].second + (r ? " " + std::to_string(r) : "") + "\n";
    }
  }
  write_text(root / "parallel" / "tico19" / "en-es.tsv.gz", text);
  text.clear();
  for (size_t i = 0; i < fr.size(); ++i) text += "F_" + std::to_string(i) + "\t" + fr[i].first + "\t" + fr[i].second + "\n";
  write_text(root / "parallel" / "tico19" / "en-fr.tsv.gz", text);
  write_text(root / "parallel" / "freedict" / "de-en.tsv.gz", "Wasser\twater\nEssen\tfood\n");
  std::string labels =
      R"({"text":"We need tents in Leogane","lang":"en","source":"figure8","source_id":"1","label":"request"})" "\n"
      R"({"text":"Nou bezwen tant nan Leogane","lang":"ht","source":"figure8","source_id":"1","label":"request"})" "\n"
      R"({"text":"Offering free rides to the shelter","lang":"en","source":"crisislex_t26","source_id":"x/2","label":"offer"})" "\n"
      R"({"text":"Necesitamos agua en Manila","lang":"es","source":"crisislex_t26","source_id":"x/3","label":"request"})" "\n";
  write_text(root / "labels" / "open_labels.jsonl", labels);
  write_text(root / "labels" / "crema_labels.jsonl",
             R"({"text":"Water and food needed at the school","lang":"en","source":"figure8","source_id":"9"})" "\n");
  write_text(root / "geonames" / "cities15000.txt.gz",
             "1\tSydney\tSydney\tSidney,Sydney,シドニー\t-33.8\t151.2\n2\tManila\tManila\tMaynila,Манила\t14.6\t121.0\n");
  return root;
}

// Debian's sentencepiece tools, which tokenizer training runs as subprocesses.
inline bool have_spm() { return std::system("command -v spm_train > /dev/null 2>&1") == 0; }

// A fixture data folder and the options that train a 200-piece tokenizer on it into DATA/tok.
inline TokenizerTrainOptions fixture_tokenizer_options(const std::string& name, size_t verify_lines) {
  TokenizerTrainOptions options;
  options.corpus.data_dir = make_fixture_data(name);
  options.out_dir = options.corpus.data_dir / "tok";
  options.vocab_size = 200;
  options.verify_lines = verify_lines;
  return options;
}

}  // namespace crema::learn::testing
