// SentencePiece models (.model) through libsentencepiece, with the id layouts Hugging Face
// gives them: fairseq's for sentencepiece.bpe.model (XLM-R, CamemBERT), plain otherwise.
#include <sentencepiece_processor.h>

#include <exception>

#include "tokenizer_internal.h"

namespace crema::nn::tok {
namespace {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> sp, bool fairseq)
      : sp_(std::move(sp)), fairseq_(fairseq) {
    if (fairseq_) {
      // fairseq dictionary: <s>=0 <pad>=1 </s>=2 <unk>=3, then the spm pieces shifted by one.
      pad_id_ = 1;
      special_prefix_ = {{0, 0}};
      special_suffix_ = {{2, 0}};
      return;
    }
    const int cls = sp_->PieceToId("[CLS]");
    const int sep = sp_->PieceToId("[SEP]");
    const int pad = sp_->PieceToId("<pad>");
    if (!sp_->IsUnknown(cls) && !sp_->IsUnknown(sep)) {
      special_prefix_ = {{cls, 0}};
      special_suffix_ = {{sep, 0}};
    } else if (sp_->eos_id() >= 0) {
      special_suffix_ = {{sp_->eos_id(), 0}};
    }
    pad_id_ = sp_->IsUnknown(pad) ? std::max(sp_->pad_id(), 0) : pad;
  }

  std::string_view kind() const override { return "sentencepiece"; }
  size_t vocab_size() const override {
    const auto n = static_cast<size_t>(sp_->GetPieceSize());
    return fairseq_ ? n + 2 : n;  // + <pad> and <mask> in the fairseq layout
  }

  std::optional<int32_t> token_to_id(std::string_view token) const override {
    if (fairseq_) {
      if (token == "<s>") return 0;
      if (token == "<pad>") return 1;
      if (token == "</s>") return 2;
      if (token == "<unk>") return 3;
      if (token == "<mask>") return static_cast<int32_t>(sp_->GetPieceSize() + 1);
    }
    const int id = sp_->PieceToId(std::string(token));
    if (sp_->IsUnknown(id) && token != sp_->IdToPiece(id)) return std::nullopt;
    return map_id(id);
  }

  std::string id_to_token(int32_t id) const override {
    if (fairseq_) {
      static const char* kFirst[] = {"<s>", "<pad>", "</s>", "<unk>"};
      if (id >= 0 && id < 4) return kFirst[id];
      if (id == sp_->GetPieceSize() + 1) return "<mask>";
      id -= 1;
    }
    if (id < 0 || id >= sp_->GetPieceSize()) return {};
    return sp_->IdToPiece(id);
  }

 protected:
  void tokenize(std::string_view text, std::vector<Tokenizer::Piece>& out) const override {
    sentencepiece::ImmutableSentencePieceText spt;
    try {
      spt = sp_->EncodeAsImmutableProto(text);
    } catch (const std::exception&) {
      return;  // libsentencepiece reports failures by status; nothing sensible to emit
    }
    for (size_t i = 0; i < spt.pieces_size(); ++i) {
      const auto p = spt.pieces(static_cast<int>(i));
      out.push_back({map_id(static_cast<int>(p.id())), p.begin(), p.end()});
    }
  }

 private:
  int32_t map_id(int id) const {
    if (!fairseq_) return id;
    return sp_->IsUnknown(id) ? 3 : id + 1;
  }

  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  bool fairseq_;
};

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_sentencepiece(const std::string& path, bool fairseq) {
  auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
  try {
    const auto status = sp->Load(path);
    if (!status.ok()) {
      return make_error(ErrorCode::kCorrupt, path + ": not a SentencePiece model: " + status.ToString());
    }
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kCorrupt, path + ": not a SentencePiece model: " + e.what());
  }
  return std::unique_ptr<Tokenizer>(std::make_unique<SentencePieceTokenizer>(std::move(sp), fairseq));
}

}  // namespace crema::nn::tok
