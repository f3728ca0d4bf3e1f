#include "data_files.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include <simdjson.h>

namespace crema::learn {

Result<std::vector<std::string>> read_lines(const std::filesystem::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return make_error(ErrorCode::kNotFound, path.string() + ": cannot open");
  std::vector<std::string> lines;
  std::string current;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      gzclose(f);
      return make_error(ErrorCode::kCorrupt, path.string() + ": not a readable gzip or text file");
    }
    if (n == 0) break;
    for (int i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        if (!current.empty() && current.back() == '\r') current.pop_back();
        lines.push_back(std::move(current));
        current.clear();
      } else {
        current.push_back(buf[i]);
      }
    }
  }
  gzclose(f);
  if (!current.empty()) lines.push_back(std::move(current));
  return lines;
}

Result<std::vector<LabelledText>> read_labelled_texts(const std::filesystem::path& path) {
  auto lines = read_lines(path);
  if (!lines) return tl::unexpected(lines.error());
  std::vector<LabelledText> rows;
  rows.reserve(lines->size());
  simdjson::ondemand::parser parser;
  for (size_t i = 0; i < lines->size(); ++i) {
    const std::string& line = (*lines)[i];
    if (line.empty()) continue;
    simdjson::padded_string padded(line);
    auto bad = [&](const char* why) {
      return make_error(ErrorCode::kCorrupt, path.string() + ":" + std::to_string(i + 1) + ": " + why);
    };
    simdjson::ondemand::document doc;
    if (parser.iterate(padded).get(doc)) return bad("not JSON");
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return bad("not a JSON object");
    LabelledText row;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return bad("bad key");
      std::string* dst = key == "text" ? &row.text : key == "lang" ? &row.lang
                       : key == "source" ? &row.source : key == "source_id" ? &row.source_id : nullptr;
      if (dst == nullptr) continue;
      std::string_view v;
      if (field.value().get_string().get(v)) return bad("field is not a string");
      *dst = std::string(v);
    }
    if (row.text.empty()) return bad("missing \"text\"");
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

std::vector<std::filesystem::path> sorted_files(const std::filesystem::path& dir, std::string_view suffix) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string_view> split_tabs(std::string_view s) {
  std::vector<std::string_view> out;
  size_t b = 0;
  for (;;) {
    size_t t = s.find('\t', b);
    out.push_back(s.substr(b, t == std::string_view::npos ? std::string_view::npos : t - b));
    if (t == std::string_view::npos) break;
    b = t + 1;
  }
  return out;
}

}  // namespace

Result<std::vector<ParallelPair>> read_tico19(const std::filesystem::path& data_dir) {
  const auto dir = data_dir / "parallel" / "tico19";
  auto files = sorted_files(dir, ".tsv.gz");
  if (files.empty()) return make_error(ErrorCode::kNotFound, dir.string() + ": no en-*.tsv.gz files");
  std::vector<ParallelPair> pairs;
  for (const auto& file : files) {
    const std::string name = file.filename().string();  // en-ar.tsv.gz
    const std::string lang = name.substr(3, name.size() - 3 - 7);
    auto lines = read_lines(file);
    if (!lines) return tl::unexpected(lines.error());
    for (size_t i = 0; i < lines->size(); ++i) {
      auto cols = split_tabs((*lines)[i]);
      if (cols.size() != 3 || cols[1].empty() || cols[2].empty()) {
        return make_error(ErrorCode::kCorrupt, file.string() + ":" + std::to_string(i + 1) +
                                                   ": expected tuid<TAB>English<TAB>translation");
      }
      pairs.push_back({"tico19:" + std::string(cols[0]), lang, std::string(cols[1]), std::string(cols[2])});
    }
  }
  return pairs;
}

Result<std::vector<ParallelPair>> read_freedict(const std::filesystem::path& data_dir) {
  std::vector<ParallelPair> pairs;
  for (const auto& file : sorted_files(data_dir / "parallel" / "freedict", "-en.tsv.gz")) {
    const std::string name = file.filename().string();  // de-en.tsv.gz
    const std::string lang = name.substr(0, name.find('-'));
    auto lines = read_lines(file);
    if (!lines) return tl::unexpected(lines.error());
    for (size_t i = 0; i < lines->size(); ++i) {
      auto cols = split_tabs((*lines)[i]);
      if (cols.size() != 2 || cols[0].empty() || cols[1].empty()) {
        return make_error(ErrorCode::kCorrupt, file.string() + ":" + std::to_string(i + 1) +
                                                   ": expected phrase<TAB>English");
      }
      pairs.push_back({"freedict:" + lang + ":" + std::string(cols[0]), lang, std::string(cols[1]), std::string(cols[0])});
    }
  }
  return pairs;
}

std::vector<ParallelPair> figure8_pairs(const std::vector<LabelledText>& rows) {
  std::map<std::string, std::pair<const LabelledText*, const LabelledText*>> by_id;  // English, original
  for (const auto& r : rows) {
    if (r.source != "figure8" || r.source_id.empty()) continue;
    auto& slot = by_id[r.source_id];
    if (r.lang == "en") {
      if (slot.first == nullptr) slot.first = &r;
    } else if (slot.second == nullptr) {
      slot.second = &r;
    }
  }
  std::vector<ParallelPair> pairs;
  for (const auto& [id, slot] : by_id) {
    if (slot.first && slot.second && slot.first->text != slot.second->text) {
      pairs.push_back({"figure8:" + id, slot.second->lang, slot.first->text, slot.second->text});
    }
  }
  return pairs;
}

std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace crema::learn
