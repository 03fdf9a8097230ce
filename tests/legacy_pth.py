#!/usr/bin/env python3
"""legacy_pth.py IN.pth OUT.pth - rewrites a zip-format PyTorch state_dict in
torch's legacy (pre-1.6) format, with the standard library only: magic
number, protocol 1001, system info, the state_dict pickle (storages as
6-field persistent ids), the storage keys, then each storage as an int64
element count and its raw bytes. Stand-in classes play torch's globals so
the pickles name exactly what torch.save writes. For tests of pulmo's reader."""
import collections
import io
import pickle
import struct
import sys
import types
import zipfile

src, dst = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(src)
top = [n for n in z.namelist() if n.endswith('/data.pkl')][0][:-len('/data.pkl')]

torch = types.ModuleType('torch')
utils = types.ModuleType('torch._utils')
sys.modules['torch'], sys.modules['torch._utils'] = torch, utils
for kind in ('FloatStorage', 'DoubleStorage', 'HalfStorage', 'LongStorage', 'IntStorage',
             'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage'):
    cls = type(kind, (), {})
    cls.__module__ = 'torch'
    setattr(torch, kind, cls)


class Storage:
    def __init__(self, cls, key, numel):
        self.cls, self.key, self.numel = cls, key, numel


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (_rebuild_tensor_v2, self.args)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, *meta):
    return Tensor(storage, offset, size, stride)


_rebuild_tensor_v2.__module__ = 'torch._utils'
utils._rebuild_tensor_v2 = _rebuild_tensor_v2
storages = {}


class Reader(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ('collections', 'OrderedDict'):
            return collections.OrderedDict
        if module in ('torch', 'torch._utils'):
            return getattr(sys.modules[module], name)
        raise pickle.UnpicklingError('%s.%s' % (module, name))

    def persistent_load(self, pid):
        _, cls, key, _, numel = pid
        return storages.setdefault(key, Storage(cls, key, numel))


class Writer(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ('storage', obj.cls, obj.key, 'cpu', obj.numel, None)
        return None


state = Reader(io.BytesIO(z.read(top + '/data.pkl'))).load()
out = io.BytesIO()
for obj in (0x1950a86a20f9469cfc6c, 1001,
            {'protocol_version': 1001, 'little_endian': True,
             'type_sizes': {'short': 2, 'int': 4, 'long': 4}}):
    pickle.dump(obj, out, protocol=2)
Writer(out, protocol=2).dump(state)
keys = sorted(storages, key=int)
pickle.dump(keys, out, protocol=2)
for k in keys:
    data = z.read(top + '/data/' + k)
    out.write(struct.pack('<q', storages[k].numel))
    out.write(data)
with open(dst, 'wb') as f:
    f.write(out.getvalue())
