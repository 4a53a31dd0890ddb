"""Kept only for ``build.py``'s import of ``EXTRACT_VERSION``: reading moved to ``search.readers``.

``EXTRACT_VERSION`` is now every reader's version, so a build whose manifest recorded other
versions reads its documents again. Delete this module once build.py records
``search.readers.READER_VERSIONS`` itself (and re-reads only the formats whose version changed).
"""
from .readers import READER_VERSIONS

EXTRACT_VERSION = {suffix: READER_VERSIONS[suffix] for suffix in sorted(READER_VERSIONS)}
