// bench/nn_bench_support.h: what the transformer benchmarks share: timing, the tweets they
// read, and random-weight BERT folders for crema and LibTorch to run.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "crema/common/file_io.h"
#include "crema/text/normalize.h"

namespace crema::bench {

namespace fs = std::filesystem;

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The normalised text of the first `limit` posts of a JSONL file that have one.
inline std::vector<std::string> read_texts(const std::string& path, size_t limit) {
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

// A random BertModel folder (F32 safetensors, N(0, 0.05) weights seeded 1, LayerNorm 1/0, 512
// positions) with the bert-base-uncased WordPiece tokenizer from tests/testdata.
inline bool write_random_bert(const fs::path& dir, size_t H, size_t L, size_t A, size_t I, size_t V) {
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
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace crema::bench
