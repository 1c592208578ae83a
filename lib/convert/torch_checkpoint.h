// Reading torch.save files (zip format) without Python. libtorch 1.13's
// torch::pickle_load cannot read the state dicts that nn.Module.state_dict()
// returns: they are collections.OrderedDict objects (which its unpickler turns
// into None), carry a `_metadata` attribute (a BUILD opcode) and hold
// single-entry dicts (SETITEM, unknown to it). The reference checkpoints are
// such files, so this is a small unpickler for what torch.save writes:
// dicts (OrderedDict included; BUILD state ignored), lists, tuples, strings,
// numbers, booleans, None and tensors (_rebuild_tensor_v2 / _rebuild_parameter
// over the archive's storages). Other objects become None. The zip archive is
// read by our own reader too (sizes and CRC-32s checked against the file).
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <vector>

namespace cdc {

// Returns the unpickled object: dicts as GenericDict, tensors as tensors
// (contiguous copies), lists and tuples as GenericList. Throws std::exception
// (cdc::Error(CDC_STATUS_INVALID_MODEL) or c10::Error) on a malformed or
// unsupported file.
//
// Memory stays proportional to the file: the zip records must be stored (not
// compressed) and lie inside the file, their CRC-32s are checked; a tensor may
// not hold more elements than its storage and all tensors together at most
// twice the storage bytes in the file; the pickle is limited in objects,
// nesting depth and the expansion of memo references.
c10::IValue load_torch_pickle(const uint8_t* data, size_t size);
c10::IValue load_torch_pickle(const std::vector<char>& zip_bytes);

}  // namespace cdc
