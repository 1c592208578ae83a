#include "convert/torch_checkpoint.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/error.h"

namespace cdc {

namespace {

constexpr cdc_status kInvalid = CDC_STATUS_INVALID_MODEL;

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kTensor, kGlobal, kOther };
  Kind kind = kNone;
  int64_t i = 0;
  double f = 0;
  std::string s;                                  // string, global name
  std::vector<ValuePtr> items;                    // tuple, list
  std::vector<std::pair<ValuePtr, ValuePtr>> dict;
  at::Tensor tensor;                              // tensor or storage (1-D)
};

ValuePtr make(Value::Kind k) {
  auto v = std::make_shared<Value>();
  v->kind = k;
  return v;
}

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
  Reader(const char* data, size_t size, caffe2::serialize::PyTorchStreamReader& zip)
      : p_(data), size_(size), zip_(zip) {}

  ValuePtr run() {
    for (;;) {
      const uint8_t op = u(1);
      switch (op) {
        case 0x80: u(1); break;                                    // PROTO
        case 0x95: u(8); break;                                    // FRAME
        case '}': push(make(Value::kDict)); break;
        case ']': push(make(Value::kList)); break;
        case ')': push(make(Value::kTuple)); break;
        case 'N': push(make(Value::kNone)); break;
        case 0x88: case 0x89: {
          auto v = make(Value::kBool);
          v->i = op == 0x88;
          push(v);
        } break;
        case '(': marks_.push_back(stack_.size()); break;
        case 'q': memo_[u(1)] = top(); break;
        case 'r': memo_[u(4)] = top(); break;
        case 0x94: memo_[memo_.size()] = top(); break;             // MEMOIZE
        case 'h': push(memo(u(1))); break;
        case 'j': push(memo(u(4))); break;
        case 'X': case 'T': case 'B': push(str(u(4))); break;
        case 0x8c: case 'U': case 'C': push(str(u(1))); break;
        case 0x8d: case 0x8e: push(str(u(8))); break;
        case 'J': push(integer(static_cast<int32_t>(u(4)))); break;
        case 'K': push(integer(u(1))); break;
        case 'M': push(integer(u(2))); break;
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
          auto v = make(Value::kFloat);
          std::memcpy(&v->f, &le, 8);
          push(v);
        } break;
        case 't': {
          auto v = make(Value::kTuple);
          v->items = pop_mark();
          push(v);
        } break;
        case 0x85: case 0x86: case 0x87: {
          auto v = make(Value::kTuple);
          v->items.resize(op - 0x84);
          for (size_t k = v->items.size(); k-- > 0;) v->items[k] = pop();
          push(v);
        } break;
        case 'c': {
          auto v = make(Value::kGlobal);
          v->s = line();
          v->s += "." + line();
          push(v);
        } break;
        case 0x93: {                                              // STACK_GLOBAL
          auto name = pop();
          auto module = pop();
          auto v = make(Value::kGlobal);
          v->s = module->s + "." + name->s;
          push(v);
        } break;
        case 'R': case 0x81: {                                    // REDUCE, NEWOBJ
          auto args = pop();
          auto fn = pop();
          push(apply(fn, args));
        } break;
        case 'b': pop(); break;                                   // BUILD: state ignored
        case 's': {
          auto v = pop();
          auto k = pop();
          add_items(top(), {k, v});
        } break;
        case 'u': {
          auto kv = pop_mark();
          add_items(top(), kv);
        } break;
        case 'a': {
          auto v = pop();
          if (top()->kind == Value::kList) top()->items.push_back(v);
        } break;
        case 'e': {
          auto vs = pop_mark();
          if (top()->kind == Value::kList)
            top()->items.insert(top()->items.end(), vs.begin(), vs.end());
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

 private:
  uint64_t u(size_t n) {
    if (n > size_ - pos_) fail(kInvalid, "checkpoint: truncated pickle");
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= uint64_t{static_cast<uint8_t>(p_[pos_ + k])} << (8 * k);
    pos_ += n;
    return v;
  }
  ValuePtr str(uint64_t n) {
    if (n > size_ - pos_) fail(kInvalid, "checkpoint: truncated pickle");
    auto v = make(Value::kString);
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
  static ValuePtr integer(int64_t i) {
    auto v = make(Value::kInt);
    v->i = i;
    return v;
  }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr top() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() >= stack_.size()))
      fail(kInvalid, "checkpoint: malformed pickle (empty stack)");
    return stack_.back();
  }
  ValuePtr pop() {
    ValuePtr v = top();
    stack_.pop_back();
    return v;
  }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty() || marks_.back() > stack_.size())
      fail(kInvalid, "checkpoint: malformed pickle (no mark)");
    std::vector<ValuePtr> out(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()),
                              stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return out;
  }
  ValuePtr memo(uint64_t id) {
    auto it = memo_.find(id);
    if (it == memo_.end()) fail(kInvalid, "checkpoint: malformed pickle (memo {})", id);
    return it->second;
  }
  static void add_items(const ValuePtr& d, const std::vector<ValuePtr>& kv) {
    if (kv.size() % 2) fail(kInvalid, "checkpoint: malformed pickle (odd dict items)");
    if (d->kind != Value::kDict) return;  // items of an object we do not model
    for (size_t k = 0; k < kv.size(); k += 2) d->dict.emplace_back(kv[k], kv[k + 1]);
  }
  static std::vector<int64_t> ints(const ValuePtr& t) {
    std::vector<int64_t> out;
    for (const auto& x : t->items) {
      if (x->kind != Value::kInt) fail(kInvalid, "checkpoint: malformed tensor shape");
      out.push_back(x->i);
    }
    return out;
  }
  ValuePtr apply(const ValuePtr& fn, const ValuePtr& args) {
    const std::string name = fn->kind == Value::kGlobal ? fn->s : "";
    if (name == "collections.OrderedDict") return make(Value::kDict);
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
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
      if (count > static_cast<double>(int64_t{1} << 34))
        fail(kInvalid, "checkpoint: a tensor is too large");
      auto v = make(Value::kTensor);
      if (empty) {
        v->tensor = at::empty(sizes, st.options());
      } else {
        if (a[1]->i < 0 || extent >= static_cast<double>(st.numel()))
          fail(kInvalid, "checkpoint: a tensor reaches past its storage");
        v->tensor = st.as_strided(sizes, strides, a[1]->i).contiguous();
      }
      return v;
    }
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state") {
      if (args->items.empty() || args->items[0]->kind != Value::kTensor)
        fail(kInvalid, "checkpoint: malformed parameter");
      return args->items[0];
    }
    return make(Value::kOther);
  }
  ValuePtr storage(const ValuePtr& pid) {
    const auto& a = pid->items;
    if (pid->kind != Value::kTuple || a.size() < 5 || a[0]->s != "storage" ||
        a[1]->kind != Value::kGlobal || a[2]->kind != Value::kString || a[4]->kind != Value::kInt)
      fail(kInvalid, "checkpoint: unsupported persistent id");
    const std::string& key = a[2]->s;
    auto it = storages_.find(key);
    if (it == storages_.end()) {
      const at::ScalarType dtype = storage_dtype(a[1]->s);
      const int64_t numel = a[4]->i;
      at::DataPtr data;
      size_t bytes = 0;
      std::tie(data, bytes) = zip_.getRecord("data/" + key);
      const size_t elem = c10::elementSize(dtype);
      if (numel < 0 || bytes % elem || bytes / elem != static_cast<uint64_t>(numel))
        fail(kInvalid, "checkpoint: storage '{}' has {} bytes, expected {} elements", key, bytes,
             numel);
      at::Tensor t = at::empty({numel}, at::TensorOptions().dtype(dtype));
      if (bytes) std::memcpy(t.data_ptr(), data.get(), bytes);
      it = storages_.emplace(key, t).first;
    }
    auto v = make(Value::kTensor);
    v->tensor = it->second;
    return v;
  }

  const char* p_;
  size_t size_;
  size_t pos_ = 0;
  caffe2::serialize::PyTorchStreamReader& zip_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
  std::unordered_map<std::string, at::Tensor> storages_;
};

// `budget` bounds the nodes visited: memo references can make a hostile
// pickle a deep DAG (or a cycle) that would otherwise expand exponentially.
c10::IValue to_ivalue(const ValuePtr& v, int depth, int64_t& budget) {
  if (depth > 64) fail(kInvalid, "checkpoint: nesting too deep");
  if (--budget < 0) fail(kInvalid, "checkpoint: too many objects");
  switch (v->kind) {
    case Value::kBool: return c10::IValue(v->i != 0);
    case Value::kInt: return c10::IValue(v->i);
    case Value::kFloat: return c10::IValue(v->f);
    case Value::kString: return c10::IValue(v->s);
    case Value::kTensor: return c10::IValue(v->tensor);
    case Value::kTuple:
    case Value::kList: {
      c10::impl::GenericList list(c10::AnyType::get());
      for (const auto& x : v->items) list.push_back(to_ivalue(x, depth + 1, budget));
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

c10::IValue load_torch_pickle(const std::vector<char>& zip_bytes) {
  auto adapter =
      std::make_shared<caffe2::serialize::MemoryReadAdapter>(zip_bytes.data(), zip_bytes.size());
  caffe2::serialize::PyTorchStreamReader zip(adapter);
  at::DataPtr pickle;
  size_t size = 0;
  std::tie(pickle, size) = zip.getRecord("data.pkl");
  Reader reader(static_cast<const char*>(pickle.get()), size, zip);
  int64_t budget = int64_t{1} << 24;
  return to_ivalue(reader.run(), 0, budget);
}

}  // namespace cdc
