#include "convert/torch_checkpoint.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>

#include "common/byte_io.h"
#include "common/error.h"

namespace cdc {

namespace {

constexpr cdc_status kInvalid = CDC_STATUS_INVALID_MODEL;

// Limits that keep a hostile file from making the reader's memory or time
// grow out of proportion to the file. A real state dict has a few thousand
// objects nested a few levels deep.
constexpr size_t kMaxObjects = size_t{1} << 21;  // values made + container insertions
constexpr size_t kMaxStack = size_t{1} << 16;    // pickle stack and mark stack entries
constexpr int kMaxDepth = 64;                     // container nesting (also in to_ivalue)
constexpr size_t kMaxGlobalName = 512;            // "module.name" of a GLOBAL

// --- the zip container ----------------------------------------------------------
// torch.save writes a zip archive "<archive>/data.pkl", "<archive>/data/<key>",
// ... with every record stored (not compressed). This reader takes the sizes
// from the central directory, checks them against the file before anything is
// allocated, refuses compressed records and checks each record's CRC-32 when
// it is read. Zip64 records and directories (written for large files) are read.

class ZipArchive {
 public:
  ZipArchive(const uint8_t* data, size_t size) : data_(data), size_(size) {
    constexpr size_t kEocdSize = 22;
    if (size < kEocdSize) fail(kInvalid, "checkpoint: not a zip archive (too short)");
    // The end-of-central-directory record: the last "PK\5\6" within the
    // trailing 64 KiB comment window.
    size_t eocd = size - kEocdSize + 1;
    const size_t lowest = size - kEocdSize > 0xffff ? size - kEocdSize - 0xffff : 0;
    for (size_t at = size - kEocdSize + 1; at-- > lowest;) {
      if (load_u32(data + at) == 0x06054b50) {
        eocd = at;
        break;
      }
    }
    if (eocd > size - kEocdSize) fail(kInvalid, "checkpoint: not a zip archive (no directory)");
    ByteReader e(data + eocd + 4, kEocdSize - 4, kInvalid, "checkpoint zip directory");
    e.u16();
    e.u16();
    e.u16();
    uint64_t entries = e.u16();
    uint64_t dir_size = e.u32();
    uint64_t dir_offset = e.u32();
    if (entries == 0xffff || dir_size == 0xffffffff || dir_offset == 0xffffffff) {
      // Zip64: the locator just before the record points at the zip64 record.
      if (eocd < 20 || load_u32(data + eocd - 20) != 0x07064b50)
        fail(kInvalid, "checkpoint: zip64 directory locator missing");
      const uint64_t z64 = load_u64(data + eocd - 20 + 8);
      if (z64 > size || size - z64 < 56 || load_u32(data + z64) != 0x06064b50)
        fail(kInvalid, "checkpoint: bad zip64 directory record");
      entries = load_u64(data + z64 + 32);
      dir_size = load_u64(data + z64 + 40);
      dir_offset = load_u64(data + z64 + 48);
    }
    constexpr size_t kEntrySize = 46;
    if (dir_offset > size || dir_size > size - dir_offset || entries > dir_size / kEntrySize)
      fail(kInvalid, "checkpoint: the zip directory lies outside the file");
    ByteReader r(data + dir_offset, dir_size, kInvalid, "checkpoint zip directory");
    for (uint64_t i = 0; i < entries; ++i) read_entry(r);
    if (records_.empty()) fail(kInvalid, "checkpoint: empty zip archive");
  }

  // The bytes of "<archive>/<name>" (a view into the file), CRC checked.
  std::pair<const uint8_t*, size_t> record(const std::string& name) const {
    auto it = records_.find(prefix_ + name);
    if (it == records_.end()) fail(kInvalid, "checkpoint: no record '{}' in the archive", name);
    const Record& rec = it->second;
    const uint8_t* p = data_ + rec.offset;
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < rec.size;) {
      const size_t n = std::min<size_t>(rec.size - done, size_t{1} << 30);
      crc = crc32(crc, p + done, static_cast<uInt>(n));
      done += n;
    }
    if (static_cast<uint32_t>(crc) != rec.crc)
      fail(kInvalid, "checkpoint: record '{}' is corrupted (CRC-32 mismatch)", name);
    return {p, rec.size};
  }

 private:
  struct Record {
    size_t offset;  // of the data
    size_t size;
    uint32_t crc;
  };

  void read_entry(ByteReader& r) {
    if (r.u32() != 0x02014b50) fail(kInvalid, "checkpoint: bad zip directory entry");
    r.u16();  // version made by
    r.u16();  // version needed
    const uint16_t flags = r.u16();
    const uint16_t method = r.u16();
    r.u32();  // time, date
    const uint32_t crc = r.u32();
    uint64_t packed = r.u32();
    uint64_t size = r.u32();
    const uint16_t name_len = r.u16();
    const uint16_t extra_len = r.u16();
    const uint16_t comment_len = r.u16();
    r.u16();  // disk
    r.u16();  // internal attributes
    r.u32();  // external attributes
    uint64_t local = r.u32();
    const std::string name(reinterpret_cast<const char*>(r.bytes(name_len)), name_len);
    ByteReader extra(r.bytes(extra_len), extra_len, kInvalid, "checkpoint zip extra field");
    r.bytes(comment_len);
    while (extra.remaining() >= 4) {
      const uint16_t id = extra.u16();
      const uint16_t len = extra.u16();
      ByteReader field(extra.bytes(len), len, kInvalid, "checkpoint zip64 field");
      if (id != 0x0001) continue;
      // Zip64: the 8-byte values of the fields that hold 0xffffffff, in order.
      if (size == 0xffffffff) size = field.u64();
      if (packed == 0xffffffff) packed = field.u64();
      if (local == 0xffffffff) local = field.u64();
    }
    if (flags & 1) fail(kInvalid, "checkpoint: record '{}' is encrypted", name);
    if (method != 0)
      fail(kInvalid,
           "checkpoint: record '{}' is compressed (method {}); torch.save stores records "
           "uncompressed",
           name, method);
    if (packed != size)
      fail(kInvalid, "checkpoint: stored record '{}' has {} bytes in the archive but declares {}",
           name, packed, size);
    // The data follows the local header, whose name and extra field lengths
    // may differ from the directory's (torch.save pads there to align data).
    if (local > size_ || size_ - local < 30 || load_u32(data_ + local) != 0x04034b50)
      fail(kInvalid, "checkpoint: record '{}' has no local header", name);
    const uint64_t start = local + 30 + load_u16(data_ + local + 26) + load_u16(data_ + local + 28);
    if (start > size_ || size > size_ - start)
      fail(kInvalid, "checkpoint: record '{}' ({} bytes) lies outside the file", name, size);
    if (records_.empty()) {
      // As libtorch's reader: every name is under the first one's folder.
      const size_t slash = name.find('/');
      if (slash == std::string::npos)
        fail(kInvalid, "checkpoint: the archive's first record '{}' is not in a folder", name);
      prefix_ = name.substr(0, slash + 1);
    }
    if (!records_.emplace(name, Record{static_cast<size_t>(start), static_cast<size_t>(size), crc})
             .second)
      fail(kInvalid, "checkpoint: record '{}' appears twice in the archive", name);
  }

  const uint8_t* data_;
  size_t size_;
  std::string prefix_;
  std::unordered_map<std::string, Record> records_;
};

// --- the unpickler ------------------------------------------------------------

// A parsed object. Values live in the Reader's arena and point at each other
// with plain pointers: the graph (which memo references can make deep, shared
// or cyclic) is freed in one flat pass, never recursively.
struct Value {
  enum Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kTensor, kGlobal, kOther };
  Kind kind = kNone;
  int depth = 0;                                  // nesting below this value, as built
  int64_t i = 0;
  double f = 0;
  std::string s;                                  // string, global name
  std::vector<Value*> items;                      // tuple, list
  std::vector<std::pair<Value*, Value*>> dict;
  at::Tensor tensor;                              // tensor or storage (1-D)
};

at::ScalarType storage_dtype(const std::string& name) {
  static const std::map<std::string, at::ScalarType> kTypes = {
      {"torch.FloatStorage", at::kFloat},   {"torch.DoubleStorage", at::kDouble},
      {"torch.HalfStorage", at::kHalf},     {"torch.BFloat16Storage", at::kBFloat16},
      {"torch.LongStorage", at::kLong},     {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},
      {"torch.ByteStorage", at::kByte},     {"torch.BoolStorage", at::kBool}};
  auto it = kTypes.find(name);
  if (it == kTypes.end()) fail(kInvalid, "checkpoint: unsupported storage type '{}'", name);
  return it->second;
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const ZipArchive& zip)
      : p_(reinterpret_cast<const char*>(data)), size_(size), zip_(zip) {}

  Value* run() {
    for (;;) {
      const uint8_t op = static_cast<uint8_t>(u(1));
      switch (op) {
        case 0x80: u(1); break;                                    // PROTO
        case 0x95: u(8); break;                                    // FRAME
        case '}': push(make(Value::kDict)); break;
        case ']': push(make(Value::kList)); break;
        case ')': push(make(Value::kTuple)); break;
        case 'N': push(make(Value::kNone)); break;
        case 0x88: case 0x89: {
          Value* v = make(Value::kBool);
          v->i = op == 0x88;
          push(v);
        } break;
        case '(':
          if (marks_.size() >= kMaxStack) fail(kInvalid, "checkpoint: pickle nests too deep");
          marks_.push_back(stack_.size());
          break;
        case 'q': remember(u(1)); break;
        case 'r': remember(u(4)); break;
        case 0x94: remember(memo_.size()); break;                  // MEMOIZE
        case 'h': push(memo(u(1))); break;
        case 'j': push(memo(u(4))); break;
        case 'X': case 'T': case 'B': push(str(u(4))); break;
        case 0x8c: case 'U': case 'C': push(str(u(1))); break;
        case 0x8d: case 0x8e: push(str(u(8))); break;
        case 'J': push(integer(static_cast<int32_t>(u(4)))); break;
        case 'K': push(integer(static_cast<int64_t>(u(1)))); break;
        case 'M': push(integer(static_cast<int64_t>(u(2)))); break;
        case 0x8a: {                                              // LONG1
          const size_t n = u(1);
          if (n > 8) fail(kInvalid, "checkpoint: integer too large");
          uint64_t raw = n ? u(n) : 0;
          if (n && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);
          push(integer(static_cast<int64_t>(raw)));
        } break;
        case 'G': {                                               // BINFLOAT, big-endian
          const uint64_t be = u(8);
          uint64_t le = 0;
          for (int k = 0; k < 8; ++k) le |= ((be >> (8 * k)) & 0xff) << (8 * (7 - k));
          Value* v = make(Value::kFloat);
          std::memcpy(&v->f, &le, 8);
          push(v);
        } break;
        case 't': {
          Value* v = make(Value::kTuple);
          for (Value* x : pop_mark()) add_child(v, x);
          push(v);
        } break;
        case 0x85: case 0x86: case 0x87: {
          Value* v = make(Value::kTuple);
          std::vector<Value*> xs(op - 0x84u);
          for (size_t k = xs.size(); k-- > 0;) xs[k] = pop();
          for (Value* x : xs) add_child(v, x);
          push(v);
        } break;
        case 'c': {
          const std::string module = line();
          push(global(module, line()));
        } break;
        case 0x93: {                                              // STACK_GLOBAL
          Value* name = pop();
          Value* module = pop();
          // Both must be strings (as Python requires): a global made of
          // globals would double its name's length at every step.
          if (module->kind != Value::kString || name->kind != Value::kString)
            fail(kInvalid, "checkpoint: STACK_GLOBAL of a value that is not a string");
          push(global(module->s, name->s));
        } break;
        case 'R': case 0x81: {                                    // REDUCE, NEWOBJ
          Value* args = pop();
          Value* fn = pop();
          push(apply(fn, args));
        } break;
        case 'b': pop(); break;                                   // BUILD: state ignored
        case 's': {
          Value* v = pop();
          Value* k = pop();
          add_items(top(), {k, v});
        } break;
        case 'u': {
          const std::vector<Value*> kv = pop_mark();
          add_items(top(), kv);
        } break;
        case 'a': {
          Value* v = pop();
          if (top()->kind == Value::kList) add_child(top(), v);
        } break;
        case 'e': {
          const std::vector<Value*> vs = pop_mark();
          if (top()->kind == Value::kList)
            for (Value* x : vs) add_child(top(), x);
        } break;
        case 'Q': push(storage(pop())); break;                    // BINPERSID
        case '0': pop(); break;
        case '1': pop_mark(); break;
        case '2': push(top()); break;
        case '.': return pop();
        default:
          fail(kInvalid, "checkpoint: unsupported pickle opcode 0x{:02x} at {}", op, pos_ - 1);
      }
    }
  }

  // Parsed objects so far: a bound for the nodes to_ivalue may visit.
  size_t object_count() const { return objects_; }

 private:
  uint64_t u(size_t n) {
    if (n > size_ - pos_) fail(kInvalid, "checkpoint: truncated pickle");
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= uint64_t{static_cast<uint8_t>(p_[pos_ + k])} << (8 * k);
    pos_ += n;
    return v;
  }
  // Counts one more object (a new value or a container entry).
  void count_object() {
    if (++objects_ > kMaxObjects)
      fail(kInvalid, "checkpoint: too many objects in the pickle (more than {})", kMaxObjects);
  }
  Value* make(Value::Kind k) {
    count_object();
    arena_.emplace_back();
    arena_.back().kind = k;
    return &arena_.back();
  }
  // Puts x into container c, tracking the nesting depth as it is built.
  void add_child(Value* c, Value* x) {
    count_object();
    c->depth = std::max(c->depth, x->depth + 1);
    if (c->depth > kMaxDepth) fail(kInvalid, "checkpoint: nesting too deep");
    c->items.push_back(x);
  }
  // A GLOBAL's "module.name", of a bounded length.
  Value* global(const std::string& module, const std::string& name) {
    if (module.size() + name.size() + 1 > kMaxGlobalName)
      fail(kInvalid, "checkpoint: a global name longer than {} bytes", kMaxGlobalName);
    Value* v = make(Value::kGlobal);
    v->s = module + "." + name;
    return v;
  }
  Value* str(uint64_t n) {
    if (n > size_ - pos_) fail(kInvalid, "checkpoint: truncated pickle");
    Value* v = make(Value::kString);
    v->s.assign(p_ + pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return v;
  }
  std::string line() {
    const void* nl = std::memchr(p_ + pos_, '\n', size_ - pos_);
    if (nl == nullptr) fail(kInvalid, "checkpoint: truncated pickle");
    const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - p_);
    std::string out(p_ + pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  Value* integer(int64_t i) {
    Value* v = make(Value::kInt);
    v->i = i;
    return v;
  }
  void push(Value* v) {
    if (stack_.size() >= kMaxStack) fail(kInvalid, "checkpoint: pickle stack too deep");
    stack_.push_back(v);
  }
  Value* top() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() >= stack_.size()))
      fail(kInvalid, "checkpoint: malformed pickle (empty stack)");
    return stack_.back();
  }
  Value* pop() {
    Value* v = top();
    stack_.pop_back();
    return v;
  }
  std::vector<Value*> pop_mark() {
    if (marks_.empty() || marks_.back() > stack_.size())
      fail(kInvalid, "checkpoint: malformed pickle (no mark)");
    std::vector<Value*> out(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()),
                            stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return out;
  }
  void remember(uint64_t id) {
    count_object();
    memo_[id] = top();
  }
  Value* memo(uint64_t id) {
    auto it = memo_.find(id);
    if (it == memo_.end()) fail(kInvalid, "checkpoint: malformed pickle (memo {})", id);
    return it->second;
  }
  void add_items(Value* d, const std::vector<Value*>& kv) {
    if (kv.size() % 2) fail(kInvalid, "checkpoint: malformed pickle (odd dict items)");
    if (d->kind != Value::kDict) return;  // items of an object we do not model
    for (size_t k = 0; k < kv.size(); k += 2) {
      count_object();
      d->depth = std::max({d->depth, kv[k]->depth + 1, kv[k + 1]->depth + 1});
      if (d->depth > kMaxDepth) fail(kInvalid, "checkpoint: nesting too deep");
      d->dict.emplace_back(kv[k], kv[k + 1]);
    }
  }
  static std::vector<int64_t> ints(const Value* t) {
    std::vector<int64_t> out;
    for (const Value* x : t->items) {
      if (x->kind != Value::kInt) fail(kInvalid, "checkpoint: malformed tensor shape");
      out.push_back(x->i);
    }
    return out;
  }
  Value* apply(const Value* fn, const Value* args) {
    const std::string name = fn->kind == Value::kGlobal ? fn->s : "";
    if (name == "collections.OrderedDict") return make(Value::kDict);
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor")
      return rebuild_tensor(args);
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state") {
      if (args->items.empty() || args->items[0]->kind != Value::kTensor)
        fail(kInvalid, "checkpoint: malformed parameter");
      return args->items[0];
    }
    return make(Value::kOther);
  }
  // _rebuild_tensor_v2(storage, offset, sizes, strides, ...): a view of the
  // storage, copied contiguous. A view may not hold more elements than its
  // storage (zero or overlapping strides could otherwise expand a small file
  // into gigabytes), and all tensors made together may not exceed twice the
  // storage bytes the file holds (a storage rebuilt again and again).
  Value* rebuild_tensor(const Value* args) {
    const auto& a = args->items;
    if (a.size() < 4 || a[0]->kind != Value::kTensor || a[1]->kind != Value::kInt)
      fail(kInvalid, "checkpoint: malformed tensor");
    if (a[2]->kind != Value::kTuple || a[3]->kind != Value::kTuple)
      fail(kInvalid, "checkpoint: malformed tensor");
    const std::vector<int64_t> sizes = ints(a[2]), strides = ints(a[3]);
    if (sizes.size() != strides.size() || sizes.size() > 16)
      fail(kInvalid, "checkpoint: malformed tensor");
    const at::Tensor& st = a[0]->tensor;
    // In double: hostile sizes must not overflow the checks.
    double extent = static_cast<double>(a[1]->i), count = 1;
    bool empty = false;
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (sizes[k] < 0 || strides[k] < 0) fail(kInvalid, "checkpoint: malformed tensor");
      if (sizes[k] == 0) empty = true;
      extent += static_cast<double>(sizes[k] - 1) * static_cast<double>(strides[k]);
      count *= static_cast<double>(sizes[k]);
    }
    Value* v = make(Value::kTensor);
    if (empty) {
      v->tensor = at::empty(sizes, st.options());
      return v;
    }
    if (count > static_cast<double>(st.numel()))
      fail(kInvalid,
           "checkpoint: a tensor of {} elements is rebuilt from a storage of {} (the file "
           "cannot hold its data)",
           count, st.numel());
    if (a[1]->i < 0 || extent >= static_cast<double>(st.numel()))
      fail(kInvalid, "checkpoint: a tensor reaches past its storage");
    tensor_bytes_ += static_cast<uint64_t>(count) * st.element_size();
    if (tensor_bytes_ > 2 * storage_bytes_)
      fail(kInvalid,
           "checkpoint: its tensors would take {} bytes, more than twice the {} bytes of "
           "storage in the file",
           tensor_bytes_, storage_bytes_);
    v->tensor = st.as_strided(sizes, strides, a[1]->i).contiguous();
    return v;
  }
  Value* storage(const Value* pid) {
    const auto& a = pid->items;
    if (pid->kind != Value::kTuple || a.size() < 5 || a[0]->s != "storage" ||
        a[1]->kind != Value::kGlobal || a[2]->kind != Value::kString || a[4]->kind != Value::kInt)
      fail(kInvalid, "checkpoint: unsupported persistent id");
    const std::string& key = a[2]->s;
    auto it = storages_.find(key);
    if (it == storages_.end()) {
      const at::ScalarType dtype = storage_dtype(a[1]->s);
      const int64_t numel = a[4]->i;
      const auto [data, bytes] = zip_.record("data/" + key);
      const size_t elem = c10::elementSize(dtype);
      if (numel < 0 || bytes % elem || bytes / elem != static_cast<uint64_t>(numel))
        fail(kInvalid, "checkpoint: storage '{}' has {} bytes, expected {} elements", key, bytes,
             numel);
      at::Tensor t = at::empty({numel}, at::TensorOptions().dtype(dtype));
      if (bytes) std::memcpy(t.data_ptr(), data, bytes);
      storage_bytes_ += bytes;
      it = storages_.emplace(key, t).first;
    }
    Value* v = make(Value::kTensor);
    v->tensor = it->second;
    return v;
  }

  const char* p_;
  size_t size_;
  size_t pos_ = 0;
  const ZipArchive& zip_;
  std::deque<Value> arena_;  // every value; freed flat with the reader
  size_t objects_ = 0;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
  std::unordered_map<std::string, at::Tensor> storages_;
  uint64_t storage_bytes_ = 0;  // distinct storages read
  uint64_t tensor_bytes_ = 0;   // tensors rebuilt from them
};

// Budgets of the conversion: memo references can make a hostile pickle a deep
// DAG (or a cycle) that would expand exponentially, and a long string
// referenced many times would be copied each time.
struct Budget {
  int64_t nodes;         // values visited
  int64_t string_bytes;  // string bytes copied
};

c10::IValue to_ivalue(const Value* v, int depth, Budget& budget) {
  if (depth > kMaxDepth) fail(kInvalid, "checkpoint: nesting too deep");
  if (--budget.nodes < 0) fail(kInvalid, "checkpoint: too many objects (memo references)");
  switch (v->kind) {
    case Value::kBool: return c10::IValue(v->i != 0);
    case Value::kInt: return c10::IValue(v->i);
    case Value::kFloat: return c10::IValue(v->f);
    case Value::kString:
      budget.string_bytes -= static_cast<int64_t>(v->s.size());
      if (budget.string_bytes < 0)
        fail(kInvalid, "checkpoint: too much string data (memo references)");
      return c10::IValue(v->s);
    case Value::kTensor: return c10::IValue(v->tensor);
    case Value::kTuple:
    case Value::kList: {
      c10::impl::GenericList list(c10::AnyType::get());
      for (const Value* x : v->items) list.push_back(to_ivalue(x, depth + 1, budget));
      return c10::IValue(list);
    }
    case Value::kDict: {
      c10::impl::GenericDict dict(c10::AnyType::get(), c10::AnyType::get());
      for (const auto& kv : v->dict) {
        if (kv.first->kind != Value::kString && kv.first->kind != Value::kInt) continue;
        dict.insert_or_assign(to_ivalue(kv.first, depth + 1, budget),
                              to_ivalue(kv.second, depth + 1, budget));
      }
      return c10::IValue(dict);
    }
    default: return c10::IValue();
  }
}

}  // namespace

c10::IValue load_torch_pickle(const uint8_t* data, size_t size) {
  const ZipArchive zip(data, size);
  const auto [pickle, pickle_size] = zip.record("data.pkl");
  Reader reader(pickle, pickle_size, zip);
  const Value* root = reader.run();
  // A tree visits each value once; shared values (memo references) may be
  // visited again, up to about as many times as there are values in all.
  Budget budget{2 * static_cast<int64_t>(reader.object_count()) + 1024,
                2 * static_cast<int64_t>(pickle_size) + 65536};
  return to_ivalue(root, 0, budget);
}

c10::IValue load_torch_pickle(const std::vector<char>& zip_bytes) {
  return load_torch_pickle(reinterpret_cast<const uint8_t*>(zip_bytes.data()), zip_bytes.size());
}

}  // namespace cdc
