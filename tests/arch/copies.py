"""Copy detection: runs of six or more lines of the same shape (names, strings and numbers aside).

Blank lines, comments, docstring-only lines, lone punctuation and imports are passed over, as the
workplace's `duplicates` tool does; so are declarations, which are data and not logic: decorators,
field declarations (``name: Type = default``), dict entries (``"key": value,``) and arguments on lines
of their own (``urn,``, ``title="...",``). A pair is logic written twice, not a record or a call that
happens to have the same kinds of fields. (The stricter `duplicates` tool still lists such pairs.)
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

MIN_LINES = 6
DECLARATION = re.compile(
    r"""^(@.*"""  # a decorator
    r"""|[A-Za-z_]\w*\s*:\s*[^=]*\S.*"""  # a field declaration, with or without its default
    r"""|(\"[^\"]*\"|'[^']*')\s*:\s*.*"""  # a dict entry
    r"""|[\w.\[\]\"']+,"""  # a bare argument
    r"""|[A-Za-z_]\w*=.*,)$"""  # a keyword argument on its own line
)
TOO_COMMON = 8
"""A run standing in more places than this is an idiom (a dict literal, a field list), not a copy."""


@dataclass(frozen=True)
class Place:
    path: Path
    line: int


def shapes(path: Path) -> list[tuple[int, str]]:
    """(line number, shape) of each line that counts."""
    text = path.read_text()
    by_line: dict[int, list[str]] = defaultdict(list)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return []
    for tok in tokens:
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue
        if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
            by_line[tok.start[0]].append("N")
        elif tok.type == tokenize.STRING:
            by_line[tok.start[0]].append("S")
        elif tok.type == tokenize.NUMBER:
            by_line[tok.start[0]].append("0")
        else:
            by_line[tok.start[0]].append(tok.string)
    lines = text.splitlines()
    out = []
    for number, parts in sorted(by_line.items()):
        source = lines[number - 1].strip() if number <= len(lines) else ""
        if (
            source.startswith(("import ", "from "))
            or parts in (["S"],)
            or all(p in "()[]{}:,." for p in parts)
            or (DECLARATION.match(source) and not source.endswith(":") and not keyword.iskeyword(source.split()[0]))
        ):
            continue
        out.append((number, " ".join(parts)))
    return out


def pairs(files: list[Path], min_lines: int = MIN_LINES) -> list[tuple[Place, Place]]:
    """Places where ``min_lines`` consecutive counted lines of one file have the shape of another's."""
    seen: dict[tuple[str, ...], list[Place]] = defaultdict(list)
    for path in files:
        counted = shapes(path)
        for i in range(len(counted) - min_lines + 1):
            window = tuple(shape for _, shape in counted[i : i + min_lines])
            seen[window].append(Place(path, counted[i][0]))
    found: set[tuple[Place, Place]] = set()
    for window, places in seen.items():
        thin = sum(1 for shape in window if len(shape.split()) <= 4)
        if len({p.path for p in places}) > TOO_COMMON or thin * 2 > len(window):
            continue
        first_by_file: dict[Path, Place] = {}
        for place in places:
            first_by_file.setdefault(place.path, place)
        distinct = sorted(first_by_file.values(), key=lambda p: (str(p.path), p.line))
        for i, a in enumerate(distinct):
            for b in distinct[i + 1 :]:
                found.add((a, b))
    return sorted(found, key=lambda ab: (str(ab[0].path), ab[0].line))
