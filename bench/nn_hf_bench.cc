// nn_hf_bench: HF encoder throughput (posts/s) on real tweets, fp32 and int8, random weights.
//   nn_hf_bench [posts.jsonl] [threads] [batch] [only]   (default data/sample/sample_posts.jsonl, 2, 32)
// `only` (e.g. tiny-int8) runs one model and precision, for profiling.
// Writes random-weight BERT folders (Tiny H256/L4/A4/I1024, Small H384/L6/A6/I1536, with the
// bert-base-uncased WordPiece tokenizer from tests/testdata) to a temp dir, tokenises the
// tweets once, then times the network alone (mean pooling) in batches.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <simdjson.h>
#include <sys/resource.h>

#include "crema/common/file_io.h"
#include "crema/nn/model.h"
#include "crema/text/normalize.h"
#include "nn_bench_support.h"

namespace {

namespace fs = std::filesystem;
using namespace crema::bench;

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : std::string(CREMA_SOURCE_DIR) + "/data/sample/sample_posts.jsonl";
  const int threads = argc > 2 ? std::stoi(argv[2]) : 2;
  const size_t batch = argc > 3 ? std::stoul(argv[3]) : 32;
  const std::string only = argc > 4 ? argv[4] : "";
  const auto texts = read_texts(path, 2048);
  if (texts.empty()) {
    std::fprintf(stderr, "no texts in %s\n", path.c_str());
    return 1;
  }
  struct Size {
    const char* name;
    size_t H, L, A, I;
  };
  const fs::path root = fs::temp_directory_path() / "crema_nn_hf_bench";
  std::printf("%zu tweets, %d threads, batch %zu, fp32 GEMM %s, load average %s\n", texts.size(), threads, batch,
              std::getenv("CREMA_NN_GEMM") ? std::getenv("CREMA_NN_GEMM") : "onednn", load_average().c_str());
  for (const Size s : {Size{"tiny", 256, 4, 4, 1024}, Size{"small", 384, 6, 6, 1536}}) {
    const fs::path dir = root / s.name;
    if (!write_random_bert(dir, s.H, s.L, s.A, s.I, 30522)) {
      std::fprintf(stderr, "cannot write %s\n", dir.c_str());
      return 1;
    }
    for (const auto precision : {crema::nn::Precision::kFp32, crema::nn::Precision::kInt8}) {
      const std::string label =
          std::string(s.name) + (precision == crema::nn::Precision::kFp32 ? "-fp32" : "-int8");
      if (!only.empty() && only != label) continue;
      auto model = crema::nn::HfModel::load(dir, precision);
      if (!model) {
        std::fprintf(stderr, "%s\n", model.error().message.c_str());
        return 1;
      }
      std::vector<std::string_view> views(texts.begin(), texts.end());
      auto t0 = std::chrono::steady_clock::now();
      const auto ids = (*model)->tokenize(views, 1);
      const double tok_s = seconds_since(t0);
      size_t tokens = 0;
      for (const auto& v : ids) tokens += v.size();
      std::vector<float> out(batch * s.H);
      t0 = std::chrono::steady_clock::now();
      const double cpu0 = cpu_seconds();
      for (size_t lo = 0; lo < ids.size(); lo += batch) {
        const size_t n = std::min(batch, ids.size() - lo);
        const std::span<const std::vector<int32_t>> part(ids.data() + lo, n);
        if (!(*model)->embed_ids(part, crema::nn::Pooling::kMean, std::span(out).first(n * s.H), threads)) return 1;
      }
      const double net_s = seconds_since(t0), net_cpu = cpu_seconds() - cpu0;
      std::printf("%-5s %-4s mean %.1f tokens: network %.0f posts/s (%.0f per CPU second), tokenizer (1 thread) %.0f "
                  "posts/s\n",
                  s.name,
                  precision == crema::nn::Precision::kFp32 ? "fp32" : "int8",
                  static_cast<double>(tokens) / static_cast<double>(ids.size()),
                  static_cast<double>(ids.size()) / net_s, static_cast<double>(ids.size()) / net_cpu,
                  static_cast<double>(ids.size()) / tok_s);
    }
  }
  fs::remove_all(root);
  return 0;
}
