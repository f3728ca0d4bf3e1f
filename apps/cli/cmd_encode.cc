// crema encode: sentence vectors for a file of posts (docs/nn.md has the output layouts).
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "crema/common/file_io.h"
#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/embed/encoder.h"
#include "crema/ingest/reader.h"
#include "crema/text/normalize.h"

namespace crema::cli {
namespace {

struct EncodeArgs {
  std::string encoder = "use-lite";
  bool int8 = false;
  std::string in, out, format = "f32";
};

constexpr size_t kChunk = 1024;

int run_encode(const EncodeArgs& args, const GlobalOptions& global) {
  if (args.format != "f32" && args.format != "jsonl") return usage_error("--format must be f32 or jsonl");
  std::string name = args.encoder;
  if (args.int8) {
    if (name == "use-lite") {
      name = "use-lite-int8";
    } else if (name.rfind("hf:", 0) == 0) {
      name = "hf-int8:" + name.substr(3);
    } else {
      return usage_error("--int8 applies to --encoder use-lite and hf:DIR");
    }
  }
  auto encoder = embed::make_encoder(name);
  if (!encoder) return report_error(encoder.error());
  auto reader = ingest::PostReader::open(args.in);
  if (!reader) return report_error(reader.error());
  std::vector<std::string> ids, texts;
  size_t rejects = 0;
  ingest::PostReader::Record rec;
  for (;;) {
    rec = {};
    auto more = (*reader)->next(rec);
    if (!more) return report_error(more.error());
    if (!*more) break;
    if (!rec.post) {
      ++rejects;
      continue;
    }
    ids.push_back(rec.post->id);
    texts.push_back(text::normalize_text(rec.post->text));
  }
  const size_t dim = (*encoder)->dim();
  std::vector<float> vectors(texts.size() * dim);
  ProgressBar bar(global.quiet);
  for (size_t lo = 0; lo < texts.size(); lo += kChunk) {
    const size_t hi = std::min(texts.size(), lo + kChunk);
    std::vector<std::string_view> views(texts.begin() + static_cast<std::ptrdiff_t>(lo),
                                        texts.begin() + static_cast<std::ptrdiff_t>(hi));
    auto st = (*encoder)->encode(views, std::span<float>(vectors).subspan(lo * dim, (hi - lo) * dim),
                                 resolve_threads(global.threads));
    if (!st) return report_error(st.error());
    bar.update("encode", hi, texts.size());
  }
  bar.finish();
  Status written;
  if (args.format == "f32") {
    written = write_file_atomic(args.out, std::string_view(reinterpret_cast<const char*>(vectors.data()),
                                                           vectors.size() * sizeof(float)));
    if (written) {
      std::string id_lines;
      for (const auto& id : ids) id_lines += id + "\n";
      written = write_file_atomic(args.out + ".ids", id_lines);
    }
  } else {
    std::string lines;
    for (size_t i = 0; i < ids.size(); ++i) {
      JsonWriter w;
      w.begin_object().key("id").value(ids[i]).key("vector").begin_array();
      for (size_t d = 0; d < dim; ++d) w.value(static_cast<double>(vectors[i * dim + d]));
      w.end_array().end_object();
      lines += w.str() + "\n";
    }
    written = write_file_atomic(args.out, lines);
  }
  if (!written) return report_error(written.error());
  if (global.json) {
    JsonWriter w;
    w.begin_object().key("encoder").value(name).key("posts").value(static_cast<uint64_t>(ids.size()));
    w.key("rejects").value(static_cast<uint64_t>(rejects)).key("dim").value(static_cast<uint64_t>(dim));
    w.key("out").value(args.out).key("format").value(args.format).end_object();
    std::printf("%s\n", w.str().c_str());
  } else if (!global.quiet) {
    std::printf("encoded %zu posts (%zu rejected) with %s: %zu x %zu floats -> %s\n", ids.size(), rejects,
                name.c_str(), ids.size(), dim, args.out.c_str());
  }
  return kExitOk;
}

void install_encode(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto args = std::make_shared<EncodeArgs>();
  CLI::App* cmd = app.add_subcommand("encode", "Sentence vectors for posts (JSONL/CSV in, f32 or JSONL out)");
  cmd->add_option("--encoder", args->encoder, "use-lite (default), glove-sif, tfidf, tfidf-<dim>");
  cmd->add_flag("--int8", args->int8, "int8 linear layers (use-lite, hf:DIR)");
  cmd->add_option("--in", args->in, "Posts file (JSONL, CSV or TSV; - = stdin)")->required();
  cmd->add_option("--out", args->out, "Output file")->required();
  cmd->add_option("--format", args->format, "f32 (raw little-endian rows + <out>.ids) or jsonl");
  cmd->callback([args, &global, &exit_code] { exit_code = run_encode(*args, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("encode", install_encode);
}  // namespace crema::cli
