// crema/nn/safetensors.h: reader for Hugging Face `.safetensors` weight files.
//
// Format: u64 little-endian header length N | N bytes of JSON | tensor data. The JSON maps
// each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to
// the first data byte); "__metadata__" holds strings and is kept as is.
//
// The file is memory-mapped read-only. Every header entry is checked before any data is
// touched: dtype F32, F16 or BF16 (others are kUnsupported), dims non-negative and
// <= 2^31, element count <= 2^31, count x dtype size == end - begin, offsets inside the
// data area, and the header itself inside the file. A damaged or hostile file gives kCorrupt
// naming the file and the tensor, never a crash or an out-of-bounds read.
//
// Ownership and threads: a SafeTensors owns its mapping; FloatTensor views of F32 tensors
// point into it (zero copy) and stay valid while the SafeTensors lives. F16/BF16 tensors
// (and F32 tensors at a misaligned offset) are converted into memory the FloatTensor owns.
// All const members may be called from any number of threads. StTensorInfo, FloatTensor and
// the TensorFile interface it implements are in weights_file.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crema/common/result.h"
#include "crema/nn/weights_file.h"

namespace crema::nn {

class SafeTensors final : public TensorFile {
 public:
  // Maps and validates path. kNotFound / kIoError when it cannot be read, kCorrupt or
  // kUnsupported naming the path and tensor otherwise.
  static Result<SafeTensors> open(const std::string& path);
  // Validates a file held in memory; the bytes are copied. `what` names it in errors.
  static Result<SafeTensors> parse(std::string_view bytes, std::string_view what);

  SafeTensors() = default;  // empty: no tensors
  SafeTensors(SafeTensors&&) noexcept;
  SafeTensors& operator=(SafeTensors&&) noexcept;
  ~SafeTensors() override;

  const std::string& path() const override { return path_; }
  // Entries in file order.
  const std::vector<StTensorInfo>& tensors() const override { return tensors_; }
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  // The entry called name, or nullptr.
  const StTensorInfo* find(std::string_view name) const override;
  // fp32 values of a tensor; kNotFound naming the file and tensor when absent.
  Result<FloatTensor> get(std::string_view name) const override;

 private:
  static Result<SafeTensors> validate(SafeTensors st);
  std::shared_ptr<const detail::MappedFile> map_;
  std::string path_;
  std::vector<StTensorInfo> tensors_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

}  // namespace crema::nn
