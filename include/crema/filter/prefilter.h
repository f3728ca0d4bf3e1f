// crema/filter/prefilter.h: the regular-expression prefilter for potential requests and
// offers (CReMa §III-A, Table I), compiled once into one multi-pattern database.
//
// Patterns live in a data file (data/prefilter/patterns.txt), one per line:
//   <id>\t<name>\t<regex>        ('#' starts a comment line; blank lines ignored)
// Regexes use the common subset of Hyperscan and RE2 syntax, matched case-insensitively on
// UTF-8 text. Hyperscan is used where available, RE2::Set otherwise; both give the same
// answers (a test checks).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/result.h"

namespace crema::filter {

struct Pattern {
  int id = 0;
  std::string name;
  std::string regex;
};

// Reads a pattern file. Errors name the file and line.
Result<std::vector<Pattern>> load_patterns(const std::string& path);

// Parses the contents of a pattern file; `source` names it in errors ("<source>:<line>: …").
// Ids must be positive and unique, names non-empty without whitespace, regexes non-empty
// valid UTF-8. A trailing '\r' (CRLF files) is ignored.
Result<std::vector<Pattern>> parse_patterns(std::string_view content, const std::string& source);

// True if this build has the Hyperscan backend.
bool hyperscan_available();

// Thread-safe after creation: match()/matching_ids() may be called concurrently.
class Prefilter {
 public:
  enum class Backend { kAuto, kHyperscan, kRe2 };

  // Compiles all patterns into one database. Errors name the offending pattern id.
  static Result<std::unique_ptr<Prefilter>> compile(std::vector<Pattern> patterns,
                                                    Backend backend = Backend::kAuto);
  // load_patterns + compile.
  static Result<std::unique_ptr<Prefilter>> load(const std::string& path,
                                                 Backend backend = Backend::kAuto);
  virtual ~Prefilter() = default;

  // True if any pattern matches text. text should be UTF-8; invalid bytes are matched as
  // U+FFFD by both backends.
  virtual bool matches(std::string_view text) const = 0;
  // Ids of all matching patterns, ascending.
  virtual std::vector<int> matching_ids(std::string_view text) const = 0;
  virtual const std::vector<Pattern>& patterns() const = 0;
  virtual const char* backend_name() const = 0;  // "hyperscan" or "re2"
};

}  // namespace crema::filter
