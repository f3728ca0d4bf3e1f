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
//
// The second half of this header is the interface every memory-mapped model weight file
// shares (TensorFile): Hugging Face model.safetensors (safetensors.h) and PyTorch
// pytorch_model.bin (torch_bin.h). The HF model loader reads weights only through it, so each
// architecture loads from either file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
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

// ---- Memory-mapped model weight files (safetensors, torch zip) ----

// Element types of tensors in model weight files. Only the floating-point ones can be read
// as fp32 (TensorFile::get); the integer ones (e.g. the int64 `position_ids` buffer many
// torch checkpoints hold) are listed so a file that carries them still opens.
enum class StDType : uint8_t { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool };

// Bytes per element of d.
size_t dtype_size(StDType d);
// "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL".
const char* dtype_name(StDType d);

// One tensor of a weight file. offset/bytes are absolute within the file; the data is
// row-major and contiguous.
struct StTensorInfo {
  std::string name;
  StDType dtype = StDType::kF32;
  std::vector<int64_t> shape;
  size_t offset = 0;
  size_t bytes = 0;
  int64_t numel() const;
};

// fp32 values of one tensor, row-major. `data` points either into the file's mapping (F32 at
// a 4-byte-aligned offset: zero copy) or into `owned` (converted from F16/BF16/F64).
struct FloatTensor {
  std::vector<int64_t> shape;
  std::span<const float> data;
  std::vector<float> owned;
  FloatTensor() = default;
  FloatTensor(FloatTensor&& o) noexcept;
  FloatTensor& operator=(FloatTensor&& o) noexcept;
  FloatTensor(const FloatTensor&) = delete;
  FloatTensor& operator=(const FloatTensor&) = delete;
};

namespace detail {
struct MappedFile;  // a read-only mmap of a file, or an owned copy of bytes (src/nn/mapped_file.h)
}  // namespace detail

// A validated, memory-mapped weight file. Every entry of tensors() has been checked against
// the file size at open time, so get() never reads out of bounds.
// Ownership and threads: FloatTensor views stay valid while the TensorFile lives; all const
// members may be called from any number of threads.
class TensorFile {
 public:
  virtual ~TensorFile() = default;
  // The path (or the name given to parse()) used in every error message.
  virtual const std::string& path() const = 0;
  // Entries in file order.
  virtual const std::vector<StTensorInfo>& tensors() const = 0;
  // The entry called name, or nullptr.
  virtual const StTensorInfo* find(std::string_view name) const = 0;
  // fp32 values of a tensor: kNotFound naming the file and tensor when absent, kUnsupported
  // for an integer tensor.
  virtual Result<FloatTensor> get(std::string_view name) const = 0;

 protected:
  TensorFile() = default;
  TensorFile(const TensorFile&) = default;
  TensorFile(TensorFile&&) = default;
  TensorFile& operator=(const TensorFile&) = default;
  TensorFile& operator=(TensorFile&&) = default;
};

// Opens a weight file by its content: a zip archive (starts with "PK\3\4") is read as a torch
// file (torch_bin.h), anything else as safetensors. Errors as the readers give them.
Result<std::unique_ptr<TensorFile>> open_tensor_file(const std::string& path);

// The weights of a Hugging Face model folder: dir/model.safetensors when present, else
// dir/pytorch_model.bin. kNotFound naming both when neither exists; kUnsupported for a
// sharded checkpoint (only *.index.json and shards present).
Result<std::unique_ptr<TensorFile>> open_model_weights(const std::filesystem::path& dir);

}  // namespace crema::nn
