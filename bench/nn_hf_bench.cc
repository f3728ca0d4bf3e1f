// nn_hf_bench: HF encoder throughput (posts/s) on real tweets, fp32 and int8, random weights.
//   nn_hf_bench [posts.jsonl] [threads] [batch]   (default data/sample/sample_posts.jsonl, 2, 32)
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

namespace {

namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::string> read_texts(const std::string& path, size_t limit) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  simdjson::dom::parser parser;
  while (out.size() < limit && std::getline(in, line)) {
    simdjson::dom::element e;
    std::string_view text;
    if (parser.parse(line).get(e) || e["text"].get_string().get(text)) continue;
    out.push_back(crema::text::normalize_text(text));
  }
  return out;
}

// A random BertModel folder (F32 safetensors, N(0, 0.05) weights, LayerNorm 1/0).
bool write_model(const fs::path& dir, size_t H, size_t L, size_t A, size_t I, size_t V) {
  fs::create_directories(dir);
  const size_t P = 512;
  std::vector<std::pair<std::string, std::vector<size_t>>> specs = {
      {"embeddings.word_embeddings.weight", {V, H}}, {"embeddings.position_embeddings.weight", {P, H}},
      {"embeddings.token_type_embeddings.weight", {2, H}}, {"embeddings.LayerNorm.weight", {H}},
      {"embeddings.LayerNorm.bias", {H}}};
  for (size_t l = 0; l < L; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    for (const char* n : {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
      specs.push_back({p + n + ".weight", {H, H}});
      specs.push_back({p + n + ".bias", {H}});
    }
    specs.push_back({p + "intermediate.dense.weight", {I, H}});
    specs.push_back({p + "intermediate.dense.bias", {I}});
    specs.push_back({p + "output.dense.weight", {H, I}});
    specs.push_back({p + "output.dense.bias", {H}});
    for (const char* n : {"attention.output.LayerNorm", "output.LayerNorm"}) {
      specs.push_back({p + n + ".weight", {H}});
      specs.push_back({p + n + ".bias", {H}});
    }
  }
  std::string header = "{", data;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  for (const auto& [name, shape] : specs) {
    size_t n = 1;
    std::string sh;
    for (const size_t d : shape) {
      n *= d;
      sh += (sh.empty() ? "" : ",") + std::to_string(d);
    }
    std::vector<float> v(n);
    const bool ln_gain = name.find("LayerNorm.weight") != std::string::npos;
    for (auto& x : v) x = ln_gain ? 1.0f : normal(rng);
    header += (header.size() > 1 ? "," : "") + std::string("\"") + name + "\":{\"dtype\":\"F32\",\"shape\":[" + sh +
              "],\"data_offsets\":[" + std::to_string(data.size()) + "," + std::to_string(data.size() + 4 * n) + "]}";
    data.append(reinterpret_cast<const char*>(v.data()), 4 * n);
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string file(8, '\0');
  const uint64_t len = header.size();
  std::memcpy(file.data(), &len, 8);
  file += header + data;
  const std::string config = "{\"model_type\":\"bert\",\"hidden_size\":" + std::to_string(H) +
                             ",\"num_hidden_layers\":" + std::to_string(L) + ",\"num_attention_heads\":" +
                             std::to_string(A) + ",\"intermediate_size\":" + std::to_string(I) +
                             ",\"vocab_size\":" + std::to_string(V) + ",\"max_position_embeddings\":512}";
  const fs::path tok = fs::path(CREMA_SOURCE_DIR) / "tests/testdata/nn/tokenizers/bert-base-uncased";
  std::error_code ec;
  fs::copy_file(tok / "tokenizer.json", dir / "tokenizer.json", fs::copy_options::overwrite_existing, ec);
  return !ec && crema::write_file_atomic((dir / "model.safetensors").string(), file) &&
         crema::write_file_atomic((dir / "config.json").string(), config);
}

// User + system CPU seconds of this process so far: under load from other jobs, posts per
// CPU second is steadier than posts per wall second.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : std::string(CREMA_SOURCE_DIR) + "/data/sample/sample_posts.jsonl";
  const int threads = argc > 2 ? std::stoi(argv[2]) : 2;
  const size_t batch = argc > 3 ? std::stoul(argv[3]) : 32;
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
    if (!write_model(dir, s.H, s.L, s.A, s.I, 30522)) {
      std::fprintf(stderr, "cannot write %s\n", dir.c_str());
      return 1;
    }
    for (const auto precision : {crema::nn::Precision::kFp32, crema::nn::Precision::kInt8}) {
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
