#include "lexicon.h"

#include <fstream>
#include <sstream>

#include "crema/common/utf8.h"

namespace crema::extract::detail {
namespace {

// Decodes one code point at s[i] (valid UTF-8 assumed or U+FFFD), advancing i.
char32_t next_cp(std::string_view s, size_t& i) {
  size_t len = utf8_sequence_length(s, i);
  if (len == 0) {
    ++i;
    return 0xFFFD;
  }
  auto b = static_cast<unsigned char>(s[i]);
  char32_t cp = 0;
  if (len == 1) cp = b;
  else if (len == 2) cp = b & 0x1Fu;
  else if (len == 3) cp = b & 0x0Fu;
  else cp = b & 0x07u;
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
  i += len;
  return cp;
}

void append_cp(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Latin-1 Supplement and Latin Extended-A letters without their accents, lower case.
char32_t strip_accent(char32_t cp) {
  static constexpr std::string_view kLatin1 =  // U+00C0..U+00FF
      "aaaaaaaceeeeiiiidnooooo*ouuuuyts"
      "aaaaaaaceeeeiiiidnooooo/ouuuuyty";
  if (cp >= 0xC0 && cp <= 0xFF) {
    char c = kLatin1[cp - 0xC0];
    if (c != '*' && c != '/') return static_cast<char32_t>(c);
    return cp;
  }
  if (cp >= 0x100 && cp <= 0x17F) {
    static constexpr std::string_view kExtA =  // U+0100..U+017F, pairs upper/lower
        "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    return static_cast<char32_t>(kExtA[cp - 0x100]);
  }
  return cp;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) fields.push_back(field);
  return fields;
}

size_t count_tokens(std::string_view s) {
  size_t n = 1;
  for (char c : s) n += c == ' ' ? 1 : 0;
  return n;
}

}  // namespace

std::string fold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out += static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b);
      ++i;
      continue;
    }
    char32_t cp = next_cp(s, i);
    if (cp >= 0x966 && cp <= 0x96F) cp = U'0' + (cp - 0x966);        // Devanagari digits
    else if (cp >= 0x660 && cp <= 0x669) cp = U'0' + (cp - 0x660);   // Arabic-Indic digits
    else if (cp >= 0x6F0 && cp <= 0x6F9) cp = U'0' + (cp - 0x6F0);   // Extended Arabic-Indic
    else if (cp >= 0x391 && cp <= 0x3A9) cp += 0x20;                 // Greek capitals
    else if (cp >= 0x410 && cp <= 0x42F) cp += 0x20;                 // Cyrillic capitals
    else cp = strip_accent(cp);
    append_cp(out, cp);
  }
  return out;
}

std::string stem(std::string_view w) {
  std::string s(w);
  auto ends = [&](std::string_view suf) { return s.size() > suf.size() + 2 && s.ends_with(suf); };
  if (ends("ies")) {
    s.resize(s.size() - 3);
    s += 'y';
  } else if (ends("oes") || ends("ches") || ends("shes") || ends("xes") || ends("sses")) {
    s.resize(s.size() - 2);
  } else if (s.size() > 3 && s.back() == 's' && !s.ends_with("ss") && !s.ends_with("us") && !s.ends_with("is")) {
    s.pop_back();
  }
  // Romance plurals/genders: medicinas/medicamentos/alimenti -> medicin/medicament/aliment.
  if (s.size() > 4 && (s.back() == 'a' || s.back() == 'o' || s.back() == 'e' || s.back() == 'i')) s.pop_back();
  return s;
}

// Adds the keys of the phrase's first 1..k-1 space-separated tokens.
static void add_prefixes(const std::string& key, std::unordered_set<std::string>& prefixes) {
  for (size_t sp = key.find(' '); sp != std::string::npos; sp = key.find(' ', sp + 1)) prefixes.insert(key.substr(0, sp));
}

Status load_lexicon(const std::string& dir, Lexicon& lex) {
  auto read = [&](const std::string& name, size_t want,
                  const auto& row) -> Status {
    std::string path = dir + "/" + name;
    std::ifstream in(path);
    if (!in) return make_error(ErrorCode::kNotFound, "cannot open " + path);
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      auto f = split_tabs(line);
      if (f.size() < want) {
        return make_error(ErrorCode::kCorrupt, path + ":" + std::to_string(n) + ": expected " +
                                                   std::to_string(want) + " tab-separated fields");
      }
      if (auto s = row(f); !s) return make_error(ErrorCode::kCorrupt, path + ":" + std::to_string(n) + ": " + s.error().message);
    }
    return {};
  };
  auto status = read("resources.tsv", 3, [&](const std::vector<std::string>& f) -> Status {
    auto cls = parse_class(f[1]);
    if (!cls) return make_error(ErrorCode::kCorrupt, "unknown class '" + f[1] + "'");
    std::string key;
    std::string folded = fold(f[0]);
    size_t start = 0;
    while (start <= folded.size()) {
      size_t sp = folded.find(' ', start);
      if (sp == std::string::npos) sp = folded.size();
      if (sp > start) {
        if (!key.empty()) key += ' ';
        key += stem(folded.substr(start, sp - start));
      }
      start = sp + 1;
    }
    add_prefixes(key, lex.resource_prefixes);
    lex.resources.emplace(key, *cls);
    lex.max_phrase_tokens = std::max(lex.max_phrase_tokens, count_tokens(key));
    return {};
  });
  if (!status) return status;
  status = read("numbers.tsv", 3, [&](const std::vector<std::string>& f) -> Status {
    NumberWord w;
    try {
      w.value = std::stod(f[1]);
    } catch (...) {
      return make_error(ErrorCode::kCorrupt, "bad value '" + f[1] + "'");
    }
    if (f[2] == "num") w.kind = NumberWord::kNum;
    else if (f[2] == "mult") w.kind = NumberWord::kMult;
    else if (f[2] == "mult1") {
      w.kind = NumberWord::kMult;
      w.standalone = true;
    }
    else if (f[2] == "vague") w.kind = NumberWord::kVague;
    else return make_error(ErrorCode::kCorrupt, "unknown kind '" + f[2] + "'");
    lex.numbers.emplace(fold(f[0]), w);
    return {};
  });
  if (!status) return status;
  return read("org_cues.tsv", 2, [&](const std::vector<std::string>& f) -> Status {
    OrgKind kind;
    if (f[1] == "org") kind = OrgKind::kOrg;
    else if (f[1] == "cue") kind = OrgKind::kCue;
    else if (f[1] == "body") kind = OrgKind::kBody;
    else return make_error(ErrorCode::kCorrupt, "unknown kind '" + f[1] + "'");
    std::string key = fold(f[0]);
    add_prefixes(key, lex.org_prefixes);
    lex.orgs.emplace(key, kind);
    lex.max_org_tokens = std::max(lex.max_org_tokens, count_tokens(key));
    return {};
  });
}

}  // namespace crema::extract::detail
