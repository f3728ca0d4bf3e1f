// RE2::Set backend: one automaton over all patterns, case-insensitive UTF-8, '.' matching
// newlines (as Hyperscan's HS_FLAG_DOTALL).
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <string>

#include "backends.h"

namespace crema::filter::detail {
namespace {

class Re2Prefilter final : public Prefilter {
 public:
  Re2Prefilter(std::vector<Pattern> patterns, std::unique_ptr<re2::RE2::Set> set,
               std::vector<std::unique_ptr<re2::RE2>> singles)
      : patterns_(std::move(patterns)), set_(std::move(set)), singles_(std::move(singles)) {}

  bool matches(std::string_view text) const override { return !matching_ids(text).empty(); }

  std::vector<int> matching_ids(std::string_view text) const override {
    std::string sanitized;
    const std::string_view input = sanitize_utf8(text, sanitized) ? sanitized : text;
    const re2::StringPiece piece(input.data(), input.size());
    std::vector<int> indices;
    re2::RE2::Set::ErrorInfo error{};
    std::vector<int> ids;
    if (set_->Match(piece, &indices, &error) || error.kind == re2::RE2::Set::kNoError) {
      ids.reserve(indices.size());
      for (const int index : indices) ids.push_back(patterns_[static_cast<size_t>(index)].id);
    } else {
      // The set's DFA ran out of memory on this text: match the patterns one by one.
      for (size_t i = 0; i < singles_.size(); ++i) {
        if (re2::RE2::PartialMatch(piece, *singles_[i])) ids.push_back(patterns_[i].id);
      }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  const std::vector<Pattern>& patterns() const override { return patterns_; }
  const char* backend_name() const override { return "re2"; }

 private:
  std::vector<Pattern> patterns_;
  std::unique_ptr<re2::RE2::Set> set_;
  std::vector<std::unique_ptr<re2::RE2>> singles_;
};

}  // namespace

Result<std::unique_ptr<Prefilter>> compile_re2(std::vector<Pattern> patterns) {
  re2::RE2::Options options;
  options.set_encoding(re2::RE2::Options::EncodingUTF8);
  options.set_case_sensitive(false);
  options.set_dot_nl(true);
  options.set_log_errors(false);
  options.set_max_mem(int64_t{256} << 20);
  auto set = std::make_unique<re2::RE2::Set>(options, re2::RE2::UNANCHORED);
  std::vector<std::unique_ptr<re2::RE2>> singles;
  for (const Pattern& p : patterns) {
    singles.push_back(std::make_unique<re2::RE2>(p.regex, options));
    std::string error;
    if (set->Add(re2::StringPiece(p.regex.data(), p.regex.size()), &error) < 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        "prefilter pattern " + std::to_string(p.id) + " (" + p.name +
                            "): re2: " + error);
    }
  }
  if (!set->Compile()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "prefilter: re2 could not compile the pattern set (out of memory)");
  }
  return std::unique_ptr<Prefilter>(new Re2Prefilter(std::move(patterns), std::move(set), std::move(singles)));
}

}  // namespace crema::filter::detail
