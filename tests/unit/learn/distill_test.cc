#include "crema/learn/distill.h"

#include <gtest/gtest.h>

#include <cmath>

#include "crema/embed/encoder.h"
#include "crema/learn/tokenizer_train.h"
#include "learn_fixture.h"

namespace crema::learn {
namespace {

TEST(Distill, StudentShapesAreChos) {
  auto tiny = student_shape("tiny");
  ASSERT_TRUE(tiny.has_value());
  EXPECT_EQ(tiny->hidden, 256u);
  EXPECT_EQ(tiny->layers, 4u);
  EXPECT_EQ(tiny->heads, 4u);
  EXPECT_EQ(tiny->intermediate, 1024u);
  auto small = student_shape("small");
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ(small->hidden, 384u);
  EXPECT_EQ(small->layers, 6u);
  auto bad = student_shape("huge");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST(Distill, WithoutTorchSaysHowToGetIt) {
  if (torch_available()) GTEST_SKIP() << "built with LibTorch";
  auto r = train_encoder(DistillOptions{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(r.error().message.find("-DCREMA_WITH_TORCH=ON"), std::string::npos);
  auto e = torch_embed("x", {"y"});
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code, ErrorCode::kUnsupported);
}

// The smoke training (a few dozen steps on the fixture slice, ~1 minute in Debug) and the
// parity of the exported folder on crema's engine with the LibTorch student.
TEST(DistillSmoke, TrainsExportsAndMatchesEngine) {
  if (!torch_available()) GTEST_SKIP() << "built without LibTorch";
  if (!testing::have_spm()) GTEST_SKIP() << "spm_train not installed (Debian package sentencepiece)";
  const auto tt = testing::fixture_tokenizer_options("smoke", 0);
  const auto& data = tt.corpus.data_dir;
  auto tok = train_tokenizer(tt);
  ASSERT_TRUE(tok.has_value()) << tok.error().message;

  DistillOptions o;
  o.teacher = "tfidf";  // bundled and fast; 1024 dims
  o.student = "tiny";
  o.tokenizer_dir = tt.out_dir;
  o.out_dir = data / "student";
  o.data_dir = data;
  o.models_dir = std::filesystem::path(CREMA_SOURCE_DIR) / "models";
  o.threads = 1;
  o.epochs = 3;
  o.batch_size = 8;
  o.warmup_steps = 5;
  o.lr = 1e-3;
  o.max_tokens = 32;
  o.checkpoint_every = 10;
  auto r = train_encoder(o);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_GT(r->steps, 20u);
  EXPECT_EQ(r->epochs_done, 3);
  EXPECT_GT(r->dev_pairs, 0u);
  EXPECT_TRUE(std::isfinite(r->train_mse));
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "README.md"}) {
    EXPECT_TRUE(std::filesystem::exists(r->model_dir / f)) << f;
  }
  EXPECT_TRUE(std::filesystem::exists(o.out_dir / "teacher_cache.bin"));
  EXPECT_TRUE(std::filesystem::exists(o.out_dir / "pca.safetensors"));

  const std::vector<std::string> texts = {"we need clean water", "necesitamos agua limpia en Manila",
                                          "Offering free rides to the shelter tonight", "Sydney"};
  auto ref = torch_embed(r->model_dir, texts);
  ASSERT_TRUE(ref.has_value()) << ref.error().message;
  auto enc = embed::make_encoder("hf:" + r->model_dir.string());
  ASSERT_TRUE(enc.has_value()) << enc.error().message;
  ASSERT_EQ((*enc)->dim(), 256u);
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<float> got(texts.size() * 256);
  ASSERT_TRUE((*enc)->encode(views, got).has_value());
  ASSERT_EQ(ref->size(), got.size());
  float max_diff = 0;
  for (size_t i = 0; i < got.size(); ++i) max_diff = std::max(max_diff, std::fabs(got[i] - (*ref)[i]));
  EXPECT_LE(max_diff, 1e-4f);
  RecordProperty("max_abs_diff", std::to_string(max_diff));

  // Matching fine-tune on request/offer pairs from the exported folder.
  std::string pairs;
  const char* kReq[] = {"we need clean water", "family needs a place to sleep", "children need medicine",
                        "need a ride to the shelter", "no food since yesterday"};
  const char* kOff[] = {"free bottled water at the school", "spare room for a family tonight",
                        "pharmacy open and refilling prescriptions", "volunteers driving people to the shelter",
                        "hot meals served at the church"};
  for (int rep = 0; rep < 4; ++rep) {
    for (int i = 0; i < 5; ++i) {
      pairs += "{\"id\":\"p" + std::to_string(rep) + "-" + std::to_string(i) + "\",\"request\":\"" + kReq[i] + " " +
               std::to_string(rep) + "\",\"offer\":\"" + kOff[i] + "\",\"hard_negative\":\"" + kOff[(i + 1) % 5] + "\"}\n";
    }
  }
  testing::write_text(data / "pairs.jsonl", pairs);
  FinetuneOptions f;
  f.init_dir = r->model_dir;
  f.pairs_files = {data / "pairs.jsonl"};
  f.out_dir = data / "matcher";
  f.threads = 1;
  f.epochs = 2;
  f.batch_size = 5;
  f.lr = 1e-4;
  auto ft = finetune_matching(f);
  ASSERT_TRUE(ft.has_value()) << ft.error().message;
  EXPECT_EQ(ft->train_pairs + ft->dev_pairs, 20u);
  EXPECT_GT(ft->steps, 0u);
  auto ft_enc = embed::make_encoder("hf:" + f.out_dir.string());
  ASSERT_TRUE(ft_enc.has_value()) << ft_enc.error().message;
  testing::write_text(data / "bad_pairs.jsonl", "{\"id\":\"x\",\"request\":\"only a request\"}\n");
  f.pairs_files = {data / "bad_pairs.jsonl"};
  auto bad = finetune_matching(f);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(bad.error().message.find("bad_pairs.jsonl:1"), std::string::npos) << bad.error().message;

  // Resume from the final checkpoint: nothing left to train, same export.
  o.resume = true;
  auto again = train_encoder(o);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->steps, r->steps);
  // Other options do not resume.
  o.lr = 2e-3;
  auto other = train_encoder(o);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, ErrorCode::kInvalidArgument);
  // Nor other training data with the same options (the schedule depends on the example count).
  o.lr = 1e-3;
  testing::write_text(data / "parallel" / "freedict" / "de-en.tsv.gz", "Wasser\twater\nEssen\tfood\nZelt\ttent\n");
  auto changed = train_encoder(o);
  ASSERT_FALSE(changed.has_value());
  EXPECT_EQ(changed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(changed.error().message.find("training data"), std::string::npos) << changed.error().message;
}

}  // namespace
}  // namespace crema::learn
