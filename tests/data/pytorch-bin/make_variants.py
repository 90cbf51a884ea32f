"""Builds pytorch_model.bin variants from tiny-gpt2/f32-pytorch-bin without torch.

The fixture stores a plain dict. torch.save(model.state_dict()) stores an
OrderedDict with a `_metadata` attribute instead, and an LM head tied to wte
shares its storage. Python's pickle writes the same opcodes torch.save does
when the torch globals are stood in for by classes with the same names.

Outputs, next to this script:
  ordered-dict-metadata.bin  OrderedDict + _metadata + lm_head.weight sharing
                             the storage of transformer.wte.weight
  disallowed-global.bin      one value replaced by a call to os.system, which
                             a safe reader must reject without running it
"""
import collections
import io
import os
import pickle
import sys
import types
import zipfile

here = os.path.dirname(os.path.abspath(__file__))
source = os.path.join(here, "..", "tiny-gpt2", "f32-pytorch-bin", "pytorch_model.bin")

torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils


class FloatStorage:
    pass


FloatStorage.__module__ = "torch"
torch.FloatStorage = FloatStorage


def _rebuild_tensor_v2(*args):
    return ("tensor", args)


_rebuild_tensor_v2.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2


class StorageRef:
    def __init__(self, persistent_id):
        self.persistent_id = persistent_id


class Reader(pickle.Unpickler):
    def find_class(self, module, name):
        allowed = {
            ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
            ("torch", "FloatStorage"): FloatStorage,
            ("collections", "OrderedDict"): collections.OrderedDict,
        }
        return allowed[(module, name)]

    def persistent_load(self, persistent_id):
        return StorageRef(persistent_id)


class Tensor:
    def __init__(self, rebuild_args):
        self.rebuild_args = rebuild_args

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor_v2, self.rebuild_args)


class ShellCommand:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


class Writer(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.persistent_id if isinstance(obj, StorageRef) else None


def write_variant(archive_in, pickle_name, state, output):
    buffer = io.BytesIO()
    Writer(buffer, protocol=2).dump(state)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as archive_out:
        for name in archive_in.namelist():
            data = buffer.getvalue() if name == pickle_name else archive_in.read(name)
            archive_out.writestr(name, data)


archive = zipfile.ZipFile(source)
pickle_name = next(name for name in archive.namelist() if name.endswith("/data.pkl"))
plain = Reader(archive.open(pickle_name)).load()

ordered = collections.OrderedDict((key, Tensor(value[1])) for key, value in plain.items())
ordered["lm_head.weight"] = Tensor(plain["transformer.wte.weight"][1])
ordered._metadata = collections.OrderedDict([("", {"version": 1}), ("transformer", {"version": 1})])
write_variant(archive, pickle_name, ordered, os.path.join(here, "ordered-dict-metadata.bin"))

hostile = collections.OrderedDict((key, Tensor(value[1])) for key, value in plain.items())
hostile["transformer.ln_f.bias"] = ShellCommand()
write_variant(archive, pickle_name, hostile, os.path.join(here, "disallowed-global.bin"))
