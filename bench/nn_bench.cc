// nn_bench: USE-Lite throughput (posts/s) on real tweets, fp32 and int8, 1 and 2 threads.
//   nn_bench [posts.jsonl] [batch]   (default data/sample/sample_posts.jsonl, batch 32)
// Also prints where the time goes: tokenisation vs the network.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <simdjson.h>

#include "crema/nn/use_lite.h"
#include "crema/text/normalize.h"
#include "nn_bench_support.h"

using namespace crema::bench;

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : std::string(CREMA_SOURCE_DIR) + "/data/sample/sample_posts.jsonl";
  const size_t batch = argc > 2 ? std::stoul(argv[2]) : 32;
  const auto texts = read_texts(path, 4096);
  if (texts.empty()) {
    std::fprintf(stderr, "no texts in %s\n", path.c_str());
    return 1;
  }
  const std::string dir = std::string(CREMA_SOURCE_DIR) + "/models/use-lite";
  auto fp32 = crema::nn::UseLiteModel::load(dir, crema::nn::Precision::kFp32);
  auto int8 = crema::nn::UseLiteModel::load(dir, crema::nn::Precision::kInt8);
  if (!fp32 || !int8) {
    std::fprintf(stderr, "cannot load %s\n", dir.c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<int32_t>> ids;
  size_t pieces = 0;
  for (const auto& t : texts) {
    ids.push_back((*fp32)->tokenizer().encode(t));
    pieces += ids.back().size();
  }
  const double tok_s = seconds_since(t0);
  std::printf("%zu posts from %s, mean %.1f pieces; tokeniser %.0f posts/s (1 thread)\n", texts.size(), path.c_str(),
              static_cast<double>(pieces) / static_cast<double>(texts.size()),
              static_cast<double>(texts.size()) / tok_s);
  std::vector<float> out(batch * crema::nn::UseLiteModel::kDim);
  for (const auto* m : {fp32->get(), int8->get()}) {
    for (const int threads : {1, 2}) {
      // Batches of `batch` posts, as a caller streaming posts would send them.
      double best = 0;
      for (int rep = 0; rep < 3; ++rep) {
        t0 = std::chrono::steady_clock::now();
        for (size_t lo = 0; lo + batch <= ids.size(); lo += batch) {
          const std::span<const std::vector<int32_t>> chunk(ids.data() + lo, batch);
          if (!m->embed_ids(chunk, out, threads)) return 1;
        }
        const double s = seconds_since(t0);
        best = std::max(best, static_cast<double>(ids.size() / batch * batch) / s);
      }
      std::printf("use-lite %-4s batch %zu, %d thread(s): %8.0f posts/s (network only)\n",
                  m->precision() == crema::nn::Precision::kFp32 ? "fp32" : "int8", batch, threads, best);
    }
  }
  return 0;
}
