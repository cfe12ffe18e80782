#!/usr/bin/env python3
"""Generate the seed corpus of fuzz/fuzz_nv_image.c (fuzz/corpus/nv_image/).

An implementation of docs/nv-format.md independent of the C code: struct.pack for the
little-endian fields and zlib.crc32 (CRC-32/IEEE) for the checksum. Deterministic: running it
again gives the same files. Usage: gen_nv_seeds.py <output directory>
"""
import os
import struct
import sys
import zlib

MAGIC = 0x4752544D  # "MTRG"
CAP = 2048          # MTRD_REG_STORE_PAYLOAD_CAP
SLOT = CAP + 24     # payload capacity + 20-byte header + 4-byte CRC
CHANS, KINDS = 4, 11


def reg_payload(frame):
    """Layout 1 of the register set: counts, frame_count, t_us, energies, remainder bits.

    Values follow the pattern of tests/unit/nv/test_nv_file.c: register [c][k] of frame f holds
    f * (c * 11 + k + 1) and the remainder ((f * (c + k + 1)) mod 1000) / 1000.
    """
    out = struct.pack('<BBHQQ', CHANS, KINDS, 0, frame, frame * 200000)
    cells = CHANS * KINDS
    out += b''.join(struct.pack('<q', frame * (i + 1)) for i in range(cells))
    out += b''.join(struct.pack('<d', ((frame * (i // KINDS + i % KINDS + 1)) % 1000) / 1000.0)
                    for i in range(cells))
    assert len(out) == 724
    return out


def record(seq, payload, version=1, magic=MAGIC, reserved=0):
    head = struct.pack('<IHHIQ', magic, version, reserved, len(payload), seq) + payload
    return head + struct.pack('<I', zlib.crc32(head) & 0xFFFFFFFF)


def region(slot0=b'', slot1=b'', fill=0x00):
    s0 = slot0 + bytes([fill]) * (SLOT - len(slot0))
    s1 = slot1 + bytes([fill]) * (SLOT - len(slot1))
    return s0 + s1


def seeds():
    r5, r6 = record(5, reg_payload(4)), record(6, reg_payload(5))
    bad = bytearray(r6)
    bad[100] ^= 0x40
    yield 'both_valid', region(r5, r6)
    yield 'newest_in_slot0', region(record(9, reg_payload(8)), record(8, reg_payload(7)))
    yield 'slot0_only', region(record(1, reg_payload(0)))
    yield 'slot1_only_ff', region(b'', record(3, reg_payload(2)), fill=0xFF)
    yield 'newest_bad_crc', region(r5, bytes(bad))
    yield 'both_bad_crc', region(bytes(bad), bytes(bad))
    yield 'empty_00', region()
    yield 'empty_ff', region(fill=0xFF)
    yield 'newer_version', region(r5, record(6, b'layout 2 payload', version=2))
    yield 'old_layout_small', region(record(2, b'\x01\x02\x03', version=1))
    yield 'bad_reserved', region(record(4, reg_payload(3), reserved=1))
    yield 'truncated', region(r5, r6)[:SLOT + 300]
    yield 'negative_register', region(record(7, reg_payload(6)[:20] + b'\xff' * 8
                                            + reg_payload(6)[28:]))
    yield 'seq_max', region(record(0xFFFFFFFFFFFFFFFF, reg_payload(1)))
    yield 'payload_only', reg_payload(12)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
