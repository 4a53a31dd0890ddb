"""Words as both retrievers and the highlighter see them: the stop-word lists, the stemmer, tokenize.

Passages and questions go through the same ``tokenize``; the tokenizer's name is recorded in the
manifest (as its ``stopwords``), so an index keeps ranking as built after the default changes.

``TOKENIZER_VERSION`` (the default) reads text after Unicode folding (NFKC, case folding, curly
apostrophes straightened: ``ﬁ``, full-width letters and ``ŵ`` typed as ``w`` plus an accent all
match) and keeps identifiers and figures as tokens besides their parts: a label word and the
number or letter after it (``Recommendation 3`` -> ``recommend_3``, ``Plan B`` -> ``plan_b``),
codes joined by slashes or hyphens with a digit (``CP1/2013``, ``HB/2024/03``), and figures with
a unit, a sign or a decimal point (``7%``, ``£1.5bn`` and ``1.5bn``).

    >>> tokenize(["Why do unions oppose payment by results?"])
    [['union', 'oppos', 'payment', 'result']]
    >>> tokenize(["Recommendation 3: fees rose 7% (CP1/2013)"])
    [['recommend', 'fee', 'rose', 'cp1', '2013', 'recommend_3', 'cp1/2013', '7%']]

The older names (``en``, ``english-function-words``) keep the tokenizer they were built with.
Every pattern here starts only at a word's first character, so tokenizing is linear in the text.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator

_TOKEN = r"(?u)\b\w\w+\b"

# English function words (NLTK's list plus modal verbs): questions are full of them ("what could
# ... most likely ...") and BM25 should match the words that carry the question's content.
_FUNCTION_WORDS = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
hers herself it its itself they them their theirs themselves what which who whom this that these
those am is are was were be been being have has had having do does did doing a an the and but if or
because as until while of at by for with about against between into through during before after
above below to from up down in out on off over under again further then once here there when where
why how all any both each few more most other some such no nor not only own same so than too very
can will just don should now could would might must shall may also aren couldn didn doesn hadn hasn
haven isn mightn mustn needn shan shouldn wasn weren wouldn
""".split())
TOKENIZER_VERSION = "english-function-words+identifiers-1"
STOPWORDS = {"en": "en", "english-function-words": sorted(_FUNCTION_WORDS),   # name in the manifest -> list
             TOKENIZER_VERSION: sorted(_FUNCTION_WORDS)}
DEFAULT_STOPWORDS = TOKENIZER_VERSION

APOSTROPHES = ("’", "‘", "ʼ", "′", "`")
_WORD = re.compile(r"\w\w+")
# a label word, white space, then a short number or a letter: "Recommendation 3", "Question C4", "Plan B"
_LABELLED = re.compile(r"(?<![\w'/\-])([^\W\d_]{2,})[ \t\u00a0]+(\d{1,3}(?:\.\d{1,3})*[a-z]?|[A-Za-z]\d{0,3})"
                       r"(?![\w%£$€'/\-]|[.,]\d)")
# codes joined by slashes or hyphens: "CP1/2013", "HB/2024/03", "COVID-19" (kept when a part has a digit)
_CODE = re.compile(r"(?<![\w/\-])\w+(?:[/\-]\w+)+")
# figures with a sign, a unit, a decimal point or thousands: "7%", "£1.5bn", "1,200", "3.5m"
_FIGURE = re.compile(r"(?<![\w.,])([£$€]?)(\d+(?:,\d{3})*(?:\.\d+)?)(%|[a-z]{1,3}\b)?")


@functools.lru_cache(maxsize=1)
def stemmer():
    """The English Snowball stemmer (PyStemmer), loaded once."""
    import Stemmer

    return Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return stemmer().stemWord(word)


def fold(text: str) -> str:
    """Text as matching compares it: NFKC, case-folded, curly apostrophes straight.

    Offsets may move (``ﬁ`` becomes two letters); use ``fold_map`` to map them back.
    """
    if text.isascii():
        return text.lower()
    return nfkc(text).casefold()


def nfkc(text: str) -> str:
    """NFKC with curly apostrophes straightened, case kept."""
    for a in APOSTROPHES:
        if a in text:
            text = text.replace(a, "'")
    return unicodedata.normalize("NFKC", text)


def word_spans(folded: str) -> Iterator[tuple[str, int, int]]:
    """(word, start, end) of the words (two or more word characters) of folded text, to stem."""
    for m in _WORD.finditer(folded):
        yield m.group(), m.start(), m.end()


def identifier_terms(folded: str, original: str | None = None) -> Iterator[tuple[str, int, int]]:
    """(term, start, end) of the identifiers and figures of folded text, kept whole and unstemmed.

    ``original``, the same text folded only by ``nfkc`` (case kept), tells a capital letter label
    ("Plan A") from the article ("a plan"); without it no lone "a" or "i" follows a label.
    """
    cased = original if original is not None and len(original) == len(folded) else None
    for m in _LABELLED.finditer(folded):
        label, ident = m.group(1), m.group(2)
        if label in _FUNCTION_WORDS:
            continue
        if ident in ("a", "i") and (cased is None or not cased[m.start(2)].isupper()):
            continue
        yield f"{_stem(label)}_{ident}", m.start(), m.end()
    if "/" in folded or "-" in folded:
        for m in _CODE.finditer(folded):
            if any(c.isdigit() for c in m.group()):
                yield m.group(), m.start(), m.end()
    for m in _FIGURE.finditer(folded):
        sign, number, unit = m.groups()
        if sign or unit or "." in number or "," in number:
            plain = number.replace(",", "") + (unit or "")
            yield sign + plain, m.start(), m.end()
            if sign:
                yield plain, m.start(1) + 1, m.end()


def is_identifier(term: str) -> bool:
    """Whether a token is an identifier or figure kept whole ("recommend_3", "cp1/2013", "7%", "£1.5bn")."""
    return any(c in term for c in "_/-%£$€.,")


def _terms(text: str) -> tuple[list[str], list[str]]:
    """(content words to stem, identifier and figure terms) of one text."""
    cased = text if text.isascii() else nfkc(text)
    folded = cased.lower() if text.isascii() else cased.casefold()
    words = [w for w in _WORD.findall(folded) if w not in _FUNCTION_WORDS]
    return words, [t for t, _, _ in identifier_terms(folded, cased)]


def tokenize(texts: list[str], stopwords: str = DEFAULT_STOPWORDS) -> list[list[str]]:
    """Lower-cased, stop words removed, stemmed tokens: the same for passages and questions."""
    if stopwords != TOKENIZER_VERSION:   # an index built before identifiers: its own tokenizer
        import bm25s   # here, not at the top: importing the word rules must not load the index library

        return bm25s.tokenize(texts, lower=True, token_pattern=_TOKEN, stopwords=STOPWORDS[stopwords],
                              stemmer=stemmer(), return_ids=False, show_progress=False)
    parts = [_terms(t) for t in texts]
    vocab = list({w for words, _ in parts for w in words})
    stems = dict(zip(vocab, stemmer().stemWords(vocab)))   # each distinct word stemmed once
    return [[stems[w] for w in words] + extra for words, extra in parts]
