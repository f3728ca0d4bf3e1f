#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "backends.h"
#include "crema/filter/prefilter.h"

namespace crema::filter {
namespace {

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

Error line_error(const std::string& source, size_t line_no, const std::string& reason) {
  return Error{ErrorCode::kParseError, source + ":" + std::to_string(line_no) + ": " + reason};
}

}  // namespace

Result<std::vector<Pattern>> parse_patterns(std::string_view content, const std::string& source) {
  std::vector<Pattern> patterns;
  std::set<int> ids;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (is_blank(line)) continue;
    const size_t first = line.find_first_not_of(" \t");
    if (line[first] == '#') continue;
    const size_t tab1 = line.find('\t');
    const size_t tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string_view::npos) {
      return tl::unexpected(line_error(source, line_no, "expected <id>\\t<name>\\t<regex>"));
    }
    const std::string_view id_text = line.substr(0, tab1);
    const std::string_view name = line.substr(tab1 + 1, tab2 - tab1 - 1);
    const std::string_view regex = line.substr(tab2 + 1);
    int id = 0;
    const auto [ptr, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc() || ptr != id_text.data() + id_text.size() || id <= 0) {
      return tl::unexpected(line_error(source, line_no,
                                       "pattern id must be a positive integer, got '" +
                                           std::string(id_text) + "'"));
    }
    if (!ids.insert(id).second) {
      return tl::unexpected(line_error(source, line_no, "duplicate pattern id " + std::to_string(id)));
    }
    if (name.empty() || name.find_first_of(" \t") != std::string_view::npos) {
      return tl::unexpected(
          line_error(source, line_no, "pattern " + std::to_string(id) + ": name must be one word"));
    }
    if (regex.empty()) {
      return tl::unexpected(
          line_error(source, line_no, "pattern " + std::to_string(id) + ": empty regex"));
    }
    std::string sanitized;
    if (detail::sanitize_utf8(regex, sanitized)) {
      return tl::unexpected(
          line_error(source, line_no, "pattern " + std::to_string(id) + ": regex is not valid UTF-8"));
    }
    if (regex.find('\0') != std::string_view::npos) {
      return tl::unexpected(
          line_error(source, line_no, "pattern " + std::to_string(id) + ": regex contains NUL"));
    }
    patterns.push_back(Pattern{id, std::string(name), std::string(regex)});
  }
  return patterns;
}

Result<std::vector<Pattern>> load_patterns(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kNotFound,
                      "cannot open pattern file " + path + ": " + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return make_error(ErrorCode::kIoError, "cannot read pattern file " + path);
  return parse_patterns(content.str(), path);
}

}  // namespace crema::filter
