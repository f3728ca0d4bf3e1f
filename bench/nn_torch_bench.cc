// nn_torch_bench: crema's HF encoder (fp32, int8) against LibTorch fp32 on the same random
// BERT weights and the same tokenised tweets, in one run (built only with -DCREMA_WITH_TORCH=ON,
// Debian libtorch-dev).
//   nn_torch_bench [posts.jsonl] [threads] [batch] [sizes]
//   defaults: data/sample/sample_posts.jsonl, 2, 32, tiny,small,base
// Per size: a random BertModel folder (safetensors) is written to a temp dir and loaded by
// crema; LibTorch runs the same tensors through a BERT forward written with torch ops (the
// HF BertModel computation: separate q/k/v Linear, erf GELU, additive attention mask) in
// batches padded to their longest post, as HF pipelines do, and again on length-sorted
// batches (least padding). crema packs each batch without padding. All three see the same
// token ids; output is mean pooling over the attention mask. Prints posts/s and the ratios,
// plus the max abs difference of LibTorch's pooled vectors to crema fp32 (same network check).
// Each figure is the median of 3 rounds, the four engines interleaved within a round, so load
// from other jobs hits them alike.
//
// Threads: LibTorch and crema share Debian's OpenBLAS (libtorch_cpu links libblas.so.3 =
// openblas-pthread) and libgomp. crema runs single-threaded BLAS/oneDNN inside its own worker
// threads; LibTorch runs `threads` intra-op threads and `threads` OpenBLAS threads. Both are set
// before each timed run, since crema's model load sets OpenBLAS (process-wide) and OpenMP (the
// calling thread) to 1.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <simdjson.h>
#include <sys/resource.h>

#include "crema/common/file_io.h"
#include "crema/nn/model.h"
#include "crema/nn/safetensors.h"
#include "crema/text/normalize.h"
#include "nn_bench_support.h"

extern "C" void openblas_set_num_threads(int);
extern "C" int openblas_get_num_threads(void);

namespace {

namespace fs = std::filesystem;
using namespace crema::bench;
using Ids = std::vector<std::vector<int32_t>>;

struct Size {
  std::string name;
  size_t H, L, A, I, posts;
};

constexpr size_t kVocab = 30522;

bool write_model(const fs::path& dir, const Size& s) { return write_random_bert(dir, s.H, s.L, s.A, s.I, kVocab); }

// HF BertModel in LibTorch ops, weights copied from the safetensors file.
class TorchBert {
 public:
  TorchBert(const crema::nn::SafeTensors& st, const Size& s) : s_(s) {
    auto t = [&](const std::string& name) {
      auto f = st.get(name);
      if (!f) throw std::runtime_error(f.error().message);
      std::vector<int64_t> shape(f->shape.begin(), f->shape.end());
      return torch::from_blob(const_cast<float*>(f->data.data()), shape, torch::kFloat32).clone();
    };
    word_ = t("embeddings.word_embeddings.weight");
    pos_ = t("embeddings.position_embeddings.weight");
    type_ = t("embeddings.token_type_embeddings.weight");
    ln_g_ = t("embeddings.LayerNorm.weight");
    ln_b_ = t("embeddings.LayerNorm.bias");
    for (size_t l = 0; l < s.L; ++l) {
      const std::string p = "encoder.layer." + std::to_string(l) + ".";
      Layer L;
      for (const auto& [w, n] : {std::pair<torch::Tensor*, const char*>{L.q, "attention.self.query"},
                                 {L.k, "attention.self.key"}, {L.v, "attention.self.value"},
                                 {L.o, "attention.output.dense"}, {L.f1, "intermediate.dense"},
                                 {L.f2, "output.dense"}}) {
        w[0] = t(p + n + ".weight");
        w[1] = t(p + n + ".bias");
      }
      L.ln1[0] = t(p + "attention.output.LayerNorm.weight");
      L.ln1[1] = t(p + "attention.output.LayerNorm.bias");
      L.ln2[0] = t(p + "output.LayerNorm.weight");
      L.ln2[1] = t(p + "output.LayerNorm.bias");
      layers_.push_back(std::move(L));
    }
  }

  // Mean-pooled last hidden states of one padded batch: [B, H].
  torch::Tensor embed(const std::vector<const std::vector<int32_t>*>& batch) const {
    namespace F = torch::nn::functional;
    const auto B = static_cast<int64_t>(batch.size());
    size_t longest = 0;
    for (const auto* ids : batch) longest = std::max(longest, ids->size());
    const auto T = static_cast<int64_t>(longest);
    auto ids = torch::zeros({B, T}, torch::kInt64);
    auto mask = torch::zeros({B, T}, torch::kFloat32);
    auto ia = ids.accessor<int64_t, 2>();
    auto ma = mask.accessor<float, 2>();
    for (int64_t b = 0; b < B; ++b)
      for (size_t j = 0; j < batch[static_cast<size_t>(b)]->size(); ++j) {
        ia[b][static_cast<int64_t>(j)] = (*batch[static_cast<size_t>(b)])[j];
        ma[b][static_cast<int64_t>(j)] = 1.0f;
      }
    const auto H = static_cast<int64_t>(s_.H), A = static_cast<int64_t>(s_.A), dh = H / A;
    auto x = word_.index_select(0, ids.view({-1})).view({B, T, H}) + pos_.slice(0, 0, T).unsqueeze(0) + type_[0];
    x = F::layer_norm(x, F::LayerNormFuncOptions({H}).weight(ln_g_).bias(ln_b_).eps(1e-12));
    const auto bias = ((1.0f - mask) * -1e9f).view({B, 1, 1, T});
    const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
    for (const Layer& L : layers_) {
      auto heads = [&](const torch::Tensor* w) { return F::linear(x, w[0], w[1]).view({B, T, A, dh}).transpose(1, 2); };
      auto q = heads(L.q), k = heads(L.k), v = heads(L.v);
      auto att = torch::softmax(torch::matmul(q, k.transpose(-1, -2)) * scale + bias, -1);
      auto ctx = torch::matmul(att, v).transpose(1, 2).reshape({B, T, H});
      x = F::layer_norm(x + F::linear(ctx, L.o[0], L.o[1]),
                        F::LayerNormFuncOptions({H}).weight(L.ln1[0]).bias(L.ln1[1]).eps(1e-12));
      auto h = torch::gelu(F::linear(x, L.f1[0], L.f1[1]));
      x = F::layer_norm(x + F::linear(h, L.f2[0], L.f2[1]),
                        F::LayerNormFuncOptions({H}).weight(L.ln2[0]).bias(L.ln2[1]).eps(1e-12));
    }
    return (x * mask.unsqueeze(-1)).sum(1) / mask.sum(1, true);
  }

 private:
  struct Layer {
    torch::Tensor q[2], k[2], v[2], o[2], f1[2], f2[2], ln1[2], ln2[2];
  };
  Size s_;
  torch::Tensor word_, pos_, type_, ln_g_, ln_b_;
  std::vector<Layer> layers_;
};

std::vector<std::vector<const std::vector<int32_t>*>> batches_of(const Ids& ids, size_t batch, bool sorted) {
  std::vector<size_t> order(ids.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (sorted)
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });
  std::vector<std::vector<const std::vector<int32_t>*>> out;
  for (size_t lo = 0; lo < order.size(); lo += batch) {
    out.emplace_back();
    for (size_t i = lo; i < std::min(order.size(), lo + batch); ++i) out.back().push_back(&ids[order[i]]);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : std::string(CREMA_SOURCE_DIR) + "/data/sample/sample_posts.jsonl";
  const int threads = argc > 2 ? std::stoi(argv[2]) : 2;
  const size_t batch = argc > 3 ? std::stoul(argv[3]) : 32;
  const std::string sizes = argc > 4 ? argv[4] : "tiny,small,base";
  constexpr int kRounds = 3;
  const auto texts = read_texts(path, 2048);
  if (texts.empty()) {
    std::fprintf(stderr, "no texts in %s\n", path.c_str());
    return 1;
  }
  torch::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  torch::set_num_threads(threads);
  openblas_set_num_threads(threads);
  std::printf("%zu tweets, %d threads, batch %zu, LibTorch %s (intra-op %d, OpenBLAS %d threads), load average %s\n",
              texts.size(), threads, batch, TORCH_VERSION, torch::get_num_threads(), openblas_get_num_threads(),
              load_average().c_str());
  std::printf("%-5s %6s %10s %10s %10s %10s %9s %9s %10s\n", "model", "posts", "torch pad", "torch sort", "crema fp32",
              "crema int8", "fp32/best", "int8/best", "max |diff|");
  const fs::path root = fs::temp_directory_path() / "crema_nn_torch_bench";
  // Posts timed per size: the base model is ~30x the Tiny one.
  for (const Size& s : {Size{"tiny", 256, 4, 4, 1024, 1024}, Size{"small", 384, 6, 6, 1536, 512},
                        Size{"base", 768, 12, 12, 3072, 128}}) {
    if (sizes.find(s.name) == std::string::npos) continue;
    const fs::path dir = root / s.name;
    if (!write_model(dir, s)) {
      std::fprintf(stderr, "cannot write %s\n", dir.c_str());
      return 1;
    }
    auto fp32 = crema::nn::HfModel::load(dir, crema::nn::Precision::kFp32);
    auto int8 = crema::nn::HfModel::load(dir, crema::nn::Precision::kInt8);
    auto st = crema::nn::SafeTensors::open((dir / "model.safetensors").string());
    if (!fp32 || !int8 || !st) {
      std::fprintf(stderr, "cannot load %s\n", dir.c_str());
      return 1;
    }
    const TorchBert torch_bert(*st, s);
    std::vector<std::string_view> views(texts.begin(), texts.begin() + static_cast<std::ptrdiff_t>(std::min(s.posts, texts.size())));
    const Ids ids = (*fp32)->tokenize(views, threads);
    const auto in_order = batches_of(ids, batch, false), by_length = batches_of(ids, batch, true);

    auto time_torch = [&](const auto& batches) {
      torch::set_num_threads(threads);
      openblas_set_num_threads(threads);
      torch_bert.embed(batches.front());  // warm-up
      const auto t0 = std::chrono::steady_clock::now();
      for (const auto& b : batches) torch_bert.embed(b);
      return static_cast<double>(ids.size()) / seconds_since(t0);
    };
    auto time_crema = [&](const crema::nn::HfModel& m) {
      openblas_set_num_threads(1);
      std::vector<float> out(batch * s.H);
      const auto first = std::span<const std::vector<int32_t>>(ids.data(), std::min(batch, ids.size()));
      (void)m.embed_ids(first, crema::nn::Pooling::kMean, std::span(out).first(first.size() * s.H), threads);
      const auto t0 = std::chrono::steady_clock::now();
      for (size_t lo = 0; lo < ids.size(); lo += batch) {
        const size_t n = std::min(batch, ids.size() - lo);
        if (!m.embed_ids(std::span(ids.data() + lo, n), crema::nn::Pooling::kMean, std::span(out).first(n * s.H),
                         threads))
          return 0.0;
      }
      return static_cast<double>(ids.size()) / seconds_since(t0);
    };
    // Same network: LibTorch's pooled vectors of the first batch against crema fp32's.
    const auto& b0 = in_order.front();
    const torch::Tensor ref = torch_bert.embed(b0).contiguous();
    std::vector<float> mine(b0.size() * s.H);
    Ids first(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(b0.size()));
    (void)(*fp32)->embed_ids(first, crema::nn::Pooling::kMean, mine, threads);
    float diff = 0;
    const float* r = ref.data_ptr<float>();
    for (size_t i = 0; i < mine.size(); ++i) diff = std::max(diff, std::fabs(r[i] - mine[i]));

    const double cpu0 = cpu_seconds();
    const auto wall0 = std::chrono::steady_clock::now();
    std::vector<double> rates[4];
    for (int round = 0; round < kRounds; ++round) {
      rates[0].push_back(time_torch(in_order));
      rates[1].push_back(time_torch(by_length));
      rates[2].push_back(time_crema(**fp32));
      rates[3].push_back(time_crema(**int8));
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const double torch_pad = median(rates[0]), torch_sorted = median(rates[1]);
    const double crema_fp32 = median(rates[2]), crema_int8 = median(rates[3]);
    const double best = std::max(torch_pad, torch_sorted);
    std::printf("%-5s %6zu %10.0f %10.0f %10.0f %10.0f %8.2fx %8.2fx %10.1e\n", s.name.c_str(), ids.size(), torch_pad,
                torch_sorted, crema_fp32, crema_int8, crema_fp32 / best, crema_int8 / best, static_cast<double>(diff));
    // One line per model for the README table (the lead reruns this on a quiet machine).
    const double wall = seconds_since(wall0), cpu = cpu_seconds() - cpu0;
    std::printf("summary %s: crema fp32 %.0f, crema int8 %.0f, LibTorch fp32 %.0f posts/s; fp32 %.2fx, int8 %.2fx "
                "LibTorch (targets >= 1x, >= 2x: %s, %s); timed %.0f s wall, %.0f s CPU; load %s\n",
                s.name.c_str(), crema_fp32, crema_int8, best, crema_fp32 / best, crema_int8 / best,
                crema_fp32 >= best ? "met" : "missed", crema_int8 >= 2 * best ? "met" : "missed", wall, cpu,
                load_average().c_str());
    std::fflush(stdout);
  }
  std::printf("load average after: %s\n", load_average().c_str());
  fs::remove_all(root);
  return 0;
}
