// The weight-file interface of weights_file.h: shared tensor types, the file mapping, and
// picking the reader for a file or a Hugging Face folder.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "crema/nn/safetensors.h"
#include "crema/nn/torch_bin.h"
#include "crema/nn/weights_file.h"
#include "half.h"
#include "mapped_file.h"

namespace crema::nn {

size_t dtype_size(StDType d) {
  switch (d) {
    case StDType::kF64:
    case StDType::kI64: return 8;
    case StDType::kF32:
    case StDType::kI32: return 4;
    case StDType::kF16:
    case StDType::kBF16:
    case StDType::kI16: return 2;
    case StDType::kI8:
    case StDType::kU8:
    case StDType::kBool: return 1;
  }
  return 1;
}

const char* dtype_name(StDType d) {
  switch (d) {
    case StDType::kF32: return "F32";
    case StDType::kF16: return "F16";
    case StDType::kBF16: return "BF16";
    case StDType::kF64: return "F64";
    case StDType::kI64: return "I64";
    case StDType::kI32: return "I32";
    case StDType::kI16: return "I16";
    case StDType::kI8: return "I8";
    case StDType::kU8: return "U8";
    case StDType::kBool: return "BOOL";
  }
  return "?";
}

int64_t StTensorInfo::numel() const {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  return n;
}

FloatTensor::FloatTensor(FloatTensor&& o) noexcept { *this = std::move(o); }

FloatTensor& FloatTensor::operator=(FloatTensor&& o) noexcept {
  const bool own = !o.owned.empty() && o.data.data() == o.owned.data();
  shape = std::move(o.shape);
  owned = std::move(o.owned);
  data = own ? std::span<const float>(owned) : o.data;
  o.data = {};
  return *this;
}

namespace detail {

MappedFile::~MappedFile() {
  if (mapped_) munmap(mapped_, size);
}

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return make_error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIoError, path + ": " + std::strerror(err));
  }
  struct stat sb {};
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    ::close(fd);
    return make_error(ErrorCode::kIoError, path + ": not a regular file");
  }
  auto map = std::make_shared<MappedFile>();
  map->size = static_cast<size_t>(sb.st_size);
  if (map->size > 0) {
    void* p = mmap(nullptr, map->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return make_error(ErrorCode::kIoError, path + ": mmap failed: " + std::strerror(err));
    }
    map->mapped_ = p;
    map->data = static_cast<const char*>(p);
  }
  ::close(fd);
  return std::shared_ptr<const MappedFile>(std::move(map));
}

std::shared_ptr<const MappedFile> MappedFile::copy(std::string_view bytes) {
  auto map = std::make_shared<MappedFile>();
  map->copy_.assign(bytes);
  map->data = map->copy_.data();
  map->size = map->copy_.size();
  return map;
}

Result<FloatTensor> float_tensor(const MappedFile& file, const StTensorInfo& t, const std::string& path) {
  switch (t.dtype) {
    case StDType::kF32:
    case StDType::kF16:
    case StDType::kBF16:
    case StDType::kF64: break;
    default:
      return make_error(ErrorCode::kUnsupported, path + ": tensor '" + t.name + "' has dtype " + dtype_name(t.dtype) +
                                                     "; only floating-point tensors can be read");
  }
  FloatTensor out;
  out.shape = t.shape;
  const auto n = static_cast<size_t>(t.numel());
  const char* src = file.data + t.offset;
  if (t.dtype == StDType::kF32 && std::endian::native == std::endian::little &&
      reinterpret_cast<uintptr_t>(src) % alignof(float) == 0) {
    out.data = std::span<const float>(reinterpret_cast<const float*>(src), n);
    return out;
  }
  out.owned.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (t.dtype == StDType::kF32) {
      std::memcpy(&out.owned[i], src + 4 * i, 4);
    } else if (t.dtype == StDType::kF64) {
      double v = 0;
      std::memcpy(&v, src + 8 * i, 8);
      out.owned[i] = static_cast<float>(v);
    } else {
      uint16_t h = 0;
      std::memcpy(&h, src + 2 * i, 2);
      out.owned[i] = t.dtype == StDType::kF16 ? half_to_float(h) : std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
    }
  }
  out.data = out.owned;
  return out;
}

}  // namespace detail

Result<std::unique_ptr<TensorFile>> open_tensor_file(const std::string& path) {
  char magic[4] = {};
  {
    std::ifstream in(path, std::ios::binary);
    in.read(magic, 4);
  }
  if (std::memcmp(magic, "PK\3\4", 4) == 0) {
    auto tb = TorchBin::open(path);
    if (!tb) return tl::unexpected(tb.error());
    return std::unique_ptr<TensorFile>(std::make_unique<TorchBin>(std::move(*tb)));
  }
  auto st = SafeTensors::open(path);
  if (!st) return tl::unexpected(st.error());
  return std::unique_ptr<TensorFile>(std::make_unique<SafeTensors>(std::move(*st)));
}

Result<std::unique_ptr<TensorFile>> open_model_weights(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const char* name : {"model.safetensors", "pytorch_model.bin"})
    if (std::filesystem::exists(dir / name, ec)) return open_tensor_file((dir / name).string());
  for (const char* index : {"model.safetensors.index.json", "pytorch_model.bin.index.json"})
    if (std::filesystem::exists(dir / index, ec))
      return make_error(ErrorCode::kUnsupported, (dir / index).string() +
                                                     ": sharded checkpoints are not supported; merge the shards into "
                                                     "one model.safetensors");
  return make_error(ErrorCode::kNotFound,
                    dir.string() + ": no model.safetensors or pytorch_model.bin in the model folder");
}

}  // namespace crema::nn
