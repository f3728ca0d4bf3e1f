// Private: constructors of the built-in encoders (encoder.cc picks one by name).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "crema/common/result.h"
#include "crema/embed/encoder.h"

namespace crema::embed::detail {

// Dimension of "tfidf" (other dimensions are "tfidf-<dim>"); chosen by measurement, see
// docs/encoders.md.
inline constexpr size_t kTfidfDefaultDim = 1024;

// The "tfidf" encoder with `dim` hashed dimensions (a power of two), reading
// <models_dir>/tfidf/idf.bin.
Result<std::unique_ptr<Encoder>> make_tfidf_encoder(const std::string& models_dir, size_t dim);

// The "glove-sif" encoder reading <models_dir>/glove-sif/glove-sif.bin.
Result<std::unique_ptr<Encoder>> make_glove_sif_encoder(const std::string& models_dir);

// L2-normalises row in place; leaves an all-zero row (or one with a negligible norm) at zero.
void normalize_row(float* row, size_t dim);

}  // namespace crema::embed::detail
