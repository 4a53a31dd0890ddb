"""Words as both retrievers and the highlighter see them: the stop-word lists, the stemmer, tokenize.

Passages and questions go through the same ``tokenize``; the list's name is recorded in the
manifest, so an index keeps ranking as built after the default changes.

    >>> tokenize(["Why do unions oppose payment by results?"])
    [['union', 'oppos', 'payment', 'result']]
"""
from __future__ import annotations

import functools

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
STOPWORDS = {"en": "en", "english-function-words": sorted(_FUNCTION_WORDS)}  # name in the manifest -> bm25s
DEFAULT_STOPWORDS = "english-function-words"


@functools.lru_cache(maxsize=1)
def stemmer():
    """The English Snowball stemmer (PyStemmer), loaded once."""
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str], stopwords: str = DEFAULT_STOPWORDS) -> list[list[str]]:
    """Lower-cased, stop words removed, stemmed tokens: the same for passages and questions."""
    import bm25s   # here, not at the top: importing the word rules must not load the index library

    return bm25s.tokenize(texts, lower=True, token_pattern=_TOKEN, stopwords=STOPWORDS[stopwords],
                          stemmer=stemmer(), return_ids=False, show_progress=False)
