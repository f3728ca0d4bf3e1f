// Multilingual knowledge distillation with LibTorch (CREMA_WITH_TORCH builds only).
// The student is an XLM-R-layout encoder written here with torch::nn; its parameter names are
// the Hugging Face ones, so export is a rename-free copy into model.safetensors.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>

#include <simdjson.h>
#include <unordered_map>
#include <unordered_set>

#include "crema/common/file_io.h"
#include "crema/common/hash.h"
#include "crema/common/json_writer.h"
#include "crema/common/paths.h"
#include "crema/embed/encoder.h"
#include "crema/learn/distill.h"
#include "crema/nn/model.h"
#include "crema/nn/tokenizer.h"
#include "crema/nn/weights_file.h"
#include "crema/text/normalize.h"
#include "data_files.h"
#include "safetensors_writer.h"
#include "student_shape.inc"

namespace crema::learn {
namespace {

constexpr int64_t kPadId = 1;  // XLM-R layout
constexpr double kLayerNormEps = 1e-5;

struct LayerImpl : torch::nn::Module {
  LayerImpl(int64_t h, int64_t heads, int64_t inter_size)
      : heads_(heads),
        query(register_module("query", torch::nn::Linear(h, h))),
        key(register_module("key", torch::nn::Linear(h, h))),
        value(register_module("value", torch::nn::Linear(h, h))),
        attn_out(register_module("attn_out", torch::nn::Linear(h, h))),
        attn_ln(register_module("attn_ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(kLayerNormEps)))),
        inter(register_module("inter", torch::nn::Linear(h, inter_size))),
        out(register_module("out", torch::nn::Linear(inter_size, h))),
        out_ln(register_module("out_ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(kLayerNormEps)))) {}

  // x [B,T,H]; mask_add [B,1,1,T] (0 on tokens, large negative on padding).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask_add, double dropout) {
    const int64_t b = x.size(0), t = x.size(1), h = x.size(2), d = h / heads_;
    auto split = [&](const torch::Tensor& y) { return y.view({b, t, heads_, d}).transpose(1, 2); };
    auto q = split(query->forward(x)), k = split(key->forward(x)), v = split(value->forward(x));
    auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(d)) + mask_add;
    auto probs = torch::dropout(torch::softmax(scores, -1), dropout, is_training());
    auto ctx = torch::matmul(probs, v).transpose(1, 2).reshape({b, t, h});
    auto a = attn_ln->forward(x + torch::dropout(attn_out->forward(ctx), dropout, is_training()));
    auto f = out->forward(torch::gelu(inter->forward(a)));
    return out_ln->forward(a + torch::dropout(f, dropout, is_training()));
  }

  int64_t heads_;
  torch::nn::Linear query, key, value, attn_out;
  torch::nn::LayerNorm attn_ln;
  torch::nn::Linear inter, out;
  torch::nn::LayerNorm out_ln;
};
TORCH_MODULE(Layer);

struct StudentImpl : torch::nn::Module {
  StudentImpl(const StudentShape& s, int64_t vocab, int64_t positions)
      : word(register_module("word", torch::nn::Embedding(vocab, static_cast<int64_t>(s.hidden)))),
        pos(register_module("pos", torch::nn::Embedding(positions, static_cast<int64_t>(s.hidden)))),
        type(register_module("type", torch::nn::Embedding(1, static_cast<int64_t>(s.hidden)))),
        ln(register_module("ln", torch::nn::LayerNorm(
                                     torch::nn::LayerNormOptions({static_cast<int64_t>(s.hidden)}).eps(kLayerNormEps)))) {
    for (size_t i = 0; i < s.layers; ++i) {
      layers.push_back(register_module("layer" + std::to_string(i),
                                       Layer(static_cast<int64_t>(s.hidden), static_cast<int64_t>(s.heads),
                                             static_cast<int64_t>(s.intermediate))));
    }
    // BERT's initialisation: N(0, 0.02) weights, zero biases, LayerNorm 1/0.
    torch::NoGradGuard guard;
    for (auto& p : named_parameters()) {
      const std::string& n = p.key();
      if (n.find("ln.") != std::string::npos || n.rfind("ln.", 0) == 0) continue;
      if (n.size() > 5 && n.compare(n.size() - 5, 5, ".bias") == 0) {
        p.value().zero_();
      } else {
        p.value().normal_(0.0, 0.02);
      }
    }
  }

  // ids, mask [B,T] (int64, float); returns mean-pooled last hidden states [B,H] (not normalised).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask, double dropout) {
    // XLM-R positions: pad + 1 + index for real tokens (right padding).
    auto positions = (torch::cumsum(mask, 1) * mask).to(torch::kLong) + kPadId;
    auto x = word->forward(ids) + pos->forward(positions) + type->forward(torch::zeros_like(ids));
    x = torch::dropout(ln->forward(x), dropout, is_training());
    auto mask_add = ((1.0 - mask) * -1e9).view({mask.size(0), 1, 1, mask.size(1)});
    for (auto& l : layers) x = l->forward(x, mask_add, dropout);
    auto m = mask.unsqueeze(-1);
    return (x * m).sum(1) / m.sum(1).clamp_min(1.0);
  }

  torch::nn::Embedding word, pos, type;
  torch::nn::LayerNorm ln;
  std::vector<Layer> layers;
};
TORCH_MODULE(Student);

// Hugging Face name of each student parameter (XLM-R base model, no "roberta." prefix).
std::string hf_name(const std::string& n) {
  static const std::vector<std::pair<std::string, std::string>> kTop = {
      {"word.weight", "embeddings.word_embeddings.weight"},
      {"pos.weight", "embeddings.position_embeddings.weight"},
      {"type.weight", "embeddings.token_type_embeddings.weight"},
      {"ln.weight", "embeddings.LayerNorm.weight"},
      {"ln.bias", "embeddings.LayerNorm.bias"}};
  for (const auto& [a, b] : kTop) {
    if (n == a) return b;
  }
  static const std::vector<std::pair<std::string, std::string>> kLayer = {
      {"query", "attention.self.query"}, {"key", "attention.self.key"}, {"value", "attention.self.value"},
      {"attn_out", "attention.output.dense"}, {"attn_ln", "attention.output.LayerNorm"},
      {"inter", "intermediate.dense"}, {"out", "output.dense"}, {"out_ln", "output.LayerNorm"}};
  // "layer3.attn_ln.weight"
  const size_t dot = n.find('.');
  const size_t dot2 = n.find('.', dot + 1);
  const std::string index = n.substr(5, dot - 5), part = n.substr(dot + 1, dot2 - dot - 1), leaf = n.substr(dot2 + 1);
  for (const auto& [a, b] : kLayer) {
    if (part == a) return "encoder.layer." + index + "." + b + "." + leaf;
  }
  return n;
}

Error torch_error(const std::string& what, const std::exception& e) {
  std::string msg = e.what();
  if (const size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return Error{ErrorCode::kInternal, what + ": " + msg};
}

struct Batch {
  torch::Tensor ids, mask;
};

Batch make_batch(const std::vector<std::vector<int32_t>>& tokens, const std::vector<size_t>& rows) {
  size_t len = 1;
  for (size_t r : rows) len = std::max(len, tokens[r].size());
  auto ids = torch::full({static_cast<int64_t>(rows.size()), static_cast<int64_t>(len)}, kPadId, torch::kLong);
  auto mask = torch::zeros({static_cast<int64_t>(rows.size()), static_cast<int64_t>(len)}, torch::kFloat);
  auto ia = ids.accessor<int64_t, 2>();
  auto ma = mask.accessor<float, 2>();
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& t = tokens[rows[i]];
    for (size_t j = 0; j < t.size(); ++j) {
      ia[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = t[j];
      ma[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = 1.0f;
    }
  }
  return {ids, mask};
}

// Mean-pooled student vectors of the given token rows, [rows, H], in eval mode.
torch::Tensor embed_rows(Student& model, const std::vector<std::vector<int32_t>>& tokens, const std::vector<size_t>& rows) {
  torch::NoGradGuard guard;
  const bool was_training = model->is_training();
  model->eval();
  std::vector<torch::Tensor> parts;
  for (size_t b = 0; b < rows.size(); b += 64) {
    std::vector<size_t> chunk(rows.begin() + static_cast<std::ptrdiff_t>(b),
                              rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), b + 64)));
    auto batch = make_batch(tokens, chunk);
    parts.push_back(model->forward(batch.ids, batch.mask, 0.0));
  }
  model->train(was_training);
  return torch::cat(parts, 0);
}

// One training example: the text's tokens row and the row of its English target.
struct Example {
  size_t tokens;
  size_t target;
};

struct Dataset {
  std::vector<std::string> texts;               // normalised, unique
  std::vector<std::vector<int32_t>> tokens;     // per text
  std::vector<size_t> english;                  // text rows that are targets (unique English)
  std::unordered_map<size_t, size_t> target_of; // text row -> index into english
  std::vector<Example> train;
  struct DevPair { size_t english, other; std::string lang; };
  std::vector<DevPair> dev;
  size_t train_pairs = 0;
  std::map<std::string, std::string> file_hashes;
};

uint64_t file_fnv(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return fnv1a(kFnvOffset, ss.str());
}

Result<Dataset> load_dataset(const DistillOptions& o, const std::filesystem::path& data, const nn::Tokenizer& tok,
                             const ProgressFn& progress) {
  Dataset ds;
  std::unordered_map<std::string, size_t> row_of;
  auto row = [&](std::string_view raw) -> std::optional<size_t> {
    std::string t = one_line(text::normalize_text(raw));
    if (t.empty()) return std::nullopt;
    auto [it, inserted] = row_of.emplace(t, ds.texts.size());
    if (inserted) ds.texts.push_back(std::move(t));
    return it->second;
  };
  auto target = [&](size_t r) {
    auto [it, inserted] = ds.target_of.emplace(r, ds.english.size());
    if (inserted) ds.english.push_back(r);
    return it->second;
  };
  std::vector<ParallelPair> pairs;
  auto tico = read_tico19(data);
  if (!tico) return tl::unexpected(tico.error());
  pairs = std::move(*tico);
  const size_t tico_count = pairs.size();
  auto labels_path = data / "labels" / "open_labels.jsonl";
  auto rows = read_labelled_texts(labels_path);
  if (!rows) return tl::unexpected(rows.error());
  for (auto& p : figure8_pairs(*rows)) pairs.push_back(std::move(p));
  if (o.dictionaries) {
    auto dict = read_freedict(data);
    if (!dict) return tl::unexpected(dict.error());
    for (auto& p : *dict) pairs.push_back(std::move(p));
  }
  for (const auto& e : std::filesystem::directory_iterator(data / "parallel" / "tico19")) {
    if (e.path().extension() == ".gz") ds.file_hashes["parallel/tico19/" + e.path().filename().string()] = hex64(file_fnv(e.path()));
  }
  ds.file_hashes["labels/open_labels.jsonl"] = hex64(file_fnv(labels_path));
  if (o.dictionaries) {
    for (const char* f : {"de-en.tsv.gz", "it-en.tsv.gz", "tr-en.tsv.gz"}) {
      const auto p = data / "parallel" / "freedict" / f;
      if (std::filesystem::exists(p)) ds.file_hashes[std::string("parallel/freedict/") + f] = hex64(file_fnv(p));
    }
  }

  // 1 in 20 TICO-19 units (by tuid) is held out in every language.
  size_t used = 0;
  std::unordered_set<size_t> in_train;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& p = pairs[i];
    auto en = row(p.english), other = row(p.other);
    if (!en || !other) continue;
    const bool dev = i < tico_count && (fnv1a(kFnvOffset, p.id) % 20 == 0);
    if (dev) {
      ds.dev.push_back({*en, *other, p.lang});
      continue;
    }
    if (o.max_pairs != 0 && used >= o.max_pairs) continue;
    ++used;
    // Each text is one example (TICO-19's English side repeats once per language).
    const size_t t = target(*en);
    if (in_train.insert(*en).second) ds.train.push_back({*en, t});
    if (in_train.insert(*other).second) ds.train.push_back({*other, t});
  }
  ds.train_pairs = used;
  // The monolingual term: English crisis posts map to their own teacher vectors.
  size_t mono = 0;
  const size_t mono_cap = o.max_pairs != 0 ? o.max_pairs / 4 : 12000;
  for (const auto& r : *rows) {
    if (r.lang != "en" || mono >= mono_cap) continue;
    auto en = row(r.text);
    if (!en || in_train.count(*en) || ds.target_of.count(*en)) continue;
    in_train.insert(*en);
    ds.train.push_back({*en, target(*en)});
    ++mono;
  }
  for (const auto& d : ds.dev) target(d.english);

  ds.tokens.resize(ds.texts.size());
  for (size_t i = 0; i < ds.texts.size(); ++i) {
    ds.tokens[i] = tok.encode(ds.texts[i], o.max_tokens).ids;
    if (progress && i % 1000 == 0) progress("tokenize", i, ds.texts.size());
  }
  return ds;
}

// Teacher vectors of the English target texts, cached under a hash of teacher + texts.
Result<std::vector<float>> teacher_vectors(const DistillOptions& o, const Dataset& ds, size_t& dim,
                                           const ProgressFn& progress) {
  uint64_t h = fnv1a(kFnvOffset, o.teacher);
  for (size_t r : ds.english) h = fnv1a(fnv1a(h, ds.texts[r]), "\n");
  const auto cache = o.out_dir / "teacher_cache.bin";
  {
    std::ifstream in(cache, std::ios::binary);
    uint64_t header[3] = {0, 0, 0};
    if (in && in.read(reinterpret_cast<char*>(header), sizeof header) && header[0] == h &&
        header[1] == ds.english.size() && header[2] > 0 && header[2] < 100000) {
      std::vector<float> v(header[1] * header[2]);
      if (in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)))) {
        dim = header[2];
        return v;
      }
    }
  }
  embed::EncoderOptions eo;
  eo.models_dir = o.models_dir.string();
  auto enc = embed::make_encoder(o.teacher, eo);
  if (!enc) return tl::unexpected(enc.error());
  dim = (*enc)->dim();
  std::vector<float> v(ds.english.size() * dim);
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (size_t b = 0; b < ds.english.size(); b += 256) {
    const size_t e = std::min(ds.english.size(), b + 256);
    std::vector<std::string_view> texts;
    for (size_t i = b; i < e; ++i) texts.push_back(ds.texts[ds.english[i]]);
    auto s = (*enc)->encode(texts, std::span<float>(v.data() + b * dim, (e - b) * dim), threads);
    if (!s) return tl::unexpected(s.error());
    if (progress) progress("teacher", e, ds.english.size());
  }
  std::string bytes(sizeof(uint64_t) * 3, '\0');
  const uint64_t header[3] = {h, ds.english.size(), dim};
  std::memcpy(bytes.data(), header, sizeof header);
  bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  if (auto s = write_file_atomic(cache.string(), bytes); !s) return tl::unexpected(s.error());
  return v;
}

std::vector<float> to_vector(const torch::Tensor& t) {
  auto c = t.contiguous().to(torch::kFloat);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<int64_t> shape_of(const torch::Tensor& t) { return t.sizes().vec(); }

std::string config_json(const StudentShape& s, int64_t vocab, int64_t positions) {
  JsonWriter w;
  w.begin_object().key("model_type").value("xlm-roberta").key("architectures").begin_array().value("XLMRobertaModel").end_array();
  w.key("hidden_size").value(static_cast<uint64_t>(s.hidden)).key("num_hidden_layers").value(static_cast<uint64_t>(s.layers));
  w.key("num_attention_heads").value(static_cast<uint64_t>(s.heads)).key("intermediate_size").value(static_cast<uint64_t>(s.intermediate));
  w.key("vocab_size").value(vocab).key("max_position_embeddings").value(positions).key("type_vocab_size").value(1);
  w.key("pad_token_id").value(kPadId).key("bos_token_id").value(0).key("eos_token_id").value(2);
  w.key("hidden_act").value("gelu").key("layer_norm_eps").raw("1e-05");
  w.key("hidden_dropout_prob").raw("0.1").key("attention_probs_dropout_prob").raw("0.1");
  w.key("initializer_range").raw("0.02").key("position_embedding_type").value("absolute").end_object();
  return w.take();
}

Status copy_tokenizer(const std::filesystem::path& from, const std::filesystem::path& to) {
  for (const char* f : {"sentencepiece.bpe.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "TOKENIZER.md"}) {
    std::error_code ec;
    if (!std::filesystem::exists(from / f)) continue;
    std::filesystem::copy_file(from / f, to / f, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return make_error(ErrorCode::kIoError, (to / f).string() + ": " + ec.message());
  }
  return {};
}

Status export_model(Student& model, const StudentShape& s, int64_t vocab, int64_t positions,
                    const std::filesystem::path& tokenizer_dir, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::kIoError, dir.string() + ": " + ec.message());
  std::vector<NamedTensor> tensors;
  for (const auto& p : model->named_parameters()) {
    tensors.push_back({hf_name(p.key()), shape_of(p.value()), to_vector(p.value().detach())});
  }
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  if (auto st = write_safetensors(dir / "model.safetensors", tensors, {{"format", "pt"}}); !st) return st;
  if (auto st = write_file_atomic((dir / "config.json").string(), config_json(s, vocab, positions)); !st) return st;
  return copy_tokenizer(tokenizer_dir, dir);
}

struct DevScores {
  double mse = 0, mse_en = 0, top1 = 0, cosine = 0;
};

DevScores evaluate(Student& model, const Dataset& ds, const torch::Tensor& targets) {
  DevScores s;
  if (ds.dev.empty()) return s;
  std::vector<size_t> en_rows, other_rows, target_rows;
  for (const auto& d : ds.dev) {
    en_rows.push_back(d.english);
    other_rows.push_back(d.other);
    target_rows.push_back(ds.target_of.at(d.english));
  }
  torch::NoGradGuard guard;
  auto en = embed_rows(model, ds.tokens, en_rows), other = embed_rows(model, ds.tokens, other_rows);
  auto t = targets.index_select(0, torch::tensor(std::vector<int64_t>(target_rows.begin(), target_rows.end()), torch::kLong));
  s.mse = torch::mse_loss(other, t).item<double>();
  s.mse_en = torch::mse_loss(en, t).item<double>();
  s.cosine = torch::cosine_similarity(other, t, 1).mean().item<double>();
  // Translation -> English retrieval among the dev units of the same language.
  auto on = torch::nn::functional::normalize(other, torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto enn = torch::nn::functional::normalize(en, torch::nn::functional::NormalizeFuncOptions().dim(1));
  size_t correct = 0;
  std::map<std::string, std::vector<int64_t>> by_lang;
  for (size_t i = 0; i < ds.dev.size(); ++i) by_lang[ds.dev[i].lang].push_back(static_cast<int64_t>(i));
  for (const auto& [lang, idx] : by_lang) {
    auto ix = torch::tensor(idx, torch::kLong);
    auto sim = torch::matmul(on.index_select(0, ix), enn.index_select(0, ix).t());
    auto best = sim.argmax(1);
    auto ba = best.accessor<int64_t, 1>();
    for (size_t k = 0; k < idx.size(); ++k) correct += ba[static_cast<int64_t>(k)] == static_cast<int64_t>(k);
  }
  s.top1 = static_cast<double>(correct) / static_cast<double>(ds.dev.size());
  return s;
}

// A checkpoint resumes only with the same options and the same training examples: the data
// files' hashes and the example count (which sets the learning-rate schedule) are part of the key.
std::string options_key(const DistillOptions& o, const Dataset& ds) {
  std::ostringstream k;
  k << o.teacher << '|' << o.student << '|' << o.seed << '|' << o.epochs << '|' << o.batch_size << '|' << o.lr << '|'
    << o.warmup_steps << '|' << o.max_tokens << '|' << o.max_pairs << '|' << o.dictionaries << '|' << ds.train.size();
  for (const auto& [file, hash] : ds.file_hashes) k << '|' << file << '=' << hash;
  return hex64(fnv1a(kFnvOffset, k.str()));
}

std::string model_card(const DistillOptions& o, const StudentShape& s, const Dataset& ds, const DistillReport& r,
                       size_t teacher_dim) {
  std::ostringstream c;
  c << "# crema multilingual student encoder (" << o.student << ")\n\n"
    << "Distilled by `crema train encoder` (docs/learn.md): multilingual knowledge distillation "
       "(Reimers & Gurevych 2020) from teacher `" << o.teacher << "` (" << teacher_dim
    << " dims), target = teacher vector of the English sentence, PCA-projected to " << s.hidden
    << " dims (centred, unit RMS per dimension; matrix in ../pca.safetensors).\n\n"
    << "- architecture: XLM-R layout, H" << s.hidden << "/L" << s.layers << "/A" << s.heads << "/I" << s.intermediate
    << ", mean pooling + L2 (crema `hf:DIR`)\n"
    << "- command: `" << o.command << "`\n"
    << "- seed " << o.seed << ", epochs " << o.epochs << " (done: " << r.epochs_done << "), batch " << o.batch_size
    << ", AdamW lr " << o.lr << " (warm-up " << o.warmup_steps << " steps, linear decay), dropout 0.1, max tokens "
    << o.max_tokens << "\n"
    << "- steps " << r.steps << ", " << static_cast<long>(r.seconds) << " s" << (r.stopped_by_time ? " (stopped by --max-minutes)" : "")
    << "\n- LibTorch " << TORCH_VERSION << "\n"
    << "- data: " << r.train_pairs << " parallel pairs for training (+ English monolingual rows), " << r.dev_pairs
    << " held-out TICO-19 pairs (1 unit in 20, every language)\n";
  for (const auto& [f, h] : ds.file_hashes) c << "  - data/" << f << " FNV-1a 64 " << h << "\n";
  c << "- licences: TICO-19 CC0; Figure Eight CC BY 4.0 (Robert Munro); FreeDict GPL-2+/GPL-3+ "
    << (o.dictionaries ? "(used)" : "(not used)") << "; see data/parallel/PROVENANCE.md, data/labels/PROVENANCE.md\n\n"
    << "## Dev scores (held-out TICO-19)\n\n| metric | value |\n|---|---:|\n"
    << "| MSE translation vs target | " << r.dev_mse << " |\n| MSE English vs target | " << r.dev_mse_en << " |\n"
    << "| cosine translation vs target | " << r.dev_teacher_cosine << " |\n"
    << "| translation -> English top-1 (within language) | " << r.dev_retrieval_top1 << " |\n"
    << "| train MSE (last epoch) | " << r.train_mse << " |\n";
  return c.str();
}

Result<DistillReport> train_impl(const DistillOptions& o, const ProgressFn& progress) {
  auto shape = student_shape(o.student);
  if (!shape) return tl::unexpected(shape.error());
  if (o.out_dir.empty() || o.tokenizer_dir.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--out and --tokenizer are required");
  }
  if (o.batch_size < 2 || o.epochs < 1 || o.max_tokens < 8 || o.max_tokens > 512) {
    return make_error(ErrorCode::kInvalidArgument, "bad batch size, epochs or max tokens");
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir / "checkpoint", ec);
  if (ec) return make_error(ErrorCode::kIoError, o.out_dir.string() + ": " + ec.message());
  const std::filesystem::path data = o.data_dir.empty() ? std::filesystem::path(resource_path("data")) : o.data_dir;
  auto tok = nn::load_tokenizer(o.tokenizer_dir);
  if (!tok) return tl::unexpected(tok.error());
  if ((*tok)->token_to_id("<pad>") != kPadId) {
    return make_error(ErrorCode::kInvalidArgument, o.tokenizer_dir.string() + ": <pad> must have id 1 (XLM-R layout)");
  }
  const int64_t vocab = static_cast<int64_t>((*tok)->vocab_size());
  const int64_t positions = static_cast<int64_t>(o.max_tokens) + kPadId + 1;
  torch::manual_seed(o.seed);
  if (o.threads > 0) torch::set_num_threads(o.threads);

  auto ds = load_dataset(o, data, **tok, progress);
  if (!ds) return tl::unexpected(ds.error());
  size_t teacher_dim = 0;
  auto tv = teacher_vectors(o, *ds, teacher_dim, progress);
  if (!tv) return tl::unexpected(tv.error());
  if (teacher_dim < shape->hidden) {
    return make_error(ErrorCode::kInvalidArgument, "teacher has " + std::to_string(teacher_dim) +
                                                       " dims, fewer than the student's hidden size");
  }

  // PCA of the teacher vectors -> targets [targets, H].
  auto teacher = torch::from_blob(tv->data(), {static_cast<int64_t>(ds->english.size()), static_cast<int64_t>(teacher_dim)},
                                  torch::kFloat).to(torch::kDouble);
  auto mean = teacher.mean(0);
  auto centred = teacher - mean;
  auto cov = torch::matmul(centred.t(), centred) / static_cast<double>(teacher.size(0));
  auto eig = torch::linalg::eigh(cov, "L");
  auto vecs = std::get<1>(eig).flip({1}).narrow(1, 0, static_cast<int64_t>(shape->hidden));  // [D,H], largest first
  // Fix each component's sign (largest entry positive) so runs agree.
  auto signs = torch::sign(vecs.gather(0, vecs.abs().argmax(0, true)));
  vecs = vecs * signs;
  auto projected = torch::matmul(centred, vecs);
  const double scale = 1.0 / std::sqrt(projected.pow(2).mean().item<double>());
  auto targets = (projected * scale).to(torch::kFloat).contiguous();
  {
    std::vector<NamedTensor> pca = {{"mean", {static_cast<int64_t>(teacher_dim)}, to_vector(mean)},
                                    {"components", {static_cast<int64_t>(shape->hidden), static_cast<int64_t>(teacher_dim)}, to_vector(vecs.t())},
                                    {"scale", {1}, {static_cast<float>(scale)}}};
    if (auto s = write_safetensors(o.out_dir / "pca.safetensors", pca, {{"teacher", o.teacher}}); !s) {
      return tl::unexpected(s.error());
    }
  }

  Student model(*shape, vocab, positions);
  torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(0.01));
  const size_t per_epoch = (ds->train.size() + static_cast<size_t>(o.batch_size) - 1) / static_cast<size_t>(o.batch_size);
  const size_t total_steps = per_epoch * static_cast<size_t>(o.epochs);
  size_t step = 0;
  const auto ckpt = o.out_dir / "checkpoint";
  const std::string key = options_key(o, *ds);
  if (o.resume) {
    std::ifstream st(ckpt / "state.txt");
    std::string k;
    if (!(st >> k >> step)) return make_error(ErrorCode::kNotFound, (ckpt / "state.txt").string() + ": no checkpoint to resume");
    if (k != key) return make_error(ErrorCode::kInvalidArgument, "--resume: the checkpoint was made with other options or other training data");
    torch::load(model, (ckpt / "model.pt").string());
    torch::load(opt, (ckpt / "optim.pt").string());
  }
  auto save = [&]() -> Status {
    torch::save(model, (ckpt / "model.pt.tmp").string());
    torch::save(opt, (ckpt / "optim.pt.tmp").string());
    std::filesystem::rename(ckpt / "model.pt.tmp", ckpt / "model.pt");
    std::filesystem::rename(ckpt / "optim.pt.tmp", ckpt / "optim.pt");
    return write_file_atomic((ckpt / "state.txt").string(), key + " " + std::to_string(step) + "\n");
  };

  DistillReport report;
  report.train_pairs = ds->train_pairs;
  report.dev_pairs = ds->dev.size();
  model->train();
  double epoch_loss = 0;
  size_t epoch_batches = 0;
  auto target_index = torch::empty({0}, torch::kLong);
  for (int epoch = static_cast<int>(step / per_epoch); epoch < o.epochs && step < total_steps; ++epoch) {
    // The epoch's batches depend only on seed and epoch, so a resumed run sees the same ones.
    std::mt19937_64 rng(o.seed * 1000003ULL + static_cast<uint64_t>(epoch));
    std::vector<size_t> order(ds->train.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    const size_t bs = static_cast<size_t>(o.batch_size), pool = bs * 50;
    for (size_t b = 0; b < order.size(); b += pool) {  // length buckets against padding
      auto first = order.begin() + static_cast<std::ptrdiff_t>(b);
      auto last = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), b + pool));
      std::stable_sort(first, last, [&](size_t x, size_t y) {
        return ds->tokens[ds->train[x].tokens].size() < ds->tokens[ds->train[y].tokens].size();
      });
    }
    std::vector<std::vector<size_t>> batches;
    for (size_t b = 0; b < order.size(); b += bs) {
      batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(b),
                           order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), b + bs)));
    }
    std::shuffle(batches.begin(), batches.end(), rng);
    epoch_loss = 0;
    epoch_batches = 0;
    for (size_t bi = step - static_cast<size_t>(epoch) * per_epoch; bi < batches.size(); ++bi) {
      std::vector<size_t> rows;
      std::vector<int64_t> tix;
      for (size_t e : batches[bi]) {
        rows.push_back(ds->train[e].tokens);
        tix.push_back(static_cast<int64_t>(ds->train[e].target));
      }
      auto batch = make_batch(ds->tokens, rows);
      auto out = model->forward(batch.ids, batch.mask, 0.1);
      auto loss = torch::mse_loss(out, targets.index_select(0, torch::tensor(tix, torch::kLong)));
      opt.zero_grad();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
      const double warm = std::min(1.0, static_cast<double>(step + 1) / std::max(1, o.warmup_steps));
      const double decay = std::max(0.0, 1.0 - static_cast<double>(step) / static_cast<double>(total_steps));
      for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(o.lr * std::min(warm, decay));
      opt.step();
      ++step;
      epoch_loss += loss.item<double>();
      ++epoch_batches;
      if (progress) progress("train", step, total_steps);
      if (step % static_cast<size_t>(o.checkpoint_every) == 0) {
        if (auto s = save(); !s) return tl::unexpected(s.error());
        std::fprintf(stderr, "[learn] step %zu/%zu epoch %d loss %.4f (%.0f s)\n", step, total_steps, epoch,
                     epoch_loss / static_cast<double>(epoch_batches),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 60.0;
      if (o.max_minutes > 0 && minutes >= o.max_minutes) {
        report.stopped_by_time = true;
        break;
      }
    }
    report.epochs_done = report.stopped_by_time ? epoch : epoch + 1;
    if (report.stopped_by_time) break;
  }
  if (auto s = save(); !s) return tl::unexpected(s.error());
  report.steps = step;
  report.train_mse = epoch_batches ? epoch_loss / static_cast<double>(epoch_batches) : 0;
  if (progress) progress("dev", 0, 0);
  const auto dev = evaluate(model, *ds, targets);
  report.dev_mse = dev.mse;
  report.dev_mse_en = dev.mse_en;
  report.dev_retrieval_top1 = dev.top1;
  report.dev_teacher_cosine = dev.cosine;
  report.model_dir = o.out_dir / "model";
  if (auto s = export_model(model, *shape, vocab, positions, o.tokenizer_dir, report.model_dir); !s) {
    return tl::unexpected(s.error());
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (auto s = write_file_atomic((report.model_dir / "README.md").string(), model_card(o, *shape, *ds, report, teacher_dim)); !s) {
    return tl::unexpected(s.error());
  }
  return report;
}

struct LoadedStudent {
  Student model{nullptr};
  std::unique_ptr<nn::Tokenizer> tokenizer;
  StudentShape shape;
  int64_t vocab = 0, positions = 0;
  size_t max_tokens = 0;
};

// An exported folder (config.json + model.safetensors + tokenizer) as a LibTorch student.
Result<LoadedStudent> load_student(const std::filesystem::path& model_dir) {
  std::ifstream in(model_dir / "config.json");
  if (!in) return make_error(ErrorCode::kNotFound, (model_dir / "config.json").string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  auto cfg = nn::parse_hf_config(ss.str(), (model_dir / "config.json").string());
  if (!cfg) return tl::unexpected(cfg.error());
  LoadedStudent l;
  l.shape = StudentShape{cfg->hidden, cfg->layers, cfg->heads, cfg->intermediate};
  auto tok = nn::load_tokenizer(model_dir);
  if (!tok) return tl::unexpected(tok.error());
  l.tokenizer = std::move(*tok);
  auto weights = nn::open_tensor_file((model_dir / "model.safetensors").string());
  if (!weights) return tl::unexpected(weights.error());
  l.vocab = static_cast<int64_t>(cfg->vocab);
  l.positions = static_cast<int64_t>(cfg->max_positions);
  l.model = Student(l.shape, l.vocab, l.positions);
  torch::NoGradGuard guard;
  for (auto& p : l.model->named_parameters()) {
    auto t = (*weights)->get(hf_name(p.key()));
    if (!t) return tl::unexpected(t.error());
    if (static_cast<int64_t>(t->data.size()) != p.value().numel()) {
      return make_error(ErrorCode::kCorrupt, "model.safetensors: tensor '" + hf_name(p.key()) + "' has the wrong size");
    }
    p.value().copy_(torch::from_blob(const_cast<float*>(t->data.data()), p.value().sizes(), torch::kFloat));
  }
  l.max_tokens = static_cast<size_t>(l.positions) - static_cast<size_t>(kPadId) - 1;
  return l;
}

struct MatchPair {
  std::string id;
  size_t request = 0, offer = 0;
  std::optional<size_t> negative;
};

// Request -> offer top-1 among the given pairs' offers (cosine).
double pair_top1(Student& model, const std::vector<std::vector<int32_t>>& tokens, const std::vector<MatchPair>& pairs) {
  if (pairs.empty()) return 0;
  std::vector<size_t> req, off;
  for (const auto& p : pairs) {
    req.push_back(p.request);
    off.push_back(p.offer);
  }
  namespace F = torch::nn::functional;
  auto r = F::normalize(embed_rows(model, tokens, req), F::NormalizeFuncOptions().dim(1));
  auto o = F::normalize(embed_rows(model, tokens, off), F::NormalizeFuncOptions().dim(1));
  auto best = torch::matmul(r, o.t()).argmax(1);
  auto ba = best.accessor<int64_t, 1>();
  size_t correct = 0;
  for (size_t i = 0; i < pairs.size(); ++i) correct += ba[static_cast<int64_t>(i)] == static_cast<int64_t>(i);
  return static_cast<double>(correct) / static_cast<double>(pairs.size());
}

Result<FinetuneReport> finetune_impl(const FinetuneOptions& o, const ProgressFn& progress) {
  if (o.init_dir.empty() || o.out_dir.empty() || o.pairs_files.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "fine-tune needs --init, --pairs and --out");
  }
  const auto t0 = std::chrono::steady_clock::now();
  torch::manual_seed(o.seed);
  if (o.threads > 0) torch::set_num_threads(o.threads);
  auto loaded = load_student(o.init_dir);
  if (!loaded) return tl::unexpected(loaded.error());
  Student model = loaded->model;
  const size_t max_tokens = std::min(o.max_tokens, loaded->max_tokens);

  std::vector<std::vector<int32_t>> tokens;
  auto add = [&](const std::string& raw) {
    tokens.push_back(loaded->tokenizer->encode(one_line(text::normalize_text(raw)), max_tokens).ids);
    return tokens.size() - 1;
  };
  std::vector<MatchPair> train, dev;
  std::map<std::string, std::string> hashes;
  for (const auto& file : o.pairs_files) {
    auto lines = read_lines(file);
    if (!lines) return tl::unexpected(lines.error());
    uint64_t h = kFnvOffset;
    simdjson::ondemand::parser parser;
    for (size_t i = 0; i < lines->size(); ++i) {
      const std::string& line = (*lines)[i];
      h = fnv1a(fnv1a(h, line), "\n");
      if (line.empty()) continue;
      auto bad = [&](const char* why) {
        return make_error(ErrorCode::kCorrupt, file.string() + ":" + std::to_string(i + 1) + ": " + why);
      };
      simdjson::padded_string padded(line);
      simdjson::ondemand::document doc;
      if (parser.iterate(padded).get(doc)) return bad("not JSON");
      simdjson::ondemand::object obj;
      if (doc.get_object().get(obj)) return bad("not a JSON object");
      std::string id, request, offer, negative;
      for (auto field : obj) {
        std::string_view key, v;
        if (field.unescaped_key().get(key)) return bad("bad key");
        std::string* dst = key == "id" ? &id : key == "request" ? &request : key == "offer" ? &offer
                         : key == "hard_negative" ? &negative : nullptr;
        if (dst == nullptr) continue;
        if (field.value().get_string().get(v)) return bad("field is not a string");
        *dst = std::string(v);
      }
      if (request.empty() || offer.empty()) return bad("needs \"request\" and \"offer\"");
      if (id.empty()) id = file.filename().string() + ":" + std::to_string(i + 1);
      MatchPair p{id, add(request), add(offer), std::nullopt};
      if (!negative.empty()) p.negative = add(negative);
      (fnv1a(kFnvOffset, id) % 10 == 0 ? dev : train).push_back(std::move(p));
    }
    hashes[file.string()] = hex64(h);
  }
  if (train.empty()) return make_error(ErrorCode::kInvalidArgument, "no training pairs");
  FinetuneReport report;
  report.train_pairs = train.size();
  report.dev_pairs = dev.size();
  report.dev_top1_before = pair_top1(model, tokens, dev);

  torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(0.01));
  const size_t bs = static_cast<size_t>(std::max(2, o.batch_size));
  const size_t per_epoch = (train.size() + bs - 1) / bs, total = per_epoch * static_cast<size_t>(o.epochs);
  namespace F = torch::nn::functional;
  model->train();
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::mt19937_64 rng(o.seed * 1000003ULL + static_cast<uint64_t>(epoch));
    std::shuffle(train.begin(), train.end(), rng);
    for (size_t b = 0; b < train.size(); b += bs) {
      const size_t e = std::min(train.size(), b + bs);
      if (e - b < 2) continue;
      std::vector<size_t> req, cand;
      for (size_t i = b; i < e; ++i) {
        req.push_back(train[i].request);
        cand.push_back(train[i].offer);
      }
      for (size_t i = b; i < e; ++i) {
        if (train[i].negative) cand.push_back(*train[i].negative);
      }
      auto rb = make_batch(tokens, req), cb = make_batch(tokens, cand);
      auto r = F::normalize(model->forward(rb.ids, rb.mask, 0.1), F::NormalizeFuncOptions().dim(1));
      auto c = F::normalize(model->forward(cb.ids, cb.mask, 0.1), F::NormalizeFuncOptions().dim(1));
      const int64_t n = static_cast<int64_t>(e - b);
      auto labels = torch::arange(n, torch::kLong);
      auto sim = torch::matmul(r, c.t()) * o.scale;  // [n, n + negatives]
      auto loss = F::cross_entropy(sim, labels) + F::cross_entropy(sim.narrow(1, 0, n).t(), labels);
      opt.zero_grad();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
      const double decay = std::max(0.0, 1.0 - static_cast<double>(report.steps) / static_cast<double>(total));
      for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(o.lr * decay);
      opt.step();
      ++report.steps;
      if (progress) progress("fine-tune", report.steps, total);
    }
  }
  report.dev_top1_after = pair_top1(model, tokens, dev);
  report.model_dir = o.out_dir;
  if (auto s = export_model(model, loaded->shape, loaded->vocab, loaded->positions, o.init_dir, o.out_dir); !s) {
    return tl::unexpected(s.error());
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::ifstream card_in(o.init_dir / "README.md");
  std::stringstream card;
  card << card_in.rdbuf();
  card << "\n## Matching fine-tune\n\nContrastive (InfoNCE, in-batch negatives + hard negatives, both directions, scale "
       << o.scale << "), AdamW lr " << o.lr << " linear decay, batch " << bs << ", " << o.epochs << " epochs, seed " << o.seed
       << ", " << report.steps << " steps, " << static_cast<long>(report.seconds) << " s.\n- command: `" << o.command
       << "`\n- pairs: " << report.train_pairs << " train, " << report.dev_pairs << " held out (1 in 10 by id)\n";
  for (const auto& [f, h] : hashes) card << "  - " << f << " FNV-1a 64 " << h << "\n";
  card << "- held-out request -> offer top-1: " << report.dev_top1_before << " before, " << report.dev_top1_after << " after\n";
  if (auto s = write_file_atomic((o.out_dir / "README.md").string(), card.str()); !s) return tl::unexpected(s.error());
  return report;
}

}  // namespace

bool torch_available() { return true; }

Result<DistillReport> train_encoder(const DistillOptions& options, const ProgressFn& progress) {
  try {
    return train_impl(options, progress);
  } catch (const std::exception& e) {
    return tl::unexpected(torch_error("train encoder", e));
  }
}

Result<std::vector<float>> torch_embed(const std::filesystem::path& model_dir, const std::vector<std::string>& texts) {
  try {
    auto loaded = load_student(model_dir);
    if (!loaded) return tl::unexpected(loaded.error());
    std::vector<std::vector<int32_t>> tokens;
    std::vector<size_t> rows;
    for (const auto& t : texts) {
      rows.push_back(tokens.size());
      tokens.push_back(loaded->tokenizer->encode(t, loaded->max_tokens).ids);
    }
    auto out = embed_rows(loaded->model, tokens, rows);
    out = torch::nn::functional::normalize(out, torch::nn::functional::NormalizeFuncOptions().dim(1));
    return to_vector(out);
  } catch (const std::exception& e) {
    return tl::unexpected(torch_error("torch_embed", e));
  }
}

Result<FinetuneReport> finetune_matching(const FinetuneOptions& options, const ProgressFn& progress) {
  try {
    return finetune_impl(options, progress);
  } catch (const std::exception& e) {
    return tl::unexpected(torch_error("fine-tune", e));
  }
}

}  // namespace crema::learn
