// tests/support/golden.h: the golden-file format shared by every module's golden tests.
//
// A .case file holds cases separated by a line "====". Each case is
//   # optional comment lines (the first file comment names the command that made it)
//   <input lines>
//   ----
//   <expected output lines>
// Escapes in input and expected text: \n, \t, \\, \xHH (so NUL bytes, invalid UTF-8 and
// control characters can be written), applied by unescape().
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace crema::testing {

struct GoldenCase {
  std::string name;  // "<file>:<line of case start>"
  std::string input;
  std::string expected;
};

inline std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char c = s[++i];
    if (c == 'n') out.push_back('\n');
    else if (c == 't') out.push_back('\t');
    else if (c == '\\') out.push_back('\\');
    else if (c == 'x' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back('\\');
      out.push_back(c);
    }
  }
  return out;
}

// Reads all cases of a .case file. Input and expected keep their internal newlines but
// lose the final one; both are unescaped.
inline std::vector<GoldenCase> read_golden_cases(const std::string& path) {
  std::ifstream in(path);
  std::vector<GoldenCase> cases;
  std::string line;
  GoldenCase current;
  bool in_expected = false;
  bool have_content = false;
  int line_no = 0;
  std::string input_acc;
  std::string expected_acc;
  auto flush = [&] {
    if (have_content) {
      if (!input_acc.empty()) input_acc.pop_back();
      if (!expected_acc.empty()) expected_acc.pop_back();
      current.input = unescape(input_acc);
      current.expected = unescape(expected_acc);
      cases.push_back(current);
    }
    current = GoldenCase{};
    input_acc.clear();
    expected_acc.clear();
    in_expected = false;
    have_content = false;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line == "====") {
      flush();
      continue;
    }
    if (!have_content && !in_expected && line.rfind("#", 0) == 0) continue;
    if (!have_content) {
      current.name = path.substr(path.find_last_of('/') + 1) + ":" + std::to_string(line_no);
      have_content = true;
    }
    if (line == "----" && !in_expected) {
      in_expected = true;
      continue;
    }
    (in_expected ? expected_acc : input_acc) += line + "\n";
  }
  flush();
  return cases;
}

}  // namespace crema::testing
