// crema's tokenizers against reference ids from an independent implementation (the JS
// tokenizers of @huggingface/transformers, tools/tokenizer_reference/, and libsentencepiece's
// spm_encode for .model files) on 2,700 multilingual lines (docs/tokenizers.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
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

// Line numbers (1-based) listed in a folder's known_differences.txt ("<line>\t<cause>"):
// lines where the reference is known to be wrong, each with its cause.
std::set<size_t> known_differences(const std::filesystem::path& dir) {
  std::set<size_t> out;
  for (const auto& l : read_lines(dir / "known_differences.txt")) {
    if (!l.empty() && l[0] != '#') out.insert(std::stoul(l));
  }
  return out;
}

// Compares every line; returns the number of identical lines and reports mismatches not
// listed in known_differences.txt.
size_t agreement(const Tokenizer& tok, const std::filesystem::path& ref_file, bool add_special, size_t* total) {
  const auto known = known_differences(ref_file.parent_path());
  size_t explained = 0;
  const auto lines = test_lines();
  const auto refs = read_lines(ref_file);
  EXPECT_EQ(lines.size(), refs.size()) << ref_file;
  size_t same = 0;
  size_t shown = 0;
  for (size_t i = 0; i < std::min(lines.size(), refs.size()); ++i) {
    if (refs[i] == "SKIP") {  // a line spm_encode cannot take (it holds a newline)
      ++same;
      continue;
    }
    const auto got = tok.encode(lines[i], 0, add_special).ids;
    const auto want = parse_ids(refs[i]);
    if (got == want) {
      ++same;
    } else if (known.count(i + 1) > 0) {
      ++explained;
    } else if (shown++ < 100) {
      std::ostringstream g;
      for (const auto id : got) g << id << ' ';
      ADD_FAILURE() << ref_file.parent_path().filename() << " line " << i + 1 << ": " << lines[i] << "\n crema: " << g.str()
                    << "\n   ref: " << refs[i];
    }
  }
  *total = lines.size();
  std::printf("[ agreement ] %s: %zu / %zu lines identical, %zu known reference errors\n",
              ref_file.parent_path().filename().c_str(), same, lines.size(), explained);
  EXPECT_EQ(same + explained, lines.size()) << "unexplained mismatches in " << ref_file;
  EXPECT_EQ(explained, known.size()) << "known_differences.txt lists lines that now agree";
  return same + explained;
}

// Folders with tokenizer.json (or vocab.json + merges.txt) are compared with special
// tokens to the JS reference; .model folders without them to spm_encode.
class ReferenceTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ReferenceTest, IdsMatchTheReferenceOnEveryLine) {
  const auto dir = kDir / GetParam();
  auto tok = load_tokenizer(dir);
  ASSERT_TRUE(tok) << tok.error().message;
  const bool spm = (*tok)->kind() == "sentencepiece";
  size_t total = 0;
  const size_t same = agreement(**tok, dir / "reference_ids.txt", !spm, &total);
  EXPECT_GE(total, 2000u);
  EXPECT_EQ(same, total);
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, ReferenceTest,
                         ::testing::Values("bert-base-uncased", "wordpiece-cased", "wordpiece-seq", "bytelevel-bpe",
                                           "bytelevel-bpe-files", "unigram-json", "unigram-model", "spm-bpe-model"));

// bert-base-uncased from vocab.txt + tokenizer_config.json (no tokenizer.json) gives the
// same ids as from its tokenizer.json.
TEST(ReferenceTest, BertVocabTxtMatchesTokenizerJson) {
  const auto tmp = std::filesystem::path(::testing::TempDir()) / "crema_bert_vocab_txt";
  std::filesystem::create_directories(tmp);
  for (const char* f : {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"}) {
    std::filesystem::copy_file(kDir / "bert-base-uncased" / f, tmp / f, std::filesystem::copy_options::overwrite_existing);
  }
  auto tok = load_tokenizer(tmp);
  ASSERT_TRUE(tok) << tok.error().message;
  size_t total = 0;
  EXPECT_EQ(agreement(**tok, kDir / "bert-base-uncased" / "reference_ids.txt", true, &total), total);
}

}  // namespace
}  // namespace crema::nn

namespace crema::nn {
namespace {

// The Unigram tokenizer.json (real precompiled charsmap) against spm_encode on the model it
// was converted from. They differ by design only where HF's pipeline treats whitespace
// differently from SentencePiece (leading/trailing/repeated spaces: Replace + Metaspace
// versus remove_extra_whitespaces); every other line must agree.
TEST(ReferenceTest, UnigramJsonAgreesWithSpmEncodeOutsideWhitespaceEdges) {
  auto tok = load_tokenizer(kDir / "unigram-json");
  ASSERT_TRUE(tok) << tok.error().message;
  const auto lines = test_lines();
  const auto refs = read_lines(kDir / "unigram-model" / "reference_ids.txt");
  ASSERT_EQ(lines.size(), refs.size());
  size_t same = 0, compared = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    // Lines with added-token text ("<s>") are split by HF before normalization, not by spm.
    bool ws_edge = refs[i] == "SKIP" || l.empty() || l.find("<s>") != std::string::npos;
    for (size_t k = 0; k < l.size() && !ws_edge; ++k) {
      const bool ws = l[k] == ' ' || l[k] == '\t';
      if (ws && (k == 0 || k + 1 == l.size() || l[k + 1] == ' ' || l[k + 1] == '\t')) ws_edge = true;
    }
    if (ws_edge) continue;
    ++compared;
    const auto got = (*tok)->encode(l, 0, false).ids;
    if (got == parse_ids(refs[i])) ++same;
    else ADD_FAILURE() << "line " << i + 1 << ": " << l;
  }
  std::printf("[ agreement ] unigram-json vs spm_encode: %zu / %zu lines identical\n", same, compared);
  EXPECT_GE(compared, 2000u);
}

}  // namespace
}  // namespace crema::nn
