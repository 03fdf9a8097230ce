#!/usr/bin/env python3
"""mkpth.py OUT - writes a small PyTorch-style weight file (the zip layout
and pickle that torch.save of a state_dict produces) without torch, as a
fuzz seed for the .pth reader: a few float32, float64 and int64 tensors, one
of them a non-contiguous view and one with a storage offset."""
import collections, io, pickle, struct, sys, types, zipfile

torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
def _rebuild_tensor_v2(*args):
    raise RuntimeError("never called")
_rebuild_tensor_v2.__module__ = "torch._utils"
_rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
utils._rebuild_tensor_v2 = _rebuild_tensor_v2
storages = {}
for name in ("FloatStorage", "DoubleStorage", "LongStorage"):
    cls = type(name, (), {})
    cls.__module__ = "torch"
    setattr(torch, name, cls)
    storages[name] = cls
torch._utils = utils
sys.modules["torch"] = torch
sys.modules["torch._utils"] = utils

class Storage:
    def __init__(self, key, kind, values):
        self.key, self.kind, self.values = key, kind, values

class Tensor:
    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, shape, stride
    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, self.offset, tuple(self.shape), tuple(self.stride),
                                     False, collections.OrderedDict()))

class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", storages[obj.kind], obj.key, "cpu", len(obj.values))
        return None

s0 = Storage("0", "FloatStorage", [i * 0.25 - 1 for i in range(12)])
s1 = Storage("1", "DoubleStorage", [1.5, -2.5, 3.25, 0.0])
s2 = Storage("2", "LongStorage", [7])
state = collections.OrderedDict()
state["conv.weight"] = Tensor(s0, 0, [2, 3, 2], [6, 2, 1])
state["conv.weight_t"] = Tensor(s0, 1, [3, 2], [2, 6])
state["bn.bias"] = Tensor(s1, 0, [4], [1])
state["bn.num_batches_tracked"] = Tensor(s2, 0, [], [])
buf = io.BytesIO()
Pickler(buf, protocol=2).dump(state)
fmt = {"FloatStorage": "<%df", "DoubleStorage": "<%dd", "LongStorage": "<%dq"}
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("small/data.pkl", buf.getvalue())
    z.writestr("small/byteorder", "little")
    for s in (s0, s1, s2):
        z.writestr("small/data/" + s.key, struct.pack(fmt[s.kind] % len(s.values), *s.values))
    z.writestr("small/version", "3\n")
