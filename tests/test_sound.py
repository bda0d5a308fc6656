"""Sound files byte for byte (issue 30): WAV/BWF/RF64/AIFF/AIFF-C layouts (nlvc_av.io.soundfile),
their PCM coded losslessly (nlvc_av.io.sound: FLAC by FFmpeg, nlvc-pcm-1 of nlvc_av.codec.pcm)
and rebuilt through the rebuild map; one precise RebuildError per malformed file. The archive's
flavours when ../shared/data is there; every other file is made here."""
from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from nlvc_av.codec import pcm as pcmcoder
from nlvc_av.io import pcmsamples, sound
from nlvc_av.io.rebuild import splice
from nlvc_av.io.rebuild_ops import RebuildError
from nlvc_av.io.sound import FLAC, OWN, code_sound_file, decode_pcm, encode_pcm, restore_sound_file
from nlvc_av.io.soundfile import read_layout

ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "archive"
ARCHIVE_FILES = sorted(p for p in ARCHIVE.rglob("*") if p.suffix.lower() in (".wav", ".aif", ".aiff")) \
    if ARCHIVE.is_dir() else []
GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")


# --- writers -------------------------------------------------------------------------------

def chunk(cid: bytes, body: bytes, e: str = "<") -> bytes:
    return cid + struct.pack(e + "I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def fmt_body(channels: int, rate: int, bits: int, tag: int = 1, width: int | None = None) -> bytes:
    align = channels * (width or (bits + 7) // 8)
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)


def fmt_ext(channels: int, rate: int, bits: int, sub: int = 1, valid: int | None = None) -> bytes:
    return fmt_body(channels, rate, bits, 0xFFFE) + struct.pack("<HHI", 22, valid or bits, 0) + \
        struct.pack("<I", sub)[:2] + GUID_TAIL


def riff(chunks: list[bytes], magic: bytes = b"RIFF", form: bytes = b"WAVE", size: int | None = None) -> bytes:
    body = form + b"".join(chunks)
    return magic + struct.pack("<I", len(body) if size is None else size) + body


def ext80(rate: float) -> bytes:
    m, e = math.frexp(rate)
    return struct.pack(">HQ", 16383 + e - 1, int(m * 2 ** 64))


def aiff(channels: int, frames: int, size: int, rate: float, data: bytes, comp: bytes | None = None,
         extra: list[bytes] = (), ssnd_offset: int = 0) -> bytes:
    comm = struct.pack(">hIh", channels, frames, size) + ext80(rate)
    if comp is not None:
        comm += comp + b"\x04none\0"  # the compression name, a padded Pascal string
    ssnd = struct.pack(">II", ssnd_offset, 0) + b"\0" * ssnd_offset + data
    chunks = ([chunk(b"FVER", struct.pack(">I", 0xA2805140), ">")] if comp is not None else []) + \
        [chunk(b"COMM", comm, ">"), *extra, chunk(b"SSND", ssnd, ">")]
    body = (b"AIFC" if comp is not None else b"AIFF") + b"".join(chunks)
    return b"FORM" + struct.pack(">I", len(body)) + body


def tone(frames: int, channels: int, scale: float, seed: int = 0) -> np.ndarray:
    t = np.arange(frames)[:, None]
    rng = np.random.default_rng(seed)
    return np.sin(t / (5.0 + np.arange(channels))) * scale + rng.normal(0, scale / 500, (frames, channels))


def check_file(data: bytes, codec: str | None = None):
    """The file's layout and stream; the rebuild is the file, byte for byte."""
    layout, stream = code_sound_file(data, codec)
    assert restore_sound_file(layout.pixel_map, layout.stored, stream) == data
    assert splice(layout.pixel_map, layout.stored, layout.pcm(data)) == data
    assert all(isinstance(k, str) and isinstance(v, (str, int)) for k, v in layout.packing.items())
    assert all(isinstance(k, str) and isinstance(v, (str, int)) for k, v in stream.params.items())
    assert stream.time_base == 1 / sound.Fraction(layout.sample_rate)
    return layout, stream


# --- the archive ---------------------------------------------------------------------------

@pytest.mark.skipif(not ARCHIVE_FILES, reason="../shared/data/archive is not here")
@pytest.mark.parametrize("path", ARCHIVE_FILES, ids=lambda p: p.name)
def test_every_archive_sound_file_is_rebuilt_byte_for_byte(path):
    data = path.read_bytes()
    layout, stream = check_file(data)
    if layout.kind == "float" or layout.bits == 64:
        assert stream.codec == OWN
    assert stream.packets and all(d <= sound.FRAMES_PER_PACKET for _, d, _ in stream.packets)
    assert sum(len(p[2]) for p in stream.packets) <= layout.pcm_size + 16


@pytest.mark.skipif(not ARCHIVE_FILES, reason="../shared/data/archive is not here")
def test_archive_flavours_are_read_as_their_names_say():
    seen = 0
    for path in ARCHIVE_FILES:
        parts = path.parent.name.split("_")
        if path.parent.parent.name != "Flavors":
            continue
        layout = read_layout(path.read_bytes())
        rate, bits, channels, sign = int(parts[0]), int(parts[1]), int(parts[2]), parts[3]
        assert (layout.sample_rate, layout.bits, layout.channels) == (rate, bits, channels), path
        assert layout.kind == ("float" if sign == "F" else "int")
        assert layout.signed == (sign != "U")
        if len(parts) > 4 and bits > 8:
            assert layout.byte_order == parts[4].lower()
        seen += 1
    assert seen > 200


# --- hand-made files -----------------------------------------------------------------------

def test_a_wav_from_pythons_wave_module(tmp_path):
    path = tmp_path / "a.wav"
    samples = np.round(tone(5000, 2, 8000)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(samples.tobytes())
    layout, stream = check_file(path.read_bytes())
    assert (layout.container, layout.sample_rate, layout.channels, layout.bits, layout.kind, layout.signed,
            layout.byte_order, layout.frames) == ("wav", 48000, 2, 16, "int", True, "le", 5000)
    assert layout.pixel_map == [0, 44, 0, 1, 20000, 0]
    assert [p[0] for p in stream.packets] == [0, 4096]
    assert [p[1] for p in stream.packets] == [4096, 904]


@pytest.mark.parametrize("bits", [8, 16, 24, 32])
def test_flac_codes_every_integer_width_exactly(bits):
    width = bits // 8
    values = np.round(tone(3000, 2, 2.0 ** (bits - 2))).astype(np.int64)
    if bits == 8:
        values += 128  # 8-bit WAV: unsigned
    raw = values.astype("<i8").view(np.uint8).reshape(-1, 8)[:, :width].tobytes()
    data = riff([chunk(b"fmt ", fmt_body(2, 44100, bits)), chunk(b"data", raw)])
    layout, stream = check_file(data, FLAC)
    assert stream.codec == FLAC and len(stream.extradata) == 34
    assert layout.signed == (bits > 8)
    assert sum(len(p[2]) for p in stream.packets) < len(raw) * 0.8


def test_bwf_chunks_odd_sizes_pad_bytes_a_partial_frame_and_trailing_bytes_are_kept():
    pcm = np.round(tone(1001, 2, 3e5)).astype(np.int64).astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    data = riff([chunk(b"JUNK", b"\0" * 28), chunk(b"bext", b"Description".ljust(602, b"\0")),
                 chunk(b"fmt ", fmt_ext(2, 48000, 24)), chunk(b"LIST", b"INFOISFT\x05\0\0\0odd!!"),
                 chunk(b"data", pcm + b"\x01\x02\x03"), chunk(b"iXML", b"<x/>")]) + b"trailing\xff"
    layout, _ = check_file(data)
    assert (layout.bits, layout.frames, layout.valid_bits) == (24, 1001, 24)
    start = data.index(b"data") + 8
    assert layout.pcm_offset == start and layout.pcm(data) == pcm
    assert layout.pixel_map == [0, start, 0, 1, len(pcm), 0, 0, len(data) - start - len(pcm), 0]
    assert layout.stored == data[:start] + data[start + len(pcm):]


@pytest.mark.parametrize("channels", [7, 8, 12])
def test_many_channels(channels):
    pcm = np.round(tone(2500, channels, 9000, seed=channels)).astype("<i2").tobytes()
    layout, stream = check_file(riff([chunk(b"fmt ", fmt_ext(channels, 96000, 16)), chunk(b"data", pcm)]))
    assert layout.channels == channels
    assert stream.codec in ((FLAC, OWN) if channels <= 8 else (OWN,))


def float_specials(width: int) -> np.ndarray:
    """Patterns a float coder must keep: NaNs with payloads and signs, infinities, zeros of both
    signs, subnormals, the extremes."""
    if width == 4:
        pats = [0x7FC00000, 0x7FC00001, 0xFFC12345, 0x7F800001, 0x7FBFFFFF, 0x7F800000, 0xFF800000, 0x80000000, 0,
                1, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000]
        return np.array(pats, np.uint32)
    pats = [0x7FF8000000000000, 0x7FF8000000000001, 0xFFF0000000000001, 0x7FF0000000000000, 0xFFF0000000000000,
            0x8000000000000000, 0, 1, 0x800FFFFFFFFFFFFF, 0x0010000000000000, 0x7FEFFFFFFFFFFFFF, 0x3FF0000000000000]
    return np.array(pats, np.uint64)


@pytest.mark.parametrize("width", [4, 8])
@pytest.mark.parametrize("channels", [1, 2, 7])
def test_float_wav_keeps_every_bit_pattern(width, channels):
    values = tone(3000, channels, 0.5, seed=width).astype(np.float32 if width == 4 else np.float64)
    pats = values.view(np.uint32 if width == 4 else np.uint64).copy()
    specials = float_specials(width)
    pats.reshape(-1)[::97][:len(specials)] = specials[:len(pats.reshape(-1)[::97])]
    pcm = pats.astype("<u4" if width == 4 else "<u8").tobytes()
    layout, stream = check_file(riff([chunk(b"fmt ", fmt_ext(channels, 44100, 8 * width, sub=3)),
                                      chunk(b"fact", struct.pack("<I", 3000)), chunk(b"data", pcm)]))
    assert (layout.kind, layout.bits, stream.codec) == ("float", 8 * width, OWN)
    assert decode_pcm(stream.codec, stream.extradata, stream.params, stream.packets) == pcm
    assert sum(len(p[2]) for p in stream.packets) < len(pcm)


def test_plain_float_tag_and_float64_widened_from_float32_cost_what_float32_costs():
    values = tone(4000, 2, 0.3).astype(np.float32)
    pcm32 = values.astype("<f4").tobytes()
    pcm64 = values.astype("<f8").tobytes()
    _, s32 = check_file(riff([chunk(b"fmt ", fmt_body(2, 48000, 32, tag=3)), chunk(b"data", pcm32)]))
    _, s64 = check_file(riff([chunk(b"fmt ", fmt_body(2, 48000, 64, tag=3)), chunk(b"data", pcm64)]))
    assert sound.size_of(s64) <= sound.size_of(s32) + 16


def test_64_bit_integers_any_value():
    rng = np.random.default_rng(5)
    values = rng.integers(-2 ** 63, 2 ** 63, (3000, 2), dtype=np.int64)
    values[:5] = [[2 ** 63 - 1, -2 ** 63], [-2 ** 63, 2 ** 63 - 1], [0, -1], [1, 0], [-2 ** 63, -2 ** 63]]
    pcm = values.astype("<i8").tobytes()
    layout, stream = check_file(riff([chunk(b"fmt ", fmt_ext(2, 44100, 64)), chunk(b"data", pcm)]))
    assert stream.codec == OWN and sound.size_of(stream) < len(pcm) + 64
    # 40 significant bits, as the archive's 64-bit files have them
    smooth = (np.round(np.sin(np.arange(6000) / 9.0) * 2.0 ** 38).astype(np.int64) << 24).astype("<i8").tobytes()
    _, stream = check_file(riff([chunk(b"fmt ", fmt_ext(2, 44100, 64)), chunk(b"data", smooth)]))
    assert sound.size_of(stream) < len(smooth) * 0.4


def test_rf64_with_its_ds64_sizes_and_table():
    pcm = np.round(tone(2000, 2, 1e6)).astype(np.int64).astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    junk = b"\0" * 10
    ds64 = struct.pack("<QQQI", 0, len(pcm), 2000, 1) + b"junk" + struct.pack("<Q", len(junk))
    body = [chunk(b"ds64", ds64), chunk(b"fmt ", fmt_ext(2, 48000, 24)),
            b"junk" + struct.pack("<I", 0xFFFFFFFF) + junk, b"data" + struct.pack("<I", 0xFFFFFFFF) + pcm]
    data = bytearray(riff(body, b"RF64", size=0xFFFFFFFF))
    struct.pack_into("<Q", data, 20, len(data) - 8)  # ds64's RIFF size
    data = bytes(data) + b"\0" * 7  # bytes after the RIFF chunk
    layout, _ = check_file(data)
    assert (layout.container, layout.frames, layout.pcm_offset) == ("rf64", 2000, data.index(b"data") + 8)
    bw64 = b"BW64" + data[4:]
    assert check_file(bw64)[0].container == "bw64"


def test_aiff_and_aifc_flavours():
    rate = 22050.0 * 1.00924  # not a whole number: rounded, the header keeps it
    be16 = np.round(tone(3000, 2, 9000)).astype(">i2").tobytes()
    layout, _ = check_file(aiff(2, 3000, 16, rate, be16, extra=[chunk(b"NAME", b"odd", ">")], ssnd_offset=4))
    assert (layout.container, layout.sample_rate, layout.byte_order) == ("aiff", round(rate), "be")
    le16 = np.round(tone(3000, 1, 9000)).astype("<i2").tobytes()
    assert check_file(aiff(1, 3000, 16, 44100, le16, b"sowt"))[0].byte_order == "le"
    s8 = np.round(tone(3000, 1, 100)).astype(np.int8).tobytes()
    assert check_file(aiff(1, 3000, 8, 8000, s8, b"NONE"))[0].signed
    u8 = (np.round(tone(3000, 1, 100)) + 128).astype(np.uint8).tobytes()
    assert not check_file(aiff(1, 3000, 8, 8000, u8, b"raw "))[0].signed
    be24 = np.round(tone(999, 3, 3e6)).astype(np.int64).astype(">i4").view(np.uint8).reshape(-1, 4)[:, 1:].tobytes()
    layout, _ = check_file(aiff(3, 999, 24, 96000, be24 + b"\xAA"))  # a pad byte; one byte more than the frames
    assert (layout.bits, layout.frames) == (24, 999)
    for comp, dtype in ((b"fl32", ">f4"), (b"FL32", ">f4"), (b"fl64", ">f8")):
        pats = tone(2000, 2, 0.5).astype(dtype)
        raw = bytearray(pats.tobytes())
        raw[:8] = bytes.fromhex("7fc00001ffc12345")  # NaN payloads
        layout, stream = check_file(aiff(2, 2000, 8 * pats.itemsize, 48000, bytes(raw), comp))
        assert (layout.kind, stream.codec) == ("float", OWN)


def test_empty_data_chunk():
    layout, stream = check_file(riff([chunk(b"fmt ", fmt_body(1, 8000, 16)), chunk(b"data", b"")]))
    assert layout.frames == 0 and stream.packets == [] and layout.pixel_map == [0, 44, 0]


def test_samples_of_and_pcm_of_are_inverse_for_every_width_sign_and_order():
    rng = np.random.default_rng(2)
    raw = rng.integers(0, 256, 8 * 3 * 40, dtype=np.uint8).tobytes()
    for bits in range(8, 72, 8):
        for signed in (0, 1):
            for order in ("le", "be"):
                params = {"rate": 1, "channels": 3, "bits": bits, "float": 0, "signed": signed, "byte_order": order,
                          "frames": 0}
                part = raw[:bits // 8 * 3 * 40]
                samples = sound.samples_of(part, params)
                assert sound.pcm_of(samples, params) == part
                if bits < 64:
                    assert samples.min() >= -2 ** (bits - 1) and samples.max() < 2 ** (bits - 1)


def test_nlvc_pcm_packets_are_deterministic_and_verbatim_when_that_is_smaller():
    rng = np.random.default_rng(9)
    noise = rng.integers(0, 2 ** 32, (2000, 2), dtype=np.int64)  # float32 patterns, incompressible
    packets = pcmcoder.encode(noise, 32)
    assert packets == pcmcoder.encode(noise, 32)
    assert sum(map(len, packets)) <= noise.size * 4 + 8
    assert np.array_equal(pcmcoder.decode(packets, [2000], 2, 32), noise)


def test_a_damaged_or_misdescribed_nlvc_pcm_packet_is_an_error_not_a_crash():
    values = np.round(tone(3000, 2, 1e5)).astype(np.int64)
    data = riff([chunk(b"fmt ", fmt_ext(2, 44100, 64)), chunk(b"data", values.astype("<i8").tobytes())])
    layout, stream = code_sound_file(data)
    pts, duration, payload = stream.packets[0]
    with pytest.raises(RebuildError, match="sample frames"):
        decode_pcm(OWN, b"", stream.params, [(pts, duration - 1, payload)] + stream.packets[1:])
    rng = np.random.default_rng(0)
    for _ in range(20):
        bad = bytearray(payload)
        for at in rng.integers(0, len(bad), 6):
            bad[at] ^= int(rng.integers(1, 256))
        try:
            out = decode_pcm(OWN, b"", stream.params, [(pts, duration, bytes(bad))] + stream.packets[1:])
        except RebuildError:
            continue
        assert len(out) == layout.pcm_size  # damage that decodes: the file's MD5 catches it
    with pytest.raises(RebuildError, match="parameters"):
        decode_pcm(OWN, b"", {**stream.params, "bits": 12}, stream.packets)
    with pytest.raises(RebuildError, match="'mp3'"):
        decode_pcm("mp3", b"", stream.params, stream.packets)


def test_flac_that_does_not_give_the_bytes_back_falls_back_and_a_broken_coder_is_refused(monkeypatch, caplog):
    pcm = np.round(tone(3000, 2, 9000)).astype("<i2").tobytes()
    layout = read_layout(riff([chunk(b"fmt ", fmt_body(2, 44100, 16)), chunk(b"data", pcm)]))
    real = sound.flacpcm.encode

    def wrong(pcm_bytes, params):  # an encoder that codes one bit wrong
        return real(bytes([pcm_bytes[0] ^ 1]) + pcm_bytes[1:], params)

    monkeypatch.setattr(sound.flacpcm, "encode", wrong)
    stream = encode_pcm(layout, pcm, FLAC)
    assert stream.codec == OWN and "gives other bytes back" in caplog.text
    encode = pcmcoder.encode
    monkeypatch.setattr(sound.pcmcoder, "encode", lambda samples, fbits, n: encode(samples ^ 1, fbits, n))
    with pytest.raises(RebuildError, match="does not give the PCM bytes back"):
        encode_pcm(layout, pcm, OWN)


# --- malformed files: one precise error each -------------------------------------------------

FMT = chunk(b"fmt ", fmt_body(2, 44100, 16))
DATA = chunk(b"data", bytes(400))


def aiff_with_comm(comm: bytes, ssnd: bytes = struct.pack(">II", 0, 0) + bytes(40)) -> bytes:
    body = b"AIFC" + chunk(b"COMM", comm, ">") + chunk(b"SSND", ssnd, ">")
    return b"FORM" + struct.pack(">I", len(body)) + body


COMM16 = struct.pack(">hIh", 2, 10, 16) + ext80(44100) + b"NONE\0\0"
MALFORMED = {
    "tiny": (b"RIFF\0", "truncated: 5 bytes, a RIFF or FORM header has 12"),
    "not sound": (b"\x89PNG\r\n\x1a\n" + bytes(40), "not a WAV, RF64 or AIFF file (it starts 89 50 4e 47)"),
    "avi": (riff([FMT, DATA], form=b"AVI "), "a RIFF file of type 'AVI ', not WAVE"),
    "riff longer than file": (riff([FMT, DATA], size=2000), "truncated: the RIFF header says 2008 bytes, the file has 444"),
    "cut file": (riff([FMT, DATA])[:-100], "truncated: the RIFF header says 444 bytes, the file has 344"),
    "data past the end": (riff([FMT, b"data" + struct.pack("<I", 400) + bytes(300)]),
                          "truncated: the 'data' chunk at byte 36 says 400 bytes, the file holds 300"),
    "lying chunk size": (riff([FMT, b"LIST" + struct.pack("<I", 5000) + bytes(20), DATA]),
                         "the 'LIST' chunk at byte 36 says 5000 bytes, the file holds 428"),
    "chunk past riff end": (riff([FMT, DATA], size=4 + len(FMT) + 200) + bytes(300),
                            "the 'data' chunk at byte 36 says 400 bytes, its parent chunk holds 192"),
    "cut chunk header": (riff([FMT, DATA, b"LI"]), "truncated: a chunk header at byte 444 is cut by the file's end (2 of 8 bytes)"),
    "no pad byte": (riff([FMT, b"LIST" + struct.pack("<I", 3) + b"abc", DATA]),
                    "the 'LIST' chunk at byte 36 has an odd size (3) and no pad byte after it"),
    "no data": (riff([FMT]), "no data chunk"),
    "no fmt": (riff([DATA]), "no fmt chunk"),
    "two data": (riff([FMT, DATA, DATA]), "two 'data' chunks (at bytes 36 and 444; one is read)"),
    "short fmt": (riff([chunk(b"fmt ", fmt_body(2, 44100, 16)[:14]), DATA]), "the fmt chunk has 14 bytes (at least 16)"),
    "mp3": (riff([chunk(b"fmt ", fmt_body(2, 44100, 16, tag=0x55)), DATA]),
            "format tag 0x0055 (MP3): PCM (1), IEEE float (3) and extensible PCM or float are read"),
    "alaw extensible": (riff([chunk(b"fmt ", fmt_ext(2, 44100, 8, sub=6)), DATA]),
                        "an extensible fmt chunk of subformat 0x0006 (A-law; PCM 1 and float 3 are read)"),
    "odd guid": (riff([chunk(b"fmt ", fmt_ext(2, 44100, 16)[:-1] + b"\x00"), DATA]),
                 "an extensible fmt chunk whose subformat GUID 0100000000001000800000aa00389b00 is neither PCM nor float"),
    "short extensible": (riff([chunk(b"fmt ", fmt_ext(2, 44100, 16)[:30]), DATA]), "an extensible fmt chunk of 30 bytes (40 needed)"),
    "24-bit float": (riff([chunk(b"fmt ", fmt_body(2, 44100, 24, tag=3)), DATA]), "24-bit float samples in 3 bytes (32 and 64 are read)"),
    "no channels": (riff([chunk(b"fmt ", struct.pack("<HHIIHH", 1, 0, 44100, 0, 4, 16)), DATA]), "0 channels (1 to 64 are read)"),
    "rate 0": (riff([chunk(b"fmt ", fmt_body(2, 0, 16)), DATA]), "a sample rate of 0"),
    "block align": (riff([chunk(b"fmt ", struct.pack("<HHIIHH", 1, 2, 44100, 0, 3, 16)), DATA]),
                    "a block align of 3 bytes for 2 channels"),
    "bits over block": (riff([chunk(b"fmt ", struct.pack("<HHIIHH", 1, 2, 44100, 0, 4, 24)), DATA]),
                        "24 bits per sample in 2-byte samples (the block align)"),
    "rf64 without ds64": (riff([FMT, DATA], b"RF64"), "an RF64 file whose first chunk is 'fmt ', not ds64"),
    "ds64 short": (riff([chunk(b"ds64", bytes(20)), FMT, DATA], b"RF64"), "a ds64 chunk of 20 bytes (at least 28)"),
    "ds64 table": (riff([chunk(b"ds64", struct.pack("<QQQI", 0, 0, 0, 3)), FMT, DATA], b"RF64"),
                   "the ds64 chunk lists 3 chunk sizes, its 28 bytes hold 0"),
    "big size without entry": (riff([chunk(b"ds64", struct.pack("<QQQI", 0, 400, 0, 0)), FMT,
                                     b"LIST" + struct.pack("<I", 0xFFFFFFFF), DATA], b"RF64"),
                               "the 'LIST' chunk at byte 72 has size 0xFFFFFFFF and no ds64 entry"),
    "form of other type": (b"FORM" + struct.pack(">I", 4) + b"8SVX", "a FORM file of type '8SVX', not AIFF or AIFF-C"),
    "no comm": (b"FORM" + struct.pack(">I", 4 + 8 + 48) + b"AIFF" + chunk(b"SSND", bytes(48), ">"), "no COMM chunk"),
    "no ssnd": (b"FORM" + struct.pack(">I", 4 + 8 + 18) + b"AIFF" + chunk(b"COMM", COMM16[:18], ">"), "no SSND chunk"),
    "ulaw": (aiff_with_comm(COMM16[:18] + b"ulaw\0\0"),
             "AIFF-C compression 'ulaw' (NONE, twos, sowt, raw , in24, in32, 42ni, fl32 and fl64 are read)"),
    "short comm": (aiff_with_comm(COMM16[:20]), "the COMM chunk has 20 bytes (at least 22)"),
    "ssnd short of frames": (aiff_with_comm(COMM16, struct.pack(">II", 0, 0) + bytes(36)),
                             "the SSND chunk holds 9 sample frames, the COMM chunk says 10"),
    "ssnd offset": (aiff_with_comm(COMM16, struct.pack(">II", 99, 0) + bytes(40)),
                    "the SSND chunk's offset 99 is past its 40 bytes of sound data"),
    "aiff rate": (aiff_with_comm(COMM16[:8] + bytes(10) + b"NONE\0\0"), "a sample rate of 0.0 Hz"),
    "aiff sample size": (aiff_with_comm(COMM16[:6] + struct.pack(">h", 0) + COMM16[8:]), "a sample size of 0 bits (1 to 64 are read)"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_file_is_refused_in_one_precise_line(case):
    data, message = MALFORMED[case]
    with pytest.raises(RebuildError) as err:
        read_layout(data)
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_rebuild_error_is_an_input_error():
    from nlvc_av.errors import InputError

    assert issubclass(RebuildError, InputError) and issubclass(RebuildError, ValueError)


# --- the nlvc-pcm-1 bitstream is a promise ----------------------------------------------------

GOLDEN_INT = bytes.fromhex(
    "00012bfedee7197d0c0c15870ade427abb3d65fbb9388ab93f543fcedd7de3a451d018598f292676f9a61ae06768d4b039ebbfdfb1883939"
    "8318f22b36ad5b3fdd98bec35ac96e6c9184a58e331fe101be4b35fff880b018b4b823934484824c6906855456cc15607a2eba8ad37a1aad"
    "df5a046f3c50402033699d4893dc7311234bd3532dfcf4ab7395aa58ebca4c5b08d1f8ade7113594cd7a95909f84f3af74103866c5bffe2e"
    "a3ea")
GOLDEN_FLOAT = bytes.fromhex(
    "00012c0693f840030fbfac53808c50000160000002c0000174004aabef4dc8bdf8ae5ffde5b92b6888bf4374b33237fb55b2fcc9e960cd9f"
    "f188efe5762a3500d9ba0adab95a6d18ac8d9f08e4d9221b370111f700c056737ee4f0ba10b7be72e271d6e1183fdd870eb56f5fb66a664f"
    "e56a78fc4bd33a32b4ac543f1130951c02b494cde183749a1b9aad51440d2988b59d5bab8b5df1854af8456d36db915d248a6eeed7c62935"
    "46ace0d1b1e13b97ff5836b84cdd42f07d58ae7de4c342a290a49a2161936e51ba82a79ef01cf78bcb2a3afd2d56b92cc7e80c08d960df9a"
    "3861f822195946e4fe9582ad7756673cef9e4bc745a7702e3c421ceca153a258d1e6fd7c18aac774a7ccc2cb1d1e79fe9613c670adbacb5a"
    "ccca92a3e05f8d9a6a519f7981b12d86e84e26afce3ac880bd74265b63797ed82e6c924a21da19cc952a86947668980b46b64b4640ba8c90"
    "5df88d1e166ee3eaeb937df4c6aac92656a5cebd846b238de4a7e8bf32b6514258268000")


def golden_samples():
    t = np.arange(300)
    ints = np.stack([np.round(np.sin(t / 7.0) * 3000) + (t % 5), np.round(np.cos(t / 11.0) * 2000) - (t % 3)], 1)
    floats = (np.sin(t / 5.0) * 0.25).astype(np.float32).view(np.uint32).astype(np.int64)[:, None].copy()
    floats[7:10, 0] = [0x7FC00001, 0x80000000, 1]  # a NaN with a payload, -0.0, a subnormal
    return ints.astype(np.int64), floats


def test_golden_nlvc_pcm_packets_decode_to_their_samples():
    """Packets written by nlvc-pcm-1 when it was made: a change that breaks them is a format
    break (a new codec name), not a refactor."""
    ints, floats = golden_samples()
    assert np.array_equal(pcmcoder.decode_block(GOLDEN_INT, 300, 2, 0), ints)
    assert np.array_equal(pcmcoder.decode_block(GOLDEN_FLOAT, 300, 1, 32), floats)


def test_slices_of_a_long_stream_join_without_a_seam(monkeypatch):
    monkeypatch.setattr(pcmsamples, "SLICE", 2 * sound.FRAMES_PER_PACKET)
    pcm = np.round(tone(20000, 2, 9000)).astype("<i2").tobytes()
    layout = read_layout(riff([chunk(b"fmt ", fmt_body(2, 48000, 16)), chunk(b"data", pcm)]))
    for codec in (FLAC, OWN):
        stream = encode_pcm(layout, pcm, codec)
        assert stream.codec == codec
        assert [p[0] for p in stream.packets] == list(range(0, 20000, 4096))
        assert decode_pcm(codec, stream.extradata, stream.params, stream.packets) == pcm
    with pytest.raises(RebuildError, match="decode to more than 20000 sample frames"):
        decode_pcm(OWN, b"", stream.params, stream.packets + stream.packets[:1])
