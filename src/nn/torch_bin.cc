// Restricted torch.save reader (torch_bin.h): our own zip central-directory reader (stored
// entries only) and a pickle interpreter that builds data, never calls anything.
#include "crema/nn/torch_bin.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <deque>
#include <map>
#include <cstdio>
#include <optional>
#include <span>
#include <unordered_map>

#include "mapped_file.h"

namespace crema::nn {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;
constexpr int64_t kMaxElements = int64_t{1} << 31;
constexpr size_t kMaxDims = 8;
// A state dict's pickle is ~200 bytes a tensor; these bound a hostile one.
constexpr uint64_t kMaxPickleBytes = uint64_t{64} << 20;
constexpr size_t kMaxObjects = size_t{1} << 21;
constexpr uint64_t kMaxEntries = uint64_t{1} << 20;
constexpr size_t kMaxGlobalName = 256;

uint16_t u16(const char* p) {
  uint16_t v = 0;
  std::memcpy(&v, p, 2);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap16(v);
  return v;
}
uint32_t u32(const char* p) {
  uint32_t v = 0;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}
uint64_t u64(const char* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

uint32_t crc32(std::string_view bytes) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (const char ch : bytes) c = table[(c ^ static_cast<uint8_t>(ch)) & 0xffu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

// ---- zip ----

struct ZipEntry {
  size_t offset = 0;  // first data byte, absolute
  size_t size = 0;
  uint32_t crc = 0;
};

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50, kEnd64LocatorSig = 0x07064b50;

// Reads the central directory of the zip in [data, data + size). Only stored, unencrypted,
// single-disk archives; every entry's local header and data must lie inside the file.
Result<std::map<std::string, ZipEntry, std::less<>>> read_zip(const char* data, size_t size, const std::string& file) {
  auto corrupt = [&](const std::string& why) { return make_error(ErrorCode::kCorrupt, file + ": " + why); };
  constexpr size_t kEndLen = 22;
  if (size < kEndLen) return corrupt("too short for a zip archive (" + std::to_string(size) + " bytes)");
  // The end record sits before a comment of at most 65,535 bytes.
  std::optional<size_t> end;
  const size_t lowest = size - kEndLen > 0xFFFF ? size - kEndLen - 0xFFFF : 0;
  for (size_t p = size - kEndLen + 1; p-- > lowest;) {
    if (u32(data + p) == kEndSig && p + kEndLen + u16(data + p + 20) == size) {
      end = p;
      break;
    }
  }
  if (!end) return corrupt("no zip end-of-central-directory record (truncated or not a zip archive)");
  const char* e = data + *end;
  if (u16(e + 4) != 0 || u16(e + 6) != 0) return corrupt("multi-disk zip archives are not supported");
  uint64_t count = u16(e + 10), cd_size = u32(e + 12), cd_offset = u32(e + 16);
  if (count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_offset == 0xFFFFFFFFu) {
    // zip64: a locator right before the end record points at the zip64 end record.
    if (*end < 20 || u32(e - 20) != kEnd64LocatorSig) return corrupt("zip64 end-of-central-directory locator missing");
    const uint64_t at = u64(e - 20 + 8);
    if (at > *end - 20 || *end - 20 - at < 56 || u32(data + at) != kEnd64Sig)
      return corrupt("zip64 end-of-central-directory record outside the file");
    const char* z = data + at;
    if (u32(z + 16) != 0 || u32(z + 20) != 0) return corrupt("multi-disk zip archives are not supported");
    count = u64(z + 32);
    cd_size = u64(z + 40);
    cd_offset = u64(z + 48);
  }
  if (cd_offset > size || cd_size > size - cd_offset) return corrupt("central directory outside the file");
  if (count > kMaxEntries || count * 46 > cd_size) return corrupt("central directory too small for " +
                                                                    std::to_string(count) + " entries");
  std::map<std::string, ZipEntry, std::less<>> entries;
  size_t p = static_cast<size_t>(cd_offset);
  const size_t cd_end = static_cast<size_t>(cd_offset + cd_size);
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_end - p < 46 || u32(data + p) != kCentralSig)
      return corrupt("central directory entry " + std::to_string(i) + " is damaged");
    const char* c = data + p;
    const uint16_t flags = u16(c + 8), method = u16(c + 10);
    const uint32_t crc = u32(c + 16);
    uint64_t comp = u32(c + 20), uncomp = u32(c + 24), local = u32(c + 42);
    const size_t name_len = u16(c + 28), extra_len = u16(c + 30), comment_len = u16(c + 32);
    if (cd_end - p - 46 < name_len + extra_len + comment_len)
      return corrupt("central directory entry " + std::to_string(i) + " runs past the directory");
    std::string name(c + 46, name_len);
    auto bad = [&](const std::string& why) { return corrupt("zip entry '" + name + "': " + why); };
    // zip64 extra field: the 8-byte values of the fields saturated at 0xFFFFFFFF, in order.
    if (uncomp == 0xFFFFFFFFu || comp == 0xFFFFFFFFu || local == 0xFFFFFFFFu) {
      const char* x = c + 46 + name_len;
      bool found = false;
      for (size_t q = 0; q + 4 <= extra_len;) {
        const uint16_t id = u16(x + q), len = u16(x + q + 2);
        if (q + 4 + len > extra_len) break;
        if (id == 0x0001) {
          size_t r = q + 4;
          for (uint64_t* f : {&uncomp, &comp, &local}) {
            if (*f != 0xFFFFFFFFu) continue;
            if (r + 8 > q + 4 + len) return bad("zip64 extra field too short");
            *f = u64(x + r);
            r += 8;
          }
          found = true;
          break;
        }
        q += 4 + len;
      }
      if (!found) return bad("zip64 sizes without a zip64 extra field");
    }
    if (flags & 0x1) return make_error(ErrorCode::kUnsupported, file + ": zip entry '" + name + "' is encrypted");
    if (method != 0)
      return make_error(ErrorCode::kUnsupported, file + ": zip entry '" + name + "' is compressed (method " +
                                                     std::to_string(method) +
                                                     "); torch.save stores entries uncompressed, re-save the "
                                                     "state dict with torch.save");
    if (comp != uncomp) return bad("stored entry with compressed size " + std::to_string(comp) + " != size " +
                                   std::to_string(uncomp));
    if (local > size || size - local < 30 || u32(data + local) != kLocalSig)
      return bad("local header at " + std::to_string(local) + " is outside the file or damaged");
    const uint64_t start = local + 30 + u16(data + local + 26) + u16(data + local + 28);
    if (start > size || uncomp > size - start)
      return bad(std::to_string(uncomp) + " bytes at " + std::to_string(start) + " run past the end of the file (" +
                 std::to_string(size) + " bytes)");
    if (!entries.emplace(name, ZipEntry{static_cast<size_t>(start), static_cast<size_t>(uncomp), crc}).second)
      return bad("appears twice");
    p += 46 + name_len + extra_len + comment_len;
  }
  return entries;
}

// ---- pickle ----

enum class Kind : uint8_t { kNone, kBool, kInt, kStr, kTuple, kDict, kGlobal, kStorage, kTensor };
enum class Callable : uint8_t { kOrderedDict, kRebuildTensorV2, kStorageType };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kStr: return "str";
    case Kind::kTuple: return "tuple";
    case Kind::kDict: return "dict";
    case Kind::kGlobal: return "class or function";
    case Kind::kStorage: return "storage";
    case Kind::kTensor: return "tensor";
  }
  return "?";
}

// One pickled value. Objects live in the interpreter's arena and refer to each other by
// pointer, so shared (memoised) objects and even self-referencing dicts are harmless.
struct Obj {
  Kind kind = Kind::kNone;
  int64_t i = 0;             // bool, int
  std::string s;             // str; global: "module.name"
  std::vector<Obj*> items;   // tuple; dict as key, value, key, value…
  Callable callable = Callable::kOrderedDict;
  StDType dtype = StDType::kF32;  // storage type, storage
  size_t offset = 0;         // storage: first byte; tensor: see tensor
  int64_t numel = 0;         // storage: elements
  std::string key;           // storage: data/<key>
  StTensorInfo tensor;       // tensor (name unset)
};

struct Opcode {
  uint8_t code;
  const char* name;
};

// Every pickle opcode by name, for error messages.
constexpr Opcode kOpcodeNames[] = {
    {'(', "MARK"}, {'.', "STOP"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {'F', "FLOAT"}, {'I', "INT"},
    {'J', "BININT"}, {'K', "BININT1"}, {'L', "LONG"}, {'M', "BININT2"}, {'N', "NONE"}, {'P', "PERSID"},
    {'Q', "BINPERSID"}, {'R', "REDUCE"}, {'S', "STRING"}, {'T', "BINSTRING"}, {'U', "SHORT_BINSTRING"},
    {'V', "UNICODE"}, {'X', "BINUNICODE"}, {'a', "APPEND"}, {'b', "BUILD"}, {'c', "GLOBAL"}, {'d', "DICT"},
    {'}', "EMPTY_DICT"}, {'e', "APPENDS"}, {'g', "GET"}, {'h', "BINGET"}, {'i', "INST"}, {'j', "LONG_BINGET"},
    {'l', "LIST"}, {']', "EMPTY_LIST"}, {'o', "OBJ"}, {'p', "PUT"}, {'q', "BINPUT"}, {'r', "LONG_BINPUT"},
    {'s', "SETITEM"}, {'t', "TUPLE"}, {')', "EMPTY_TUPLE"}, {'u', "SETITEMS"}, {'G', "BINFLOAT"},
    {0x80, "PROTO"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"}, {0x83, "EXT2"}, {0x84, "EXT4"}, {0x85, "TUPLE1"},
    {0x86, "TUPLE2"}, {0x87, "TUPLE3"}, {0x88, "NEWTRUE"}, {0x89, "NEWFALSE"}, {0x8a, "LONG1"}, {0x8b, "LONG4"},
    {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"}, {0x8e, "BINBYTES8"}, {0x8f, "EMPTY_SET"},
    {0x90, "ADDITEMS"}, {0x91, "FROZENSET"}, {0x92, "NEWOBJ_EX"}, {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"},
    {0x95, "FRAME"}, {0x96, "BYTEARRAY8"}, {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"}, {'B', "BINBYTES"},
    {'C', "SHORT_BINBYTES"}};

std::string opcode_name(uint8_t code) {
  for (const auto& o : kOpcodeNames)
    if (o.code == code) return o.name;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", code);
  return std::string("unknown opcode ") + hex;
}

struct StorageType {
  const char* name;
  StDType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", StDType::kF32}, {"HalfStorage", StDType::kF16},  {"BFloat16Storage", StDType::kBF16},
    {"DoubleStorage", StDType::kF64}, {"LongStorage", StDType::kI64}, {"IntStorage", StDType::kI32},
    {"ShortStorage", StDType::kI16}, {"CharStorage", StDType::kI8},   {"ByteStorage", StDType::kU8},
    {"BoolStorage", StDType::kBool}};

class Unpickler {
 public:
  Unpickler(std::string_view pickle, const std::map<std::string, ZipEntry, std::less<>>& entries,
            std::string data_prefix, std::string where)
      : in_(pickle), entries_(entries), data_prefix_(std::move(data_prefix)), where_(std::move(where)) {}

  // The pickle's result: the state dict's (name, tensor) pairs in order.
  Result<std::vector<StTensorInfo>> run();

 private:
  Error corrupt(const std::string& why) const {
    return Error{ErrorCode::kCorrupt, where_ + " byte " + std::to_string(op_pos_) + ": " + why};
  }
  Error refused(const std::string& why) const {
    return Error{ErrorCode::kUnsupported, where_ + " byte " + std::to_string(op_pos_) + ": " + why};
  }
  Obj* make(Kind kind) {
    if (arena_.size() >= kMaxObjects) return nullptr;
    arena_.emplace_back();
    arena_.back().kind = kind;
    return &arena_.back();
  }
  bool read(size_t n, const char*& p) {
    if (in_.size() - pos_ < n) return false;
    p = in_.data() + pos_;
    pos_ += n;
    return true;
  }
  Status step(uint8_t op);
  Status push_new(Kind kind, int64_t i = 0, std::string s = {});
  Status pop(Obj*& out);
  Status pop_mark(std::vector<Obj*>& out);
  Status global(std::string_view module, std::string_view name);
  Status reduce();
  Status persistent_load();
  Status set_items(Obj* dict, std::span<Obj* const> kv);

  std::string_view in_;
  size_t pos_ = 0, op_pos_ = 0;
  const std::map<std::string, ZipEntry, std::less<>>& entries_;
  std::string data_prefix_;
  std::string where_;
  std::deque<Obj> arena_;
  std::vector<Obj*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, Obj*> memo_;
  Obj* result_ = nullptr;
};

Status Unpickler::push_new(Kind kind, int64_t i, std::string s) {
  Obj* o = make(kind);
  if (!o) return tl::unexpected(corrupt("more than " + std::to_string(kMaxObjects) + " objects"));
  o->i = i;
  o->s = std::move(s);
  stack_.push_back(o);
  return {};
}

Status Unpickler::pop(Obj*& out) {
  if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
    return tl::unexpected(corrupt(opcode_name(static_cast<uint8_t>(in_[op_pos_])) + " on an empty stack"));
  out = stack_.back();
  stack_.pop_back();
  return {};
}

Status Unpickler::pop_mark(std::vector<Obj*>& out) {
  if (marks_.empty()) return tl::unexpected(corrupt(opcode_name(static_cast<uint8_t>(in_[op_pos_])) + " without MARK"));
  const size_t m = marks_.back();
  marks_.pop_back();
  out.assign(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
  stack_.resize(m);
  return {};
}

Status Unpickler::global(std::string_view module, std::string_view name) {
  Obj* o = make(Kind::kGlobal);
  if (!o) return tl::unexpected(corrupt("too many objects"));
  o->s = std::string(module) + "." + std::string(name);
  if (module == "collections" && name == "OrderedDict") {
    o->callable = Callable::kOrderedDict;
  } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
    o->callable = Callable::kRebuildTensorV2;
  } else {
    bool storage = false;
    if (module == "torch")
      for (const auto& t : kStorageTypes)
        if (name == t.name) {
          o->callable = Callable::kStorageType;
          o->dtype = t.dtype;
          storage = true;
        }
    if (!storage)
      return tl::unexpected(refused("GLOBAL '" + o->s +
                                    "' is not allowed: a state dict only references collections.OrderedDict, "
                                    "torch._utils._rebuild_tensor_v2 and torch.*Storage (refusing a pickle that "
                                    "could run code)"));
  }
  stack_.push_back(o);
  return {};
}

Status Unpickler::persistent_load() {
  Obj* pid = nullptr;
  if (auto st = pop(pid); !st) return st;
  const auto& a = pid->items;
  if (pid->kind != Kind::kTuple || a.size() != 5 || a[0]->kind != Kind::kStr || a[0]->s != "storage" ||
      a[1]->kind != Kind::kGlobal || a[1]->callable != Callable::kStorageType || a[2]->kind != Kind::kStr ||
      a[3]->kind != Kind::kStr || a[4]->kind != Kind::kInt)
    return tl::unexpected(refused("BINPERSID needs ('storage', torch.<Type>Storage, key, location, size)"));
  const std::string entry = data_prefix_ + a[2]->s;
  const auto it = entries_.find(entry);
  if (it == entries_.end()) return tl::unexpected(corrupt("storage '" + a[2]->s + "': no zip entry '" + entry + "'"));
  const int64_t numel = a[4]->i;
  const size_t esize = dtype_size(a[1]->dtype);
  if (numel < 0 || static_cast<uint64_t>(numel) > it->second.size / esize ||
      static_cast<uint64_t>(numel) * esize != it->second.size)
    return tl::unexpected(corrupt("storage '" + a[2]->s + "': " + std::to_string(numel) + " x " +
                                  dtype_name(a[1]->dtype) + " elements but entry '" + entry + "' holds " +
                                  std::to_string(it->second.size) + " bytes"));
  Obj* s = make(Kind::kStorage);
  if (!s) return tl::unexpected(corrupt("too many objects"));
  s->dtype = a[1]->dtype;
  s->numel = numel;
  s->offset = it->second.offset;
  s->key = a[2]->s;
  stack_.push_back(s);
  return {};
}

Status Unpickler::reduce() {
  Obj *args = nullptr, *fn = nullptr;
  if (auto st = pop(args); !st) return st;
  if (auto st = pop(fn); !st) return st;
  if (fn->kind != Kind::kGlobal || fn->callable == Callable::kStorageType)
    return tl::unexpected(refused("REDUCE on a " + std::string(kind_name(fn->kind)) +
                                  (fn->kind == Kind::kGlobal ? " '" + fn->s + "'" : "") +
                                  " (only OrderedDict() and _rebuild_tensor_v2 are allowed)"));
  if (args->kind != Kind::kTuple) return tl::unexpected(refused("REDUCE with " + std::string(kind_name(args->kind)) +
                                                                " arguments (a tuple is required)"));
  const auto& a = args->items;
  if (fn->callable == Callable::kOrderedDict) {
    if (!a.empty()) return tl::unexpected(refused("OrderedDict called with arguments"));
    return push_new(Kind::kDict);
  }
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  auto int_tuple = [](const Obj* o) {
    return o->kind == Kind::kTuple &&
           std::all_of(o->items.begin(), o->items.end(), [](const Obj* x) { return x->kind == Kind::kInt; });
  };
  if (a.size() < 6 || a.size() > 7 || a[0]->kind != Kind::kStorage || a[1]->kind != Kind::kInt || !int_tuple(a[2]) ||
      !int_tuple(a[3]) || a[4]->kind != Kind::kBool || a[5]->kind != Kind::kDict ||
      (a.size() == 7 && a[6]->kind != Kind::kNone && a[6]->kind != Kind::kDict))
    return tl::unexpected(refused("_rebuild_tensor_v2 needs (storage, offset, size, stride, requires_grad, hooks)"));
  const Obj& storage = *a[0];
  const auto& size = a[2]->items;
  const auto& stride = a[3]->items;
  const std::string what = "tensor in storage '" + storage.key + "'";
  if (size.size() > kMaxDims || stride.size() != size.size())
    return tl::unexpected(corrupt(what + ": " + std::to_string(size.size()) + " dims and " +
                                  std::to_string(stride.size()) + " strides (at most " + std::to_string(kMaxDims) +
                                  " dims)"));
  Obj* t = make(Kind::kTensor);
  if (!t) return tl::unexpected(corrupt("too many objects"));
  int64_t n = 1;
  for (const Obj* d : size) {
    if (d->i < 0 || d->i > kMaxDim) return tl::unexpected(corrupt(what + ": dimension out of range (0..2^31)"));
    if (d->i > 0 && n > kMaxElements / d->i) return tl::unexpected(corrupt(what + ": more than 2^31 elements"));
    n *= d->i;
    t->tensor.shape.push_back(d->i);
  }
  // Contiguous (row-major) strides; a dimension of size 1 may carry any stride.
  if (n > 0) {
    int64_t expect = 1;
    for (size_t k = size.size(); k-- > 0;) {
      if (size[k]->i != 1 && stride[k]->i != expect) {
        std::vector<int64_t> st;
        for (const Obj* s : stride) st.push_back(s->i);
        return tl::unexpected(refused(what + ": shape " + shape_text(t->tensor.shape) + " with strides " +
                                      shape_text(st) + " is not contiguous (only contiguous tensors are read)"));
      }
      expect *= size[k]->i;
    }
  }
  const int64_t off = a[1]->i;
  if (off < 0 || off > storage.numel || n > storage.numel - off)
    return tl::unexpected(corrupt(what + ": elements [" + std::to_string(off) + ", " + std::to_string(off) + "+" +
                                  std::to_string(n) + ") outside the storage (" + std::to_string(storage.numel) +
                                  " elements)"));
  const size_t esize = dtype_size(storage.dtype);
  t->tensor.dtype = storage.dtype;
  t->tensor.offset = storage.offset + static_cast<size_t>(off) * esize;
  t->tensor.bytes = static_cast<size_t>(n) * esize;
  t->key = storage.key;
  stack_.push_back(t);
  return {};
}

Status Unpickler::set_items(Obj* dict, std::span<Obj* const> kv) {
  if (dict->kind != Kind::kDict)
    return tl::unexpected(refused(opcode_name(static_cast<uint8_t>(in_[op_pos_])) + " on a " +
                                  kind_name(dict->kind) + " (only dicts)"));
  if (kv.size() % 2 != 0) return tl::unexpected(corrupt("SETITEMS with an odd number of items"));
  dict->items.insert(dict->items.end(), kv.begin(), kv.end());
  return {};
}

Status Unpickler::step(uint8_t op) {
  const char* p = nullptr;
  auto need = [&](size_t n) -> Status {
    if (!read(n, p)) return tl::unexpected(corrupt(opcode_name(op) + " runs past the end of the pickle"));
    return {};
  };
  switch (op) {
    case 0x80: {  // PROTO
      if (auto st = need(1); !st) return st;
      if (static_cast<uint8_t>(*p) < 2 || static_cast<uint8_t>(*p) > 5)
        return tl::unexpected(refused("pickle protocol " + std::to_string(static_cast<uint8_t>(*p)) +
                                      " (2..5 accepted)"));
      return {};
    }
    case 0x95:  // FRAME: a length prefix only
      return need(8);
    case '(':
      marks_.push_back(stack_.size());
      return {};
    case '}': return push_new(Kind::kDict);
    case ')': return push_new(Kind::kTuple);
    case 't':
    case 0x85:
    case 0x86:
    case 0x87: {
      std::vector<Obj*> items;
      if (op == 't') {
        if (auto st = pop_mark(items); !st) return st;
      } else {
        items.resize(static_cast<size_t>(op - 0x84));
        for (size_t k = items.size(); k-- > 0;)
          if (auto st = pop(items[k]); !st) return st;
      }
      if (auto st = push_new(Kind::kTuple); !st) return st;
      stack_.back()->items = std::move(items);
      return {};
    }
    case 's': {
      Obj *k = nullptr, *v = nullptr, *d = nullptr;
      if (auto st = pop(v); !st) return st;
      if (auto st = pop(k); !st) return st;
      if (auto st = pop(d); !st) return st;
      stack_.push_back(d);
      const std::array<Obj*, 2> kv = {k, v};
      return set_items(d, kv);
    }
    case 'u': {
      std::vector<Obj*> kv;
      if (auto st = pop_mark(kv); !st) return st;
      Obj* d = nullptr;
      if (auto st = pop(d); !st) return st;
      stack_.push_back(d);
      return set_items(d, kv);
    }
    case 'q':
    case 'r':
    case 0x94: {
      uint32_t idx = static_cast<uint32_t>(memo_.size());
      if (op != 0x94) {
        if (auto st = need(op == 'q' ? 1 : 4); !st) return st;
        idx = op == 'q' ? static_cast<uint8_t>(*p) : u32(p);
      }
      if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
        return tl::unexpected(corrupt(opcode_name(op) + " on an empty stack"));
      if (memo_.size() >= kMaxObjects) return tl::unexpected(corrupt("memo too large"));
      memo_[idx] = stack_.back();
      return {};
    }
    case 'h':
    case 'j': {
      if (auto st = need(op == 'h' ? 1 : 4); !st) return st;
      const uint32_t idx = op == 'h' ? static_cast<uint8_t>(*p) : u32(p);
      const auto it = memo_.find(idx);
      if (it == memo_.end()) return tl::unexpected(corrupt(opcode_name(op) + " " + std::to_string(idx) +
                                                           ": no such memo entry"));
      stack_.push_back(it->second);
      return {};
    }
    case 'c': {  // GLOBAL "module\nname\n"
      std::string_view parts[2];
      for (auto& part : parts) {
        const size_t nl = in_.find('\n', pos_);
        if (nl == std::string_view::npos || nl - pos_ > kMaxGlobalName)
          return tl::unexpected(corrupt("GLOBAL without a newline-terminated name"));
        part = in_.substr(pos_, nl - pos_);
        pos_ = nl + 1;
      }
      return global(parts[0], parts[1]);
    }
    case 0x93: {  // STACK_GLOBAL
      Obj *name = nullptr, *module = nullptr;
      if (auto st = pop(name); !st) return st;
      if (auto st = pop(module); !st) return st;
      if (name->kind != Kind::kStr || module->kind != Kind::kStr)
        return tl::unexpected(corrupt("STACK_GLOBAL needs two strings"));
      return global(module->s, name->s);
    }
    case 'R': return reduce();
    case 'b': {  // BUILD: state on a dict (torch's state_dict._metadata); the state is dropped
      Obj *state = nullptr, *target = nullptr;
      if (auto st = pop(state); !st) return st;
      if (auto st = pop(target); !st) return st;
      if (target->kind != Kind::kDict || (state->kind != Kind::kDict && state->kind != Kind::kNone))
        return tl::unexpected(refused("BUILD on a " + std::string(kind_name(target->kind)) + " with a " +
                                      kind_name(state->kind) + " state (only a dict's attributes are accepted)"));
      stack_.push_back(target);
      return {};
    }
    case 'Q': return persistent_load();
    case 'J':
      if (auto st = need(4); !st) return st;
      return push_new(Kind::kInt, static_cast<int32_t>(u32(p)));
    case 'K':
      if (auto st = need(1); !st) return st;
      return push_new(Kind::kInt, static_cast<uint8_t>(*p));
    case 'M':
      if (auto st = need(2); !st) return st;
      return push_new(Kind::kInt, u16(p));
    case 0x8a: {  // LONG1: n-byte little-endian two's complement
      if (auto st = need(1); !st) return st;
      const auto n = static_cast<uint8_t>(*p);
      if (n > 8) return tl::unexpected(refused("LONG1 of " + std::to_string(n) + " bytes (at most 8)"));
      if (auto st = need(n); !st) return st;
      uint64_t v = 0;
      for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[k])) << (8 * k);
      if (n > 0 && n < 8 && (static_cast<uint8_t>(p[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);
      return push_new(Kind::kInt, static_cast<int64_t>(v));
    }
    case 'N': return push_new(Kind::kNone);
    case 0x88: return push_new(Kind::kBool, 1);
    case 0x89: return push_new(Kind::kBool, 0);
    case 'X':
    case 0x8c: {
      if (auto st = need(op == 'X' ? 4 : 1); !st) return st;
      const size_t n = op == 'X' ? u32(p) : static_cast<uint8_t>(*p);
      if (auto st = need(n); !st) return st;
      return push_new(Kind::kStr, 0, std::string(p, n));
    }
    default:
      return tl::unexpected(refused("opcode " + opcode_name(op) +
                                    " is not allowed (it does not occur in a torch.save state dict)"));
  }
}

Result<std::vector<StTensorInfo>> Unpickler::run() {
  while (!result_) {
    op_pos_ = pos_;
    if (pos_ >= in_.size()) return tl::unexpected(corrupt("pickle ends without STOP"));
    const auto op = static_cast<uint8_t>(in_[pos_++]);
    if (op == '.') {
      if (auto st = pop(result_); !st) return tl::unexpected(st.error());
      break;
    }
    if (auto st = step(op); !st) return tl::unexpected(st.error());
  }
  if (result_->kind != Kind::kDict)
    return tl::unexpected(refused("the pickle holds a " + std::string(kind_name(result_->kind)) +
                                  ", not a state dict of name -> tensor"));
  std::vector<StTensorInfo> out;
  for (size_t k = 0; k + 1 < result_->items.size(); k += 2) {
    const Obj* key = result_->items[k];
    const Obj* value = result_->items[k + 1];
    if (key->kind != Kind::kStr) return tl::unexpected(refused("state dict key is a " + std::string(kind_name(key->kind))));
    if (value->kind != Kind::kTensor)
      return tl::unexpected(refused("state dict entry '" + key->s + "' is a " + kind_name(value->kind) +
                                    ", not a tensor"));
    out.push_back(value->tensor);
    out.back().name = key->s;
  }
  return out;
}

}  // namespace

TorchBin::TorchBin(TorchBin&&) noexcept = default;
TorchBin& TorchBin::operator=(TorchBin&&) noexcept = default;
TorchBin::~TorchBin() = default;

Result<TorchBin> TorchBin::open(const std::string& path) {
  auto map = detail::MappedFile::open(path);
  if (!map) return tl::unexpected(map.error());
  TorchBin tb;
  tb.map_ = std::move(*map);
  tb.path_ = path;
  return validate(std::move(tb));
}

Result<TorchBin> TorchBin::parse(std::string_view bytes, std::string_view what) {
  TorchBin tb;
  tb.map_ = detail::MappedFile::copy(bytes);
  tb.path_ = std::string(what);
  return validate(std::move(tb));
}

Result<TorchBin> TorchBin::validate(TorchBin tb) {
  const std::string& file = tb.path_;
  const char* data = tb.map_->data;
  const size_t size = tb.map_->size;
  if (size >= 2 && static_cast<uint8_t>(data[0]) == 0x80 && static_cast<uint8_t>(data[1]) <= 5)
    return make_error(ErrorCode::kUnsupported, file +
                                                   ": legacy (pre-1.6) torch serialisation is not supported; re-save "
                                                   "with a current torch.save or convert to model.safetensors");
  auto entries = read_zip(data, size, file);
  if (!entries) return tl::unexpected(entries.error());
  // The archive's one top-level folder holds data.pkl.
  const ZipEntry* pkl = nullptr;
  for (const auto& [name, e] : *entries) {
    const size_t slash = name.find('/');
    if (slash == std::string::npos || name.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
    if (pkl) return make_error(ErrorCode::kCorrupt, file + ": more than one data.pkl in the archive");
    pkl = &e;
    tb.archive_ = name.substr(0, slash);
  }
  if (!pkl)
    return make_error(ErrorCode::kCorrupt, file + ": no <archive>/data.pkl entry (not a torch.save zip file)");
  if (auto it = entries->find(tb.archive_ + "/byteorder"); it != entries->end()) {
    const std::string_view order(data + it->second.offset, it->second.size);
    if (order.substr(0, 6) != "little")
      return make_error(ErrorCode::kUnsupported, file + ": byte order '" + std::string(order.substr(0, 16)) +
                                                     "' (only little-endian files are read)");
  }
  const std::string where = file + ": " + tb.archive_ + "/data.pkl";
  if (pkl->size > kMaxPickleBytes)
    return make_error(ErrorCode::kCorrupt, where + ": " + std::to_string(pkl->size) + " bytes is too large for a state dict");
  const std::string_view pickle(data + pkl->offset, pkl->size);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION  // let fuzzers mutate the pickle itself
  if (crc32(pickle) != pkl->crc) return make_error(ErrorCode::kCorrupt, where + ": CRC-32 mismatch (damaged file)");
#endif
  Unpickler up(pickle, *entries, tb.archive_ + "/data/", where);
  auto tensors = up.run();
  if (!tensors) return tl::unexpected(tensors.error());
  tb.tensors_ = std::move(*tensors);
  std::vector<std::string_view> names;
  for (const auto& t : tb.tensors_) names.push_back(t.name);
  std::sort(names.begin(), names.end());
  if (auto it = std::adjacent_find(names.begin(), names.end()); it != names.end())
    return make_error(ErrorCode::kCorrupt, file + ": tensor '" + std::string(*it) + "' appears twice");
  return tb;
}

const StTensorInfo* TorchBin::find(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

Result<FloatTensor> TorchBin::get(std::string_view name) const {
  const StTensorInfo* t = find(name);
  if (!t) return make_error(ErrorCode::kNotFound, path_ + ": no tensor '" + std::string(name) + "'");
  return detail::float_tensor(*map_, *t, path_);
}

}  // namespace crema::nn
