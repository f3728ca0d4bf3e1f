// crema/nn/torch_bin.h: restricted reader of PyTorch `torch.save` files (pytorch_model.bin).
//
// Format (torch >= 1.6, the zip serialisation): a zip archive of stored (uncompressed)
// entries under one top-level folder P: P/data.pkl, a pickle (protocol 2) of the state
// dict, and P/data/<key>, the raw little-endian bytes of each tensor storage, which torch
// aligns to 64 bytes in the file. P/version and other entries are ignored.
//
// The pickle is never executed. A small interpreter accepts only what torch.save writes for
// a state dict:
//   opcodes   PROTO FRAME STOP MARK EMPTY_DICT EMPTY_TUPLE TUPLE TUPLE1-3 SETITEM(S)
//             BINPUT LONG_BINPUT MEMOIZE BINGET LONG_BINGET GLOBAL STACK_GLOBAL REDUCE
//             BUILD BINPERSID BININT BININT1 BININT2 LONG1 NONE NEWTRUE NEWFALSE
//             BINUNICODE SHORT_BINUNICODE
//   globals   collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the storage
//             types torch.{Float,Half,BFloat16,Double,Long,Int,Short,Char,Byte,Bool}Storage
//   REDUCE    OrderedDict() with no arguments; _rebuild_tensor_v2(storage, offset, size,
//             stride, requires_grad, hooks[, metadata]) with a contiguous stride
//   BUILD     only on a dict (the state dict's `_metadata` attribute, ignored)
//   BINPERSID ('storage', <storage type>, key, location, element count)
// Anything else (another GLOBAL such as os.system, INST/OBJ/NEWOBJ, REDUCE on another
// callable, BUILD on a non-dict…) is refused with kUnsupported naming the file, the opcode
// and its byte offset in data.pkl. The pickle's result must be a dict of name -> tensor.
//
// Checks before any tensor byte is read: the zip central directory (zip64 too) and every
// local header inside the file, no compressed or encrypted entry (kUnsupported: re-save
// with torch.save), data.pkl's CRC-32, each storage entry's size == element count x dtype
// size, each tensor inside its storage, shapes (<= 8 dims, <= 2^31 elements), contiguous
// strides only, unique names. A damaged or hostile file gives kCorrupt (kUnsupported for a
// refused construct) naming the file and the entry or tensor, never a crash.
//
// Ownership and threads: a TorchBin owns its mapping; F32 tensors are zero-copy views into
// it (stored entries are aligned), F16/BF16/F64 are converted on get(). Integer tensors are
// listed but get() refuses them. All const members may be called from any number of
// threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/result.h"
#include "crema/nn/weights_file.h"

namespace crema::nn {

class TorchBin final : public TensorFile {
 public:
  // Maps and validates path. kNotFound / kIoError when it cannot be read.
  static Result<TorchBin> open(const std::string& path);
  // Validates a file held in memory; the bytes are copied. `what` names it in errors.
  static Result<TorchBin> parse(std::string_view bytes, std::string_view what);

  TorchBin(TorchBin&&) noexcept;
  TorchBin& operator=(TorchBin&&) noexcept;
  ~TorchBin() override;

  const std::string& path() const override { return path_; }
  // Tensors in the order the state dict lists them.
  const std::vector<StTensorInfo>& tensors() const override { return tensors_; }
  const StTensorInfo* find(std::string_view name) const override;
  Result<FloatTensor> get(std::string_view name) const override;
  // The archive's top-level folder name (torch uses the file's stem, e.g. "pytorch_model").
  const std::string& archive_name() const { return archive_; }

 private:
  TorchBin() = default;
  static Result<TorchBin> validate(TorchBin tb);
  std::shared_ptr<const detail::MappedFile> map_;
  std::string path_;
  std::string archive_;
  std::vector<StTensorInfo> tensors_;
};

}  // namespace crema::nn
