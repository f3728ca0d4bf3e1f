// crema train tokenizer: corpus -> spm_train (subprocess) -> HF XLM-R folder -> check against
// spm_encode.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "crema/common/file_io.h"
#include "crema/common/hash.h"
#include "crema/common/json_writer.h"
#include "crema/learn/tokenizer_train.h"
#include "crema/nn/tokenizer.h"
#include "data_files.h"
#include "spm_proto.h"

namespace crema::learn {
namespace {

// Runs argv[0] (PATH lookup) without a shell; stdin/stdout/stderr from/to the given files
// (empty = inherit). Returns the exit status, or an error when it cannot start.
Result<int> run_process(const std::vector<std::string>& argv, const std::string& in, const std::string& out,
                        const std::string& err) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return make_error(ErrorCode::kInternal, "fork failed for " + argv[0]);
  if (pid == 0) {
    auto redirect = [](const std::string& path, int fd, int flags) {
      if (path.empty()) return;
      const int f = open(path.c_str(), flags, 0644);
      if (f < 0) _exit(126);
      dup2(f, fd);
      close(f);
    };
    redirect(in, 0, O_RDONLY);
    redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC);
    redirect(err, 2, O_WRONLY | O_CREAT | O_TRUNC);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return make_error(ErrorCode::kInternal, "waitpid failed for " + argv[0]);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string last_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

Status tool_failed(const std::string& tool, int rc, const std::filesystem::path& log) {
  if (rc == 127) {
    return make_error(ErrorCode::kNotFound, tool + " not found (Debian package sentencepiece)");
  }
  return make_error(ErrorCode::kInternal, tool + " exited with status " + std::to_string(rc) + ": " + last_line(log));
}

std::string base64(std::string_view s) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<unsigned char>(s[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(s[i + 1])} << 8) | static_cast<unsigned char>(s[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kAlphabet[(v >> k) & 63]);
  }
  if (i < s.size()) {
    uint32_t v = uint32_t{static_cast<unsigned char>(s[i])} << 16;
    if (i + 1 < s.size()) v |= uint32_t{static_cast<unsigned char>(s[i + 1])} << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < s.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string float_json(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return buf;
}

void added_token(JsonWriter& w, int64_t id, std::string_view content, bool lstrip) {
  w.begin_object().key("id").value(id).key("content").value(content).key("single_word").value(false);
  w.key("lstrip").value(lstrip).key("rstrip").value(false).key("normalized").value(false);
  w.key("special").value(true).end_object();
}

// spm id -> XLM-R (fairseq) id: <unk>=0 -> 3, <s>=1 -> 0, </s>=2 -> 2, pieces +1.
int32_t fairseq_id(int32_t spm_id) {
  if (spm_id == 0) return 3;
  if (spm_id == 1) return 0;
  if (spm_id == 2) return 2;
  return spm_id + 1;
}

}  // namespace

Status write_hf_tokenizer_files(const std::filesystem::path& dir) {
  auto model = read_spm_model(dir / "sentencepiece.bpe.model");
  if (!model) return tl::unexpected(model.error());
  const auto& pieces = model->pieces;
  if (pieces[0].type != 2 || pieces[1].piece != "<s>" || pieces[2].piece != "</s>") {
    return make_error(ErrorCode::kCorrupt, (dir / "sentencepiece.bpe.model").string() +
                                               ": pieces 0..2 must be <unk>, <s>, </s> (spm_train defaults)");
  }
  const int64_t mask_id = static_cast<int64_t>(pieces.size()) + 1;
  JsonWriter w;
  w.begin_object().key("version").value("1.0").key("truncation").null().key("padding").null();
  w.key("added_tokens").begin_array();
  added_token(w, 0, "<s>", false);
  added_token(w, 1, "<pad>", false);
  added_token(w, 2, "</s>", false);
  added_token(w, 3, "<unk>", false);
  added_token(w, mask_id, "<mask>", true);
  w.end_array();
  // As HF's SpmConverter (spm's own normalisation via the precompiled charsmap), without
  // XLM-R's extra `` and '' replacements so that ids equal spm_encode's.
  w.key("normalizer").begin_object().key("type").value("Sequence").key("normalizers").begin_array();
  w.begin_object().key("type").value("Precompiled").key("precompiled_charsmap").value(base64(model->precompiled_charsmap)).end_object();
  w.begin_object().key("type").value("Replace").key("pattern").begin_object().key("Regex").value(" {2,}").end_object();
  w.key("content").value(" ").end_object();
  w.end_array().end_object();
  for (const char* k : {"pre_tokenizer", "decoder"}) {
    w.key(k).begin_object().key("type").value("Metaspace").key("replacement").value("\u2581");
    w.key("prepend_scheme").value("always").key("split").value(true).end_object();
  }
  w.key("post_processor").begin_object().key("type").value("TemplateProcessing").key("single").begin_array();
  w.begin_object().key("SpecialToken").begin_object().key("id").value("<s>").key("type_id").value(0).end_object().end_object();
  w.begin_object().key("Sequence").begin_object().key("id").value("A").key("type_id").value(0).end_object().end_object();
  w.begin_object().key("SpecialToken").begin_object().key("id").value("</s>").key("type_id").value(0).end_object().end_object();
  w.end_array().key("pair").begin_array();
  w.begin_object().key("SpecialToken").begin_object().key("id").value("<s>").key("type_id").value(0).end_object().end_object();
  w.begin_object().key("Sequence").begin_object().key("id").value("A").key("type_id").value(0).end_object().end_object();
  w.begin_object().key("SpecialToken").begin_object().key("id").value("</s>").key("type_id").value(0).end_object().end_object();
  w.begin_object().key("SpecialToken").begin_object().key("id").value("</s>").key("type_id").value(0).end_object().end_object();
  w.begin_object().key("Sequence").begin_object().key("id").value("B").key("type_id").value(0).end_object().end_object();
  w.begin_object().key("SpecialToken").begin_object().key("id").value("</s>").key("type_id").value(0).end_object().end_object();
  w.end_array().key("special_tokens").begin_object();
  for (auto [tok, id] : {std::pair<const char*, int64_t>{"<s>", 0}, {"</s>", 2}}) {
    w.key(tok).begin_object().key("id").value(tok).key("ids").begin_array().value(id).end_array();
    w.key("tokens").begin_array().value(tok).end_array().end_object();
  }
  w.end_object().end_object();
  w.key("model").begin_object().key("type").value("Unigram").key("unk_id").value(3).key("byte_fallback").value(false);
  w.key("vocab").begin_array();
  for (const char* s : {"<s>", "<pad>", "</s>", "<unk>"}) w.begin_array().value(s).raw("0.0").end_array();
  for (size_t i = 3; i < pieces.size(); ++i) w.begin_array().value(pieces[i].piece).raw(float_json(pieces[i].score)).end_array();
  w.begin_array().value("<mask>").raw("0.0").end_array();
  w.end_array().end_object().end_object();
  if (auto s = write_file_atomic((dir / "tokenizer.json").string(), w.str()); !s) return s;

  JsonWriter c;
  c.begin_object().key("tokenizer_class").value("XLMRobertaTokenizer").key("model_max_length").value(512);
  c.key("bos_token").value("<s>").key("eos_token").value("</s>").key("unk_token").value("<unk>");
  c.key("sep_token").value("</s>").key("cls_token").value("<s>").key("pad_token").value("<pad>");
  c.key("mask_token").value("<mask>").end_object();
  if (auto s = write_file_atomic((dir / "tokenizer_config.json").string(), c.str()); !s) return s;
  JsonWriter m;
  m.begin_object().key("bos_token").value("<s>").key("eos_token").value("</s>").key("unk_token").value("<unk>");
  m.key("sep_token").value("</s>").key("cls_token").value("<s>").key("pad_token").value("<pad>");
  m.key("mask_token").value("<mask>").end_object();
  return write_file_atomic((dir / "special_tokens_map.json").string(), m.str());
}

Result<TokenizerTrainReport> train_tokenizer(const TokenizerTrainOptions& options, const ProgressFn& progress) {
  if (options.out_dir.empty()) return make_error(ErrorCode::kInvalidArgument, "no output folder");
  if (options.vocab_size < 100 || options.vocab_size > 1000000) {
    return make_error(ErrorCode::kInvalidArgument, "--vocab-size must be in 100..1000000");
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return make_error(ErrorCode::kIoError, options.out_dir.string() + ": " + ec.message());
  TokenizerTrainReport report;
  auto stage = [&](std::string_view s, uint64_t done, uint64_t total) {
    if (progress) progress(s, done, total);
  };

  std::filesystem::path corpus = options.corpus_file;
  if (corpus.empty()) {
    stage("corpus", 0, 0);
    corpus = options.out_dir / "corpus.txt";
    auto stats = build_tokenizer_corpus(options.corpus, corpus);
    if (!stats) return tl::unexpected(stats.error());
    report.corpus = *stats;
  }
  auto lines = read_lines(corpus);
  if (!lines) return tl::unexpected(lines.error());
  if (options.corpus_file.empty() == false) {
    uint64_t h = kFnvOffset;
    for (const auto& l : *lines) h = fnv1a(fnv1a(h, l), "\n");
    report.corpus.lines = lines->size();
    report.corpus.fnv1a64 = hex64(h);
  }

  // spm_train's piece count: the final vocabulary adds <pad> and <mask>.
  stage("spm_train", 0, 0);
  const auto prefix = options.out_dir / "spm";
  const auto log = options.out_dir / "spm_train.log";
  std::vector<std::string> argv = {
      options.spm_train, "--input=" + corpus.string(), "--model_prefix=" + prefix.string(),
      "--vocab_size=" + std::to_string(options.vocab_size - 2), "--model_type=unigram",
      "--character_coverage=0.9995", "--random_seed=" + std::to_string(options.seed),
      "--num_threads=" + std::to_string(std::max(1, options.threads)), "--max_sentence_length=8192",
      "--input_sentence_size=" + std::to_string(options.input_sentence_size), "--shuffle_input_sentence=true",
      "--hard_vocab_limit=false"};
  for (const auto& a : argv) report.spm_command += (report.spm_command.empty() ? "" : " ") + a;
  auto rc = run_process(argv, "", options.out_dir / "spm_train.out", log);
  if (!rc) return tl::unexpected(rc.error());
  if (*rc != 0) return tl::unexpected(tool_failed(options.spm_train, *rc, log).error());
  std::filesystem::rename(prefix.string() + ".model", options.out_dir / "sentencepiece.bpe.model", ec);
  if (ec) return make_error(ErrorCode::kIoError, "cannot move spm.model: " + ec.message());
  std::filesystem::remove(prefix.string() + ".vocab", ec);
  if (auto s = write_hf_tokenizer_files(options.out_dir); !s) return tl::unexpected(s.error());

  auto tok = nn::load_tokenizer(options.out_dir);
  if (!tok) return tl::unexpected(tok.error());
  report.vocab_size = (*tok)->vocab_size();

  if (options.verify_lines > 0 && !lines->empty()) {
    stage("verify", 0, options.verify_lines);
    // Lines spread over the whole corpus (every source), fixed by the corpus.
    const size_t n = std::min(options.verify_lines, lines->size());
    const size_t step = lines->size() / n;
    std::vector<std::string> sample;
    std::string text;
    for (size_t i = 0; i < n; ++i) {
      sample.push_back((*lines)[i * step]);
      text += sample.back() + "\n";
    }
    const auto in = options.out_dir / "verify_lines.txt", out = options.out_dir / "verify_ids.txt";
    if (auto s = write_file_atomic(in.string(), text); !s) return tl::unexpected(s.error());
    auto erc = run_process({options.spm_encode, "--model=" + (options.out_dir / "sentencepiece.bpe.model").string(),
                            "--output_format=id"},
                           in.string(), out.string(), (options.out_dir / "spm_encode.log").string());
    if (!erc) return tl::unexpected(erc.error());
    if (*erc != 0) return tl::unexpected(tool_failed(options.spm_encode, *erc, options.out_dir / "spm_encode.log").error());
    auto ref = read_lines(out);
    if (!ref) return tl::unexpected(ref.error());
    if (ref->size() != sample.size()) {
      return make_error(ErrorCode::kInternal, "spm_encode gave " + std::to_string(ref->size()) + " lines for " +
                                                  std::to_string(sample.size()));
    }
    for (size_t i = 0; i < sample.size(); ++i) {
      std::vector<int32_t> expected;
      size_t b = 0;
      const std::string& r = (*ref)[i];
      while (b < r.size()) {
        size_t e = r.find(' ', b);
        if (e == std::string::npos) e = r.size();
        if (e > b) expected.push_back(fairseq_id(static_cast<int32_t>(std::stol(r.substr(b, e - b)))));
        b = e + 1;
      }
      const auto got = (*tok)->encode(sample[i], 0, false).ids;
      ++report.verified_lines;
      if (got == expected) {
        ++report.identical_lines;
      } else if (report.differing.size() < 20) {
        report.differing.push_back(i);
      }
    }
    std::filesystem::remove(out, ec);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::string card = "# crema tokenizer (SentencePiece Unigram, XLM-R layout)\n\nMade by `crema train tokenizer` (docs/learn.md).\n\n";
  card += "- vocabulary: " + std::to_string(report.vocab_size) + " (<s>=0 <pad>=1 </s>=2 <unk>=3, <mask> last)\n";
  card += "- corpus: " + std::to_string(report.corpus.lines) + " lines, FNV-1a 64 " + report.corpus.fnv1a64 + "\n";
  for (const auto& [src, count] : report.corpus.lines_by_source) card += "  - " + src + ": " + std::to_string(count) + "\n";
  card += "- spm_train: `" + report.spm_command + "`\n";
  card += "- check: " + std::to_string(report.identical_lines) + " of " + std::to_string(report.verified_lines) +
          " corpus lines get the same ids from crema's tokenizer (tokenizer.json) as from spm_encode\n";
  card += "- data licences: data/parallel/PROVENANCE.md, data/labels/PROVENANCE.md, data/geonames/PROVENANCE.md\n";
  if (auto s = write_file_atomic((options.out_dir / "TOKENIZER.md").string(), card); !s) return tl::unexpected(s.error());
  return report;
}

}  // namespace crema::learn
