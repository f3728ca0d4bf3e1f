// crema/embed/encoder.h: sentence encoders behind one interface.
//
// An Encoder maps texts to L2-normalised float vectors of a fixed dimension, so that
// S_text = dot product = cosine similarity (CReMa eq. 1). Built-in encoders:
//   "tfidf"     word and char n-grams hashed into a fixed number of buckets, sublinear TF,
//               IDF from bundled corpus statistics (models/tfidf/); 1024 dims, or
//               "tfidf-<dim>" for another power of two
//   "glove-sif" SIF-weighted mean of GloVe 6B 100d vectors (models/glove-sif/), first
//               principal component removed (Arora et al. 2017)
// Transformer encoders arrive later behind the same interface.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/result.h"

namespace crema::embed {

class Encoder {
 public:
  virtual ~Encoder() = default;
  virtual std::string_view name() const = 0;
  virtual size_t dim() const = 0;
  // Encodes texts (normalised text, crema/text/normalize.h) into out, row-major,
  // out.size() == texts.size() * dim(). Each row has L2 norm 1, or is all zeros when the
  // text has no usable tokens. Thread-safe; uses up to `threads` threads.
  virtual Status encode(std::span<const std::string_view> texts, std::span<float> out,
                        int threads = 1) const = 0;
};

struct EncoderOptions {
  std::string models_dir;  // empty = resource_path("models")
};

// Creates a built-in encoder by name, loading its files from models_dir. Unknown names list
// the known ones in the error (kInvalidArgument); a missing model file is kNotFound/kIoError,
// a damaged one kCorrupt. The encoder is immutable and may be shared across threads.
Result<std::unique_ptr<Encoder>> make_encoder(std::string_view name, const EncoderOptions& options = {});

// Names make_encoder() accepts.
std::vector<std::string> encoder_names();

// The encoder used when none is named (chosen by measurement, see docs/encoders.md).
std::string_view default_encoder_name();

}  // namespace crema::embed
