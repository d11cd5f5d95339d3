#!/usr/bin/python3
"""Forge SMD bundles for the hostile-input tests.

usage: smdtar.py CASE GOOD OUT

GOOD is a bundle `shadowsync smd save` wrote. OUT is GOOD rewritten as a
pax tar (Python's tarfile, not libarchive) with one defect planted, and
its BUNDLE-CHECKSUM recomputed (XXH3-128 by `xxhsum -H2`, with the 32
digits read as '0'), so that only the planted defect can make a reader
refuse it. CASE:

  none         no defect (the forgery itself must be accepted)
  dotdot       member and manifest name '../evict.smd'
  dotdot-path  member 'smd/../../evict.smd', manifest name 'evict.smd'
  absolute     member and manifest name '/tmp/ss-smd-abs/evict.smd'
  symlink      smd/evict.smd a symbolic link to /etc/passwd
  hardlink     smd/evict.smd a hard link to smd/UDF.smd
  directory    smd/evict.smd a directory
  unlisted     an extra member smd/roster.smd the manifest does not list
  bad-hash     one byte of smd/evict.smd changed, the manifest kept
  duplicate    smd/evict.smd twice (and twice in the manifest)
  huge-claim   smd/evict.smd's header claims 8 GiB - 1 bytes
  big FILE     smd/evict.smd replaced by FILE's bytes (a huge member)

Exit 0, or 1 with a message.
"""
import io
import json
import subprocess
import sys
import tarfile

PLACEHOLDER = b"0" * 32 + b"\n"


def members(path):
    out = []
    with tarfile.open(path, "r:") as t:
        for m in t.getmembers():
            data = t.extractfile(m).read() if m.isfile() else b""
            out.append((m, data))
    return out


def regular(name, data, like):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode, ti.uid, ti.gid = like.mode, like.uid, like.gid
    ti.uname, ti.gname, ti.mtime = like.uname, like.gname, like.mtime
    return ti


def fix_checksum(raw):
    at = raw.rfind(PLACEHOLDER)
    if at < 0:
        sys.exit("smdtar: no checksum placeholder")
    digest = subprocess.run(["xxhsum", "-H2", "-"], input=bytes(raw),
                            capture_output=True, check=True).stdout.split()[0]
    if len(digest) != 32:
        sys.exit("smdtar: xxhsum -H2 gave no XXH3-128")
    raw[at:at + 32] = digest
    return raw


def header_checksum(block):
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)


def patch_size(raw, name, size):
    """Set the ustar size field of member name's header block."""
    want = name.encode()
    for off in range(0, len(raw), 512):
        blk = raw[off:off + 512]
        if blk[:len(want)] == want and blk[len(want)] == 0 and blk[257:262] == b"ustar":
            raw[off + 124:off + 136] = b"%011o\0" % size
            header_checksum(memoryview(raw)[off:off + 512])
            return raw
    sys.exit(f"smdtar: no header for {name}")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    case, good, out = sys.argv[1], sys.argv[2], sys.argv[3]
    ms = members(good)
    man_info, man_data = ms[0]
    man = json.loads(man_data)
    files = ms[1:-1]
    cks_info = ms[-1][0]
    extra = []                       # (TarInfo, data) appended after files
    names = {m.name: i for i, (m, _) in enumerate(files)}
    ev = names.get("smd/evict.smd")
    if ev is None and case not in ("none", "unlisted"):
        sys.exit("smdtar: GOOD has no smd/evict.smd")
    entry = next((f for f in man["files"] if f["name"] == "evict.smd"), None)
    if case == "dotdot":
        files[ev][0].name = "../evict.smd"
        entry["name"] = "../evict.smd"
    elif case == "dotdot-path":
        files[ev][0].name = "smd/../../evict.smd"
    elif case == "absolute":
        files[ev][0].name = "/tmp/ss-smd-abs/evict.smd"
        entry["name"] = "/tmp/ss-smd-abs/evict.smd"
    elif case in ("symlink", "hardlink", "directory"):
        m = files[ev][0]
        m.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                  "directory": tarfile.DIRTYPE}[case]
        m.linkname = {"symlink": "/etc/passwd", "hardlink": "smd/UDF.smd"}.get(case, "")
        m.size = 0
        files[ev] = (m, b"")
    elif case == "unlisted":
        like = files[0][0]
        extra.append((regular("smd/roster.smd", b"[[1,1]]", like), b"[[1,1]]"))
    elif case == "bad-hash":
        m, data = files[ev]
        data = bytearray(data)
        data[len(data) // 2] ^= 0x01
        files[ev] = (m, bytes(data))
    elif case == "duplicate":
        files.insert(ev + 1, files[ev])
        man["files"].insert(man["files"].index(entry) + 1, dict(entry))
    elif case == "big":
        data = open(sys.argv[4], "rb").read()
        m = files[ev][0]
        m.size = len(data)
        files[ev] = (m, data)
        entry["size_bytes"] = len(data)
    elif case not in ("none", "huge-claim"):
        sys.exit(f"smdtar: unknown case {case}")
    text = json.dumps(man, indent=2).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:", format=tarfile.PAX_FORMAT) as t:
        t.addfile(regular("MANIFEST.json", text, man_info), io.BytesIO(text))
        for m, data in files + extra:
            t.addfile(m, io.BytesIO(data) if m.isfile() else None)
        t.addfile(regular("BUNDLE-CHECKSUM", PLACEHOLDER, cks_info),
                  io.BytesIO(PLACEHOLDER))
    raw = bytearray(buf.getvalue())
    if case == "huge-claim":
        raw = patch_size(raw, "smd/evict.smd", 8 * 2**30 - 1)
    with open(out, "wb") as f:
        f.write(fix_checksum(raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
