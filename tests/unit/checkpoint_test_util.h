// Crafted torch.save files for the tests of the checkpoint reader (and the
// seeds of its fuzz target): a pickle writer for the opcodes torch.save uses
// and a zip writer that stores records as torch.save does, with switches to
// damage the archive. No libtorch needed.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace cdc_test {

// Appends pickle opcodes (protocol 2, as torch.save writes).
class PickleWriter {
 public:
  PickleWriter() { op(0x80).op(2); }  // PROTO 2

  PickleWriter& op(uint8_t code) {
    out_.push_back(static_cast<char>(code));
    return *this;
  }
  PickleWriter& u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  PickleWriter& str(const std::string& s) {  // BINUNICODE
    op('X').u32(static_cast<uint32_t>(s.size()));
    out_ += s;
    return *this;
  }
  PickleWriter& integer(int32_t v) { return op('J').u32(static_cast<uint32_t>(v)); }  // BININT
  PickleWriter& global(const std::string& module, const std::string& name) {  // GLOBAL
    op('c');
    out_ += module + "\n" + name + "\n";
    return *this;
  }
  PickleWriter& put(uint32_t id) { return op('r').u32(id); }  // LONG_BINPUT
  PickleWriter& get(uint32_t id) { return op('j').u32(id); }  // LONG_BINGET
  PickleWriter& mark() { return op('('); }
  PickleWriter& tuple() { return op('t'); }
  PickleWriter& empty_dict() { return op('}'); }
  PickleWriter& empty_list() { return op(']'); }
  PickleWriter& setitem() { return op('s'); }
  PickleWriter& append() { return op('a'); }
  PickleWriter& pop() { return op('0'); }

  // A float32 storage "<key>" of `numel` elements (persistent id + BINPERSID).
  PickleWriter& storage(const std::string& key, int32_t numel) {
    mark().str("storage").global("torch", "FloatStorage").str(key).str("cpu").integer(numel);
    return tuple().op('Q');
  }
  // _rebuild_tensor_v2(<the value on the stack>, offset, sizes, strides,
  // False, OrderedDict()): `with_storage` pushes the storage argument.
  template <typename PushStorage>
  PickleWriter& tensor(PushStorage&& with_storage, int32_t offset,
                       const std::vector<int32_t>& sizes, const std::vector<int32_t>& strides) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    with_storage(*this);
    integer(offset).mark();
    for (int32_t s : sizes) integer(s);
    tuple().mark();
    for (int32_t s : strides) integer(s);
    tuple().op(0x89);  // NEWFALSE
    global("collections", "OrderedDict").op(')').op('R');
    return tuple().op('R');
  }
  std::string finish() { return out_ + "."; }

 private:
  std::string out_;
};

struct ZipRecord {
  std::string name;  // under the archive's folder, e.g. "data.pkl", "data/0"
  std::string data;
  // Damage: a compression method, a declared size other than the data's
  // (both sizes in the directory), a wrong CRC-32.
  uint16_t method = 0;
  int64_t declared_size = -1;
  bool bad_crc = false;
};

// A zip archive as torch.save writes it: records "<folder>/<name>" stored,
// CRC-32s in the central directory.
inline std::vector<uint8_t> make_torch_zip(const std::vector<ZipRecord>& records,
                                           const std::string& folder = "archive") {
  std::vector<uint8_t> out, dir;
  auto put = [](std::vector<uint8_t>& b, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  for (const auto& r : records) {
    const std::string name = folder + "/" + r.name;
    uint32_t crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(r.data.data()), static_cast<uInt>(r.data.size())));
    if (r.bad_crc) crc ^= 1;
    const uint64_t size = r.declared_size >= 0 ? static_cast<uint64_t>(r.declared_size)
                                               : r.data.size();
    const uint64_t local = out.size();
    put(out, 0x04034b50, 4);
    put(out, 20, 2);
    put(out, 0, 2);
    put(out, r.method, 2);
    put(out, 0, 4);
    put(out, crc, 4);
    put(out, size, 4);
    put(out, size, 4);
    put(out, name.size(), 2);
    put(out, 0, 2);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), r.data.begin(), r.data.end());
    put(dir, 0x02014b50, 4);
    put(dir, 20, 2);
    put(dir, 20, 2);
    put(dir, 0, 2);
    put(dir, r.method, 2);
    put(dir, 0, 4);
    put(dir, crc, 4);
    put(dir, size, 4);
    put(dir, size, 4);
    put(dir, name.size(), 2);
    put(dir, 0, 2);
    put(dir, 0, 2);
    put(dir, 0, 2);
    put(dir, 0, 2);
    put(dir, 0, 4);
    put(dir, local, 4);
    dir.insert(dir.end(), name.begin(), name.end());
  }
  const uint64_t dir_offset = out.size();
  out.insert(out.end(), dir.begin(), dir.end());
  put(out, 0x06054b50, 4);
  put(out, 0, 4);
  put(out, records.size(), 2);
  put(out, records.size(), 2);
  put(out, dir.size(), 4);
  put(out, dir_offset, 4);
  put(out, 0, 2);
  return out;
}

// A checkpoint {"model": {"w": tensor}} with one float32 storage of `numel`
// elements (value k at index k) and the tensor a full 1-D view of it.
inline std::vector<uint8_t> make_small_checkpoint(int32_t numel = 16) {
  PickleWriter p;
  p.empty_dict().str("model").empty_dict().str("w");
  p.tensor([&](PickleWriter& w) { w.storage("0", numel); }, 0, {numel}, {1});
  p.setitem().setitem();
  std::string storage(static_cast<size_t>(numel) * 4, '\0');
  for (int32_t k = 0; k < numel; ++k) {
    const float v = static_cast<float>(k);
    std::memcpy(&storage[static_cast<size_t>(k) * 4], &v, 4);
  }
  return make_torch_zip({{"data.pkl", p.finish()}, {"data/0", storage}});
}

}  // namespace cdc_test
