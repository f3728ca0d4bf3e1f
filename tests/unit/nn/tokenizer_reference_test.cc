// crema's tokenizers against reference ids from an independent implementation (the JS
// tokenizers of @huggingface/transformers, tools/tokenizer_reference/, and libsentencepiece's
// spm_encode for .model files) on 2,700 multilingual lines (docs/tokenizers.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crema/nn/tokenizer.h"

namespace crema::nn {
namespace {

const std::filesystem::path kDir = std::filesystem::path(CREMA_TESTDATA_DIR) / "nn" / "tokenizers";

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The test lines; a literal "\n" stands for a newline (as in reference_ids.mjs).
std::vector<std::string> test_lines() {
  auto lines = read_lines(kDir / "lines.txt");
  for (auto& l : lines) {
    for (size_t p = 0; (p = l.find("\\n", p)) != std::string::npos;) l.replace(p, 2, "\n");
  }
  return lines;
}

std::vector<int32_t> parse_ids(const std::string& line) {
  std::vector<int32_t> ids;
  std::istringstream in(line);
  int64_t v = 0;
  while (in >> v) ids.push_back(static_cast<int32_t>(v));
  return ids;
}

// Compares every line; returns the number of identical lines and prints the first mismatches.
size_t agreement(const Tokenizer& tok, const std::filesystem::path& ref_file, bool add_special, size_t* total) {
  const auto lines = test_lines();
  const auto refs = read_lines(ref_file);
  EXPECT_EQ(lines.size(), refs.size()) << ref_file;
  size_t same = 0;
  size_t shown = 0;
  for (size_t i = 0; i < std::min(lines.size(), refs.size()); ++i) {
    const auto got = tok.encode(lines[i], 0, add_special).ids;
    const auto want = parse_ids(refs[i]);
    if (got == want) {
      ++same;
    } else if (shown++ < 5) {
      std::ostringstream g;
      for (const auto id : got) g << id << ' ';
      ADD_FAILURE() << ref_file.parent_path().filename() << " line " << i + 1 << ": " << lines[i] << "\n crema: " << g.str()
                    << "\n   ref: " << refs[i];
    }
  }
  *total = lines.size();
  std::printf("[ agreement ] %s: %zu / %zu lines identical\n", ref_file.parent_path().filename().c_str(), same, lines.size());
  return same;
}

class ReferenceTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ReferenceTest, IdsMatchTheJsReferenceOnEveryLine) {
  const auto dir = kDir / GetParam();
  auto tok = load_tokenizer(dir);
  ASSERT_TRUE(tok) << tok.error().message;
  size_t total = 0;
  const size_t same = agreement(**tok, dir / "reference_ids.txt", true, &total);
  EXPECT_GE(total, 2000u);
  EXPECT_EQ(same, total);
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, ReferenceTest, ::testing::Values("bert-base-uncased"));

}  // namespace
}  // namespace crema::nn
