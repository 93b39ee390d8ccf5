#!/usr/bin/python3
"""Mark the GLIBCXX_3.4.32 requirement of a copied libLibTorchSharp.so weak (VER_FLG_WEAK), so that it loads with an
older libstdc++ (Debian 12's stops at GLIBCXX_3.4.30).

    python3 weaken_glibcxx.py PATH/TO/libLibTorchSharp.so

TorchSharp 0.107 binds one symbol to that version, _ZSt21ios_base_library_initv, and no relocation uses it, so the
dynamic loader has nothing to resolve once the requirement is weak. The file is only changed when the system
libstdc++ lacks the version, and it is replaced through a rename (never written in place: it must not be a hard link
into the NuGet cache). Idempotent; prints what it did.
"""
import glob
import os
import struct
import sys

VERSION = b"GLIBCXX_3.4.32"
SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def system_has_version():
    for path in glob.glob("/usr/lib/x86_64-linux-gnu/libstdc++.so.6*") + glob.glob("/lib64/libstdc++.so.6*") + glob.glob("/usr/lib64/libstdc++.so.6*"):
        with open(path, "rb") as f:
            if VERSION + b"\0" in f.read():
                return True
    return False


def weaken(data):
    """Returns the number of Vernaux entries changed (0 when already weak or absent)."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit("weaken_glibcxx.py: not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    changed = 0
    for sec in sections:
        if sec[1] != SHT_GNU_VERNEED:
            continue
        strtab_off = sections[sec[6]][4]
        entry = sec[4]
        while True:
            _, cnt, _, aux, nxt = struct.unpack_from("<HHIII", data, entry)
            a = entry + aux
            for _ in range(cnt):
                _, flags, _, name, anext = struct.unpack_from("<IHHII", data, a)
                start = strtab_off + name
                if data[start:data.index(b"\0", start)] == VERSION and not flags & VER_FLG_WEAK:
                    struct.pack_into("<H", data, a + 4, flags | VER_FLG_WEAK)
                    changed += 1
                a += anext
            if nxt == 0:
                break
            entry += nxt
    return changed


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    if not os.path.exists(path):
        print(f"weaken_glibcxx.py: {path} not found, nothing to do")
        return
    if system_has_version():
        print(f"weaken_glibcxx.py: the system libstdc++ has {VERSION.decode()}, {path} left as it is")
        return
    data = bytearray(open(path, "rb").read())
    n = weaken(data)
    if n == 0:
        print(f"weaken_glibcxx.py: {path}: no strong {VERSION.decode()} requirement (already patched)")
        return
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, os.stat(path).st_mode)
    os.replace(tmp, path)
    print(f"weaken_glibcxx.py: {path}: {VERSION.decode()} marked weak ({n} entry)")


if __name__ == "__main__":
    main()
