#include "crema/learn/tokenizer_train.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crema/nn/tokenizer.h"
#include "learn_fixture.h"

namespace crema::learn {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(TokenizerCorpus, DeterministicWithEverySource) {
  const auto data = testing::make_fixture_data("corpus");
  CorpusOptions options;
  options.data_dir = data;
  auto a = build_tokenizer_corpus(options, data / "a.txt");
  auto b = build_tokenizer_corpus(options, data / "b.txt");
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(slurp(data / "a.txt"), slurp(data / "b.txt"));
  EXPECT_EQ(a->fnv1a64, b->fnv1a64);
  EXPECT_EQ(a->lines_by_source.at("tico19:es"), 48u);
  EXPECT_EQ(a->lines_by_source.at("geonames"), 2u);
  EXPECT_EQ(a->lines_by_source.at("freedict:de"), 2u);
  EXPECT_GE(a->lines_by_source.at("figure8"), 3u);
  // The English side of en-fr repeats en-es sentences: kept once.
  EXPECT_EQ(a->lines_by_source.count("tico19:en"), 1u);
  const std::string text = slurp(data / "a.txt");
  EXPECT_NE(text.find("Sydney Sidney Sydney シドニー\n"), std::string::npos);
  EXPECT_EQ(text.find('\t'), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<long>(a->lines));
}

TEST(TokenizerCorpus, MalformedParallelLineNamesFileAndLine) {
  const auto data = testing::make_fixture_data("bad_tico");
  testing::write_text(data / "parallel" / "tico19" / "en-fr.tsv.gz", "F_0\tonly english\n");
  CorpusOptions options;
  options.data_dir = data;
  auto r = build_tokenizer_corpus(options, data / "c.txt");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message.find("en-fr.tsv.gz:1"), std::string::npos) << r.error().message;
}

TEST(TokenizerCorpus, MissingDataIsNotFound) {
  CorpusOptions options;
  options.data_dir = std::filesystem::temp_directory_path() / "crema_learn_no_such_dir";
  auto r = build_tokenizer_corpus(options, std::filesystem::temp_directory_path() / "crema_learn_none.txt");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(TokenizerTrain, HfFolderAgreesWithSpmEncode) {
  if (!testing::have_spm()) GTEST_SKIP() << "spm_train not installed (Debian package sentencepiece)";
  const auto options = testing::fixture_tokenizer_options("train", 50);
  const auto& data = options.corpus.data_dir;
  auto r = train_tokenizer(options);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_GT(r->verified_lines, 40u);
  EXPECT_EQ(r->identical_lines, r->verified_lines);
  for (const char* f : {"sentencepiece.bpe.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "TOKENIZER.md"}) {
    EXPECT_TRUE(std::filesystem::exists(options.out_dir / f)) << f;
  }
  auto tok = nn::load_tokenizer(options.out_dir);
  ASSERT_TRUE(tok.has_value()) << tok.error().message;
  EXPECT_EQ((*tok)->token_to_id("<s>"), 0);
  EXPECT_EQ((*tok)->token_to_id("<pad>"), 1);
  EXPECT_EQ((*tok)->token_to_id("</s>"), 2);
  EXPECT_EQ((*tok)->token_to_id("<unk>"), 3);
  EXPECT_EQ((*tok)->token_to_id("<mask>"), static_cast<int32_t>((*tok)->vocab_size()) - 1);
  const auto e = (*tok)->encode("we need clean water", 0);
  ASSERT_GE(e.ids.size(), 3u);
  EXPECT_EQ(e.ids.front(), 0);
  EXPECT_EQ(e.ids.back(), 2);
  // The .model alone (fairseq layout) gives the same ids as tokenizer.json.
  const auto only_model = data / "tok_model_only";
  std::filesystem::create_directories(only_model);
  std::filesystem::copy_file(options.out_dir / "sentencepiece.bpe.model", only_model / "sentencepiece.bpe.model",
                             std::filesystem::copy_options::overwrite_existing);
  auto tok2 = nn::load_tokenizer(only_model);
  ASSERT_TRUE(tok2.has_value()) << tok2.error().message;
  EXPECT_EQ((*tok2)->encode("los niños necesitan medicinas en Manila", 0).ids,
            (*tok)->encode("los niños necesitan medicinas en Manila", 0).ids);
}

TEST(TokenizerTrain, MissingToolIsNotFound) {
  auto options = testing::fixture_tokenizer_options("notool", 0);
  options.spm_train = "crema-no-such-spm-train";
  auto r = train_tokenizer(options);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("sentencepiece"), std::string::npos) << r.error().message;
}

TEST(TokenizerTrain, DamagedModelIsCorrupt) {
  const auto dir = std::filesystem::temp_directory_path() / "crema_learn_damaged";
  std::filesystem::create_directories(dir);
  testing::write_text(dir / "sentencepiece.bpe.model", std::string("\x0a\xff\xff\xff\x0f", 5));
  auto s = write_hf_tokenizer_files(dir);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(s.error().message.find("sentencepiece.bpe.model"), std::string::npos);
}

TEST(TokenizerTrain, RejectsBadVocabSize) {
  TokenizerTrainOptions options;
  options.out_dir = std::filesystem::temp_directory_path() / "crema_learn_badvocab";
  options.vocab_size = 5;
  auto r = train_tokenizer(options);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace crema::learn
