// crema/nn/weights_file.h: crema's own versioned container for model weights (".crnn").
//
// Layout (little-endian; docs/nn.md has the byte table):
//   "CREMANN\0" | u32 version (1) | u32 tensor count | u32 kind length | kind bytes |
//   per tensor: u32 name length | name | u8 dtype | u8 ndim | u8 quant axis | u8 0 |
//               i64 dims[ndim] | u64 data offset | u64 data bytes | u64 FNV-1a of the data |
//   u64 FNV-1a of every header byte before it | tensor data (64-byte aligned).
// dtypes: f32, f16 (IEEE half), i8 (symmetric int8 with one f32 scale per slice along the
// quant axis, stored after the int8 values: value = q * scale).
// Every offset, size, checksum and shape is checked on read: a damaged or hostile file gives
// kCorrupt naming the file and the tensor, never a crash or an out-of-bounds read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/result.h"

namespace crema::nn {

enum class DType : uint8_t { kF32 = 0, kF16 = 1, kI8 = 2 };

// A dense fp32 tensor, row-major. Owns its data.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t numel() const;
};

// One tensor to write: data is fp32 and is converted to `store_as` by the writer.
// quant_axis (0 or the last axis) picks the slices that share one int8 scale.
struct TensorToWrite {
  std::string name;
  std::vector<int64_t> shape;
  std::span<const float> data;
  DType store_as = DType::kF32;
  int quant_axis = 0;
};

// A read weights file: tensors dequantised to fp32, in file order.
struct WeightsFile {
  std::string kind;  // what the file holds, e.g. "use-lite"
  uint32_t version = 0;
  std::vector<std::string> names;
  std::vector<Tensor> tensors;
  // The tensor called name, or nullptr.
  const Tensor* find(std::string_view name) const;
};

inline constexpr uint32_t kWeightsFormatVersion = 1;
// Limits that keep a hostile header from asking for absurd allocations.
inline constexpr uint32_t kMaxTensors = 1u << 16;
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 31;

// Serialises tensors into the format above (bytes of the whole file).
Result<std::string> encode_weights(std::string_view kind, std::span<const TensorToWrite> tensors);

// Writes encode_weights() to path atomically.
Status write_weights_file(const std::string& path, std::string_view kind,
                          std::span<const TensorToWrite> tensors);

// Parses a whole file held in memory; `what` names it in errors (usually the path).
Result<WeightsFile> parse_weights(std::string_view bytes, std::string_view what);

// Reads and parses path. kNotFound when missing, kCorrupt when damaged.
Result<WeightsFile> read_weights_file(const std::string& path);

}  // namespace crema::nn
