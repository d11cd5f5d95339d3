#!/usr/bin/env python3
"""badrecords.py - test helper: plant a record with extreme length fields
in write-block 1 of an Aerospike device image holding real records (the
8.1 fixtures): input_hostile's RECORDS table.

usage: badrecords.py IMAGE CASE

Record 0 of write-block 1 (a 128-byte record: set "s1", then 4 bins: an
int "i", a string "s", ...) is patched in place, its own size kept, so
the sweep goes on to record 1 after it; the cases that change the size
or the write-block are described with each. Offsets and layout:
shared/AEROSPIKE-RECORDS.md section 3.
"""
import sys

W = 8 << 20
MAGIC = b"\x01\xf2\x7a\x03"


def main():
    path, case = sys.argv[1], sys.argv[2]
    f = open(path, "r+b")
    f.seek(W)
    b = bytearray(f.read(W))
    size = ((int.from_bytes(b[4:8], "little") & 0x7FFFF) + 1) * 16
    assert b[0:4] == MAGIC and size == 128 and b[35] == 2 and b[38] == 4, "not the fixture"

    def flags(set_bits=0, clear_bits=0, nrb=None, at=0):
        v = int.from_bytes(b[at + 4:at + 8], "little")
        v = (v | set_bits) & ~clear_bits
        if nrb is not None:
            v = (v & ~0x7FFFF) | nrb
        b[at + 4:at + 8] = v.to_bytes(4, "little")

    def put(at, data):
        b[at:at + len(data)] = data

    # n_rblocks: 0, 1 (under the 48-byte minimum), 2 (48: the smallest
    # taken, the record's bins then run past it), 8 MiB (the whole
    # write-block from offset 0: hides every other record in it), the
    # 19-bit maximum from offset 16 (past the write-block's end).
    if case == "nrb-0": flags(nrb=0)
    elif case == "nrb-1": flags(nrb=1)
    elif case == "nrb-2": flags(nrb=2)
    elif case == "nrb-max": flags(nrb=0x7FFFF)
    elif case == "nrb-max-at-16":
        put(16, MAGIC + (0x7FFFF | 1 << 22).to_bytes(4, "little"))
    # The last 16 bytes of the write-block: a magic whose record runs past
    # the write-block's end (size 48), and one of size 16 (too small).
    elif case == "last-slot-past-end":
        put(W - 16, MAGIC + (2 | 1 << 22).to_bytes(4, "little") + b"\xff" * 8)
    # Past the last record (its zero tail): the 19-bit maximum there.
    elif case == "tail-nrb-max":
        at = 0
        while b[at:at + 4] == MAGIC:
            at += ((int.from_bytes(b[at + 4:at + 8], "little") & 0x7FFFF) + 1) * 16
        put(at, MAGIC + (0x7FFFF | 1 << 22).to_bytes(4, "little"))
    elif case == "last-slot-small":
        put(W - 16, MAGIC + (0 | 1 << 22).to_bytes(4, "little") + b"\xff" * 8)
    # Every 16-byte slot of the write-block a bare magic of size 16.
    elif case == "all-magic":
        b[:] = (MAGIC + (1 << 22).to_bytes(4, "little") + bytes(8)) * (W // 16)
    elif case == "all-ff":
        b[:] = b"\xff" * W
    elif case == "dirty-magic": put(0, b"\x02\xf2\x7a\x03")
    elif case == "gen-0": put(33, b"\x00\x00")
    # set name length 0, 64 (the maximum is 63), 255
    elif case == "set-len-0": put(35, b"\x00")
    elif case == "set-len-64": put(35, b"\x40")
    elif case == "set-len-255": put(35, b"\xff")
    # n_bins (uintvar at 38): 0, 32768 (3 bytes), 2^32 (5 bytes: does not
    # fit 32 bits), a leading 0x80 (illegal), 32767 (the maximum: the
    # bins then run out of record)
    elif case == "bins-0": put(38, b"\x00")
    elif case == "bins-32768": put(38, b"\x82\x80\x00")
    elif case == "bins-2^32": put(38, b"\x90\x80\x80\x80\x00")
    elif case == "bins-lead-80": put(38, b"\x80")
    elif case == "bins-32767": put(38, b"\x81\xff\x7f")
    # bin name length 16 (the limit is 15) and 255; particle type 0 and
    # 255; integer size 255; string size 2^32 - 1 and 2^31
    elif case == "name-16": put(39, b"\x10")
    elif case == "name-255": put(39, b"\xff")
    elif case == "particle-0": put(41, b"\x00")
    elif case == "particle-255": put(41, b"\xff")
    elif case == "int-size-255": put(42, b"\xff")
    elif case == "string-size-max": put(47, b"\xff\xff\xff\xff")
    elif case == "string-size-2^31": put(47, b"\x00\x00\x00\x80")
    # a key (has_key) of size 2^32 - 1, of size 0
    elif case == "key-size-max":
        flags(set_bits=1 << 21, clear_bits=1 << 20)
        put(35, b"\x8f\xff\xff\xff\x7f")
    elif case == "key-size-0":
        flags(set_bits=1 << 21, clear_bits=1 << 20)
        put(35, b"\x00")
    # a void-time (has_void_time) read from the set bytes: 2^32 - 1 s
    elif case == "void-time-max":
        flags(set_bits=1 << 19)
        put(35, b"\xff\xff\xff\xff")
    # extra flags with bits 5-7 set; compressed (CE rejects it)
    elif case == "extra-flags": flags(set_bits=1 << 25); put(35, b"\xe0")
    elif case == "compressed": flags(set_bits=1 << 23)
    else:
        sys.exit("badrecords: unknown case " + case)
    f.seek(W)
    f.write(b)
    f.close()


main()
