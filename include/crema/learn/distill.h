// crema/learn/distill.h: multilingual knowledge distillation of a sentence encoder
// (Reimers & Gurevych 2020; CHO §3.3) behind `crema train encoder` (docs/learn.md).
//
// A student transformer (XLM-R layout, crema's SentencePiece tokenizer from
// `crema train tokenizer`) learns to map an English sentence AND its translation to the
// teacher's embedding of the English sentence (MSE). The teacher is any crema encoder
// (make_encoder: "use-lite", "hf:DIR", ...), run once; its vectors are cached in
// out_dir/teacher_cache.bin under a hash of the teacher name and the texts. The target is the
// teacher embedding down-projected by PCA to the student's hidden size (CHO §3.3) and scaled
// to unit RMS per dimension, so the exported folder needs no projection head: crema's
// `hf:DIR` encoder (mean pooling + L2) runs it as is. The PCA matrix is stored in
// out_dir/pca.safetensors.
//
// Data (all from the repository's data/): TICO-19 en↔12 (data/parallel/tico19), Figure Eight
// original↔English pairs (data/labels/open_labels.jsonl), bilingual dictionary phrase pairs
// (data/parallel/freedict, when present), English crisis posts for the monolingual term
// (en→en). 1 in 20 TICO-19 units (by a hash of its id) is held out for the dev scores.
//
// Export: out_dir/model holds config.json (model_type xlm-roberta), model.safetensors (fp32),
// the tokenizer files and README.md (model card: data hashes, versions, command, seeds,
// scores). Checkpoints: out_dir/checkpoint/ after every `checkpoint_every` steps and at the
// end; `resume` continues from it (same options required, checked by hash).
//
// Threads: LibTorch intra-op threads = options.threads (0 = all cores). Not reentrant with
// itself on one out_dir.
// Failures: kUnsupported when crema was built without LibTorch (CREMA_WITH_TORCH=OFF);
// kInvalidArgument for bad options; kNotFound for missing data or tokenizer files; kCorrupt
// naming the file and line of a malformed record; kIoError for writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/progress.h"
#include "crema/common/result.h"

namespace crema::learn {

// Whether this build can train (LibTorch linked).
bool torch_available();

// CHO §3.3 student sizes.
struct StudentShape {
  size_t hidden = 0, layers = 0, heads = 0, intermediate = 0;
};
// "tiny" H256/L4/A4/I1024, "small" H384/L6/A6/I1536, "medium" H512/L8/A8/I2048;
// kInvalidArgument otherwise.
Result<StudentShape> student_shape(std::string_view name);

struct DistillOptions {
  std::string teacher = "use-lite";        // a make_encoder() name
  std::string student = "tiny";            // student_shape() name
  std::filesystem::path tokenizer_dir;     // from `crema train tokenizer`
  std::filesystem::path out_dir;
  std::filesystem::path data_dir;          // empty = resource_path("data")
  std::filesystem::path models_dir;        // teacher models; empty = resource_path("models")
  uint64_t seed = 42;
  int threads = 0;                         // 0 = all cores
  double max_minutes = 0;                  // stop (checkpoint + export) after this; 0 = none
  int epochs = 10;
  int batch_size = 64;
  double lr = 5e-4;                        // peak AdamW learning rate (linear warm-up, decay)
  int warmup_steps = 500;
  size_t max_tokens = 128;                 // training truncation, specials included
  size_t max_pairs = 0;                    // use only the first N training pairs (0 = all)
  bool dictionaries = true;                // include data/parallel/freedict (GPL data)
  int checkpoint_every = 500;              // steps
  bool resume = false;
  std::string command;                     // the command line, recorded in the model card
};

struct DistillReport {
  size_t train_pairs = 0, dev_pairs = 0;
  size_t steps = 0;
  int epochs_done = 0;
  double seconds = 0;
  double train_mse = 0;            // mean over the last epoch's batches
  double dev_mse = 0;              // dev pairs (translation side) vs target
  double dev_mse_en = 0;           // dev pairs (English side) vs target
  double dev_retrieval_top1 = 0;   // translation → English retrieval among the dev pairs
  double dev_teacher_cosine = 0;   // mean cosine, student(translation) vs projected teacher
  bool stopped_by_time = false;
  std::filesystem::path model_dir; // the exported HF folder
};

Result<DistillReport> train_encoder(const DistillOptions& options, const ProgressFn& progress = {});

// Matching fine-tune (issue 10 item 2): contrastive training of an exported student on
// request↔offer pairs with in-batch negatives (InfoNCE over cosine × scale, both directions;
// a pair's optional "hard_negative" offer joins the candidates). Pairs files are JSONL with
// "id", "request", "offer" and optional "hard_negative"; 1 pair in 10 (FNV-1a of the id) is
// held out to measure request→offer top-1 among the held-out offers before and after.
struct FinetuneOptions {
  std::filesystem::path init_dir;                  // an exported student folder (OUT/model)
  std::vector<std::filesystem::path> pairs_files;  // JSONL pairs
  std::filesystem::path out_dir;                   // the fine-tuned folder is written here
  uint64_t seed = 42;
  int threads = 0;
  int epochs = 4;
  int batch_size = 32;
  double lr = 5e-5;
  double scale = 20;        // cosine similarity multiplier (temperature 1/scale)
  size_t max_tokens = 128;
  std::string command;
};

struct FinetuneReport {
  size_t train_pairs = 0, dev_pairs = 0, steps = 0;
  double seconds = 0;
  double dev_top1_before = 0, dev_top1_after = 0;  // request -> offer among held-out pairs
  std::filesystem::path model_dir;
};

Result<FinetuneReport> finetune_matching(const FinetuneOptions& options, const ProgressFn& progress = {});

// Embeds texts with LibTorch from an exported folder (the student's own forward pass, mean
// pooling, L2-normalised), out.size() == texts.size() * hidden. For parity checks against
// crema's engine; kUnsupported without LibTorch.
Result<std::vector<float>> torch_embed(const std::filesystem::path& model_dir,
                                       const std::vector<std::string>& texts);

}  // namespace crema::learn
