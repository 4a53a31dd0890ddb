"""The decompression bound for PDF streams, checked before any page is read.

A PDF's streams are usually Flate-compressed, and a small file can hold a stream that inflates
to gigabytes. ``check_stream_sizes`` measures every stream by inflating it in chunks and
throwing the output away, so memory stays at one chunk whatever the stream holds::

    sizes = check_stream_sizes(pdf.doc, limits.max_part_bytes, deadline, limits.seconds)
    sizes[4]    # 1843: stream object 4 decodes to 1,843 bytes

Raises ``PartTooLarge`` naming the max_part_bytes bound, BadDocument past the time budget.
"""
from __future__ import annotations

import io
import time
import zlib

from ..errors import BadDocument
from .base import PartTooLarge, megabytes

_CHUNK = 1 << 16


def check_stream_sizes(doc, limit: int, deadline: float, seconds: float) -> dict[int, int]:
    """The decompressed size of every stream in the pdfminer document ``doc``, by object id,
    measured by streaming (never holding more than a chunk). Raises ``PartTooLarge`` naming the
    ``max_part_bytes`` bound when any stream would exceed ``limit``. Objects inside object
    streams are never streams themselves (PDF 1.7, 7.5.7), so only top-level objects are parsed."""
    from pdfminer.pdftypes import PDFStream

    sizes: dict[int, int] = {}
    seen: set[int] = set()
    for xref in doc.xrefs:
        for objid in list(xref.get_objids()):
            if objid in seen:
                continue
            seen.add(objid)
            try:
                strmid, _, _ = xref.get_pos(objid)
                if strmid is not None:
                    continue
                obj = doc.getobj(objid)
            except Exception:     # a damaged object: pdfminer reports it, if it matters, when read
                continue
            if isinstance(obj, PDFStream):
                size = decoded_size(obj, limit)
                if size > limit:
                    raise PartTooLarge(f"stream {objid} would be over {megabytes(limit)} decompressed, "
                                       f"the max_part_bytes bound")
                sizes[objid] = size
            if len(seen) % 256 == 0 and time.monotonic() > deadline:
                raise BadDocument(f"checking stream sizes took longer than the time budget of {seconds:g} s "
                                  f"(doc_seconds)")
    return sizes


def decoded_size(stream, limit: int) -> int:
    """How many bytes ``stream`` decodes to, counting at most ``limit + 1`` of them."""
    from pdfminer.ascii85 import ascii85decode, asciihexdecode
    from pdfminer.lzw import LZWDecoder

    data = stream.rawdata if stream.rawdata is not None else stream.data or b""
    if stream.rawdata is not None and stream.decipher:
        data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
    try:
        filters = stream.get_filters()
    except Exception:
        return len(data)
    for f, _ in filters:
        name = getattr(f, "name", str(f))
        if name in ("ASCIIHexDecode", "AHx"):
            data = asciihexdecode(data)
        elif name in ("ASCII85Decode", "A85"):
            data = ascii85decode(data)
        elif name in ("FlateDecode", "Fl"):
            return _inflated_size(data, limit)
        elif name in ("LZWDecode", "LZW"):
            total = 0
            for piece in LZWDecoder(io.BytesIO(data)).run():
                total += len(piece)
                if total > limit:
                    break
            return total
        elif name in ("RunLengthDecode", "RL"):
            return _run_length_size(data)
        else:                     # image codecs: text extraction never decodes them
            return len(data)
    return len(data)


def _inflated_size(data: bytes, limit: int) -> int:
    inflater, total = zlib.decompressobj(), 0
    try:
        for i in range(0, len(data), _CHUNK):
            chunk = data[i:i + _CHUNK]
            while chunk and total <= limit:
                total += len(inflater.decompress(chunk, _CHUNK))
                chunk = inflater.unconsumed_tail
            if total > limit or inflater.eof:
                break
    except zlib.error:            # damaged data: pdfminer keeps what inflates, and so do we
        pass
    return total


def _run_length_size(data: bytes) -> int:
    total, i, n = 0, 0, len(data)
    while i < n:
        b = data[i]
        if b < 128:
            total, i = total + b + 1, i + b + 2
        elif b > 128:
            total, i = total + 257 - b, i + 2
        else:
            break
    return total
