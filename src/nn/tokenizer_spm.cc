// SentencePiece models (.model) through crema's own reader and encoder (spm_model.h), with
// the id layouts Hugging Face gives them: fairseq's for sentencepiece.bpe.model (XLM-R,
// CamemBERT), plain otherwise.
#include <fstream>
#include <iterator>

#include "spm_model.h"
#include "tokenizer_internal.h"

namespace crema::nn::tok {
namespace {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(spm::Processor sp, bool fairseq) : sp_(std::move(sp)), fairseq_(fairseq) {
    if (fairseq_) {
      // fairseq dictionary: <s>=0 <pad>=1 </s>=2 <unk>=3, then the spm pieces shifted by one.
      pad_id_ = 1;
      special_prefix_ = {{0, 0}};
      special_suffix_ = {{2, 0}};
      return;
    }
    const int32_t cls = sp_.piece_to_id("[CLS]");
    const int32_t sep = sp_.piece_to_id("[SEP]");
    const int32_t pad = sp_.piece_to_id("<pad>");
    if (!sp_.is_unknown(cls) && !sp_.is_unknown(sep)) {
      special_prefix_ = {{cls, 0}};
      special_suffix_ = {{sep, 0}};
    } else if (sp_.eos_id() >= 0) {
      special_suffix_ = {{sp_.eos_id(), 0}};
    }
    pad_id_ = sp_.is_unknown(pad) ? std::max(sp_.pad_id(), 0) : pad;
  }

  std::string_view kind() const override { return "sentencepiece"; }
  size_t vocab_size() const override {
    const auto n = static_cast<size_t>(sp_.size());
    return fairseq_ ? n + 2 : n;  // + <pad> and <mask> in the fairseq layout
  }

  std::optional<int32_t> token_to_id(std::string_view token) const override {
    if (fairseq_) {
      if (token == "<s>") return 0;
      if (token == "<pad>") return 1;
      if (token == "</s>") return 2;
      if (token == "<unk>") return 3;
      if (token == "<mask>") return sp_.size() + 1;
    }
    const int32_t id = sp_.piece_to_id(token);
    if (sp_.is_unknown(id) && token != sp_.id_to_piece(id)) return std::nullopt;
    return map_id(id);
  }

  std::string id_to_token(int32_t id) const override {
    if (fairseq_) {
      static const char* kFirst[] = {"<s>", "<pad>", "</s>", "<unk>"};
      if (id >= 0 && id < 4) return kFirst[id];
      if (id == sp_.size() + 1) return "<mask>";
      id -= 1;
    }
    return sp_.id_to_piece(id);
  }

 protected:
  void tokenize(std::string_view text, std::vector<Tokenizer::Piece>& out) const override {
    std::vector<spm::SpmToken> toks;
    sp_.encode(text, toks);
    out.reserve(out.size() + toks.size());
    for (const auto& t : toks) out.push_back({map_id(t.id), t.begin, t.end});
  }

 private:
  int32_t map_id(int32_t id) const {
    if (!fairseq_) return id;
    return sp_.is_unknown(id) ? 3 : id + 1;
  }

  spm::Processor sp_;
  bool fairseq_;
};

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_sentencepiece(const std::string& path, bool fairseq) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIoError, path + ": cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(ErrorCode::kIoError, path + ": read failed");
  auto proto = spm::parse_model_proto(bytes, path);
  if (!proto) return tl::unexpected(proto.error());
  auto sp = spm::Processor::create(std::move(*proto), path);
  if (!sp) return tl::unexpected(sp.error());
  return std::unique_ptr<Tokenizer>(std::make_unique<SentencePieceTokenizer>(std::move(*sp), fairseq));
}

}  // namespace crema::nn::tok
