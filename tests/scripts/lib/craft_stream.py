"""craft_stream.py SRC SIDE DST: a stream with a valid header and payload CRCs for a
SIDE x SIDE image (SRC's model and channels) whose payload is 8 bytes of garbage. It passes
every checksum and fails only in the entropy decoder: the case where a decoder must not have
committed memory for the output yet."""
import struct, sys, zlib
src, side, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
b = bytearray(open(src, "rb").read())
h = b[:120]
yc = struct.unpack_from("<I", h, 52)[0]; zc = struct.unpack_from("<I", h, 64)[0]
pad = (side + 63) // 64 * 64
struct.pack_into("<IIII", h, 32, side, side, pad, pad)
struct.pack_into("<III", h, 52, yc, pad // 16, pad // 16)
struct.pack_into("<III", h, 64, zc, pad // 64, pad // 64)
struct.pack_into("<I", h, 12, 0)          # no alpha, no metadata
struct.pack_into("<I", h, 76, 0)
payload = bytes([0x5a, 0xa5, 0x3c, 0xc3, 0x11, 0x22, 0x33, 0x44])
struct.pack_into("<QQQ", h, 88, 4, 4, 0)
struct.pack_into("<I", h, 112, zlib.crc32(payload) & 0xffffffff)
struct.pack_into("<I", h, 116, zlib.crc32(bytes(h[:116])) & 0xffffffff)
open(dst, "wb").write(bytes(h) + payload)
