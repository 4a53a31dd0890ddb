"""Text for PDF pages that have no text layer (scans), through Tesseract when it is installed.

Pages are rendered with pypdfium2 (a pdfplumber dependency, so nothing extra to install) and read
by the ``tesseract`` binary through pytesseract. Nothing is downloaded: Tesseract uses the
language data Debian's ``tesseract-ocr`` package installs (English)::

    if tesseract_available():
        texts, notes = recognise(data, [1, 2], deadline)   # {1: "text of page 2", ...}, warnings
"""
from __future__ import annotations

import math
import shutil
import time

OCR_DPI = 300
MAX_PIXELS = 40_000_000        # a page rendered larger than this is scaled down (about A2 at 300 dpi)
LANGUAGE = "eng"
ENABLE_HINT = "install Tesseract to read their text (apt-get install tesseract-ocr)"


def tesseract_available() -> bool:
    """Whether the ``tesseract`` binary and its Python wrapper are both installed."""
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return False
    return True


def page_ranges(pages: list[int]) -> str:
    """1-based page numbers as a short list: [1, 2, 3, 5] -> "pages 1-3, 5"; [4] -> "page 4"."""
    runs: list[list[int]] = []
    for p in sorted(set(pages)):
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)
    return ("page " if len(pages) == 1 else "pages ") + text


def recognise(data: bytes, pages: list[int], deadline: float) -> tuple[dict[int, str], list[str]]:
    """OCR text of the 0-based ``pages`` of the PDF in ``data``, as {page: text}, and notes on pages
    that could not be read (time budget spent, Tesseract failed). Stops at ``deadline``
    (``time.monotonic()``); each Tesseract run gets the time that is left."""
    import pypdfium2 as pdfium
    import pytesseract

    texts: dict[int, str] = {}
    failed: list[int] = []
    late: list[int] = []
    document = pdfium.PdfDocument(data)
    try:
        for number in pages:
            left = deadline - time.monotonic()
            if left < 1:
                late.append(number + 1)
                continue
            page = document[number]
            try:
                width, height = page.get_size()
                scale = OCR_DPI / 72
                if width * height * scale * scale > MAX_PIXELS:
                    scale = math.sqrt(MAX_PIXELS / max(width * height, 1.0))
                image = page.render(scale=scale, grayscale=True).to_pil()
                texts[number] = pytesseract.image_to_string(image, lang=LANGUAGE, timeout=left)
            except RuntimeError as exc:       # pytesseract's timeout
                (late if "timeout" in str(exc).lower() else failed).append(number + 1)
            except Exception:                 # a page pdfium cannot render or Tesseract rejects
                failed.append(number + 1)
            finally:
                page.close()
    finally:
        document.close()
    notes = []
    if late:
        notes.append(f"{page_ranges(late)} not read by OCR: the time budget (doc_seconds) ran out")
    if failed:
        notes.append(f"{page_ranges(failed)} could not be read by OCR")
    return texts, notes
