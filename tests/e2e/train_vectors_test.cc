// End-to-end tests of `crema train vectors`: usage errors, a missing input, and a tiny run
// whose JSON summary and .vec file agree.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "cli.h"

namespace {

namespace fs = std::filesystem;
using crema_e2e::CliResult;
using crema_e2e::read_text;
using crema_e2e::run_crema;
using crema_e2e::Stderr;
using crema_e2e::temp_dir;

TEST(CremaTrainVectorsCli, UsageErrors) {
  EXPECT_EQ(run_crema({"train", "vectors", "--help"}).exit_code, 0);
  EXPECT_EQ(run_crema({"train", "vectors"}).exit_code, 2);                      // --in and --out missing
  EXPECT_EQ(run_crema({"train", "vectors", "--in", "corpus.txt"}).exit_code, 2);  // --out missing
  const std::string dir = temp_dir("train_vectors_usage");
  fs::create_directories(dir);
  const std::string in = dir + "/corpus.txt", out = dir + "/v.vec";
  std::ofstream(in) << "we need water\n";
  const CliResult range = run_crema({"train", "vectors", "--in", in, "--out", out, "--char-ngram-range", "5,3"},
                                    Stderr::kCaptured);
  EXPECT_EQ(range.exit_code, 2) << range.out;
  EXPECT_NE(range.out.find("--char-ngram-range"), std::string::npos) << range.out;
  EXPECT_EQ(run_crema({"train", "vectors", "--in", in, "--out", out, "--char-ngram-range", "0,4"}).exit_code, 2);
  EXPECT_EQ(run_crema({"train", "vectors", "--in", in, "--out", out, "--dim", "0"}).exit_code, 2);
  EXPECT_EQ(run_crema({"train", "vectors", "--in", in, "--out", out, "--fasttext-threads", "0"}).exit_code, 2);
  // Domain vectors are a value of the pretrained axis: with the axis off they have no place.
  EXPECT_EQ(run_crema({"train", "classifier", "--data", in, "--out", dir + "/m", "--pretrained", "off",
                       "--domain-vectors", out})
                .exit_code,
            2);
  const CliResult missing =
      run_crema({"train", "vectors", "--in", dir + "/none.txt", "--out", out}, Stderr::kCaptured);
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_FALSE(fs::exists(out));
  fs::remove_all(dir);
}

TEST(CremaTrainVectorsCli, TinyRunWritesTheVecItReports) {
  const std::string dir = temp_dir("train_vectors_run");
  fs::create_directories(dir);
  {
    std::ofstream corpus(dir + "/corpus.txt");
    for (int i = 0; i < 40; ++i) corpus << "we need water and food in leogane\tnou bezwen dlo\n";
  }
  const CliResult r = run_crema({"--json", "train", "vectors", "--in", dir + "/corpus.txt", "--out", dir + "/v.vec",
                                 "--dim", "4", "--epochs", "2", "--min-count", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(int64_t(doc["records"]), 40);
  EXPECT_EQ(int64_t(doc["lines"]), 80);
  EXPECT_EQ(int64_t(doc["dim"]), 4);
  const std::string vec = read_text(dir + "/v.vec");
  EXPECT_EQ(vec.substr(0, vec.find('\n')), std::to_string(int64_t(doc["words"])) + " 4");
  fs::remove_all(dir);
}

}  // namespace
