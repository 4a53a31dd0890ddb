"""Plain text: the file decoded, with one newline per line end; headings are left to the detector.

A clean UTF-8 file is stored exactly as it is. A byte-order mark is dropped (never part of a
title or heading), CRLF and CR-only line ends become ``\\n`` (so lines count right), UTF-16 and
UTF-32 with a byte-order mark are decoded by it, and text that is not UTF-8 is decoded with the
legacy encoding charset-normalizer detects; ``ReadResult.encoding`` then names it::

    >>> r = read("Caf\\xe9 menu\\r\\n\\r\\nTea and caf\\xe9 au lait for two.\\r\\n".encode("cp1252"))
    >>> (r.text, r.encoding)
    ('Café menu\\n\\nTea and café au lait for two.\\n', 'cp1252')

Binary data (NUL characters in the decoded text) is refused.
"""
from __future__ import annotations

import codecs

from ..errors import BadDocument
from ..settings import DocumentLimits
from .base import ReadResult

SUFFIXES = (".txt",)
REQUIRES = "charset-normalizer"   # only for text that is not UTF-8
VERSION = 2                       # 2: BOM dropped, CR and CRLF line ends as \n, legacy encodings decoded

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): the encoding is "" for UTF-8 (with or without a BOM), else its name.

    Raises BadDocument for binary data or bytes no encoding fits.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(name)
            except UnicodeDecodeError as exc:
                raise BadDocument(f"not valid {name} text after its byte-order mark (byte {exc.start}: {exc.reason})") from exc
            return _text(text), "" if name.startswith("utf-8") else name
    try:
        return _text(data.decode("utf-8")), ""
    except UnicodeDecodeError as exc:
        if b"\x00" in data:
            raise BadDocument("binary data in a text file (NUL bytes)") from None
        return _legacy(data, exc)


def _text(text: str) -> str:
    if "\x00" in text:
        raise BadDocument("binary data in a text file (NUL bytes)")
    return text.lstrip("\ufeff") if text.startswith("\ufeff") else text


def _legacy(data: bytes, error: UnicodeDecodeError) -> tuple[str, str]:
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    matches = list(from_bytes(data))
    if not matches:
        raise BadDocument(f"not UTF-8 text (byte {error.start}: {error.reason}) and no legacy encoding fits")
    # Short files fit several code pages about equally well and the detector's pick among them is
    # arbitrary (cp775 for English with curly quotes, mac-cyrillic for Russian). Among the fits
    # as clean as the best, prefer Windows-1252, then other Windows code pages, then ISO 8859.
    best = matches[0]
    fits = [m for m in matches if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.1]
    names = [codecs.lookup(n).name for m in fits for n in [m.encoding, *m.could_be_from_charset]]
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and ("cp1252" in names or mess_ratio(western) <= best.chaos + 0.1):
        rival = _other_windows_page(fits, data, western)
        return (_text(data.decode(rival)), rival) if rival else (_text(western), "cp1252")
    name = min(names, key=lambda n: (not n.startswith("cp125"), not n.startswith("iso8859"), names.index(n)))
    return _text(data.decode(name)), name


def _other_windows_page(fits, data: bytes, western: str) -> str:
    """Another Windows code page the detector finds more coherent than Windows-1252, when it reads
    the bytes differently ("Žilině" in Windows-1250, "Žilinì" in 1252); "" when 1252 stands.

    Code pages that decode the bytes to the same text are the same answer, so 1252 keeps the name.
    Coherence is charset-normalizer's language-fit score (0..1); 0.02 keeps near ties with 1252.
    """
    western_fit = max((m.coherence for m in fits if codecs.lookup(m.encoding).name == "cp1252"), default=0.0)
    for match in fits:
        name = codecs.lookup(match.encoding).name
        if not name.startswith("cp125") or name == "cp1252" or match.coherence <= western_fit + 0.02:
            continue
        try:
            if data.decode(name) != western:
                return name
        except UnicodeDecodeError:
            continue
    return ""


def normalise_lines(text: str) -> str:
    """CRLF and CR-only line ends as ``\\n``; any other text is unchanged."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read(data: bytes, limits: DocumentLimits = DocumentLimits()) -> ReadResult:
    """The decoded text with ``\\n`` line ends; BadDocument for binary or undecodable data."""
    text, encoding = decode(data)
    return ReadResult(normalise_lines(text), encoding=encoding)
