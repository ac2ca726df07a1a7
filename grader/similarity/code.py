"""Code fingerprints that survive renaming, reformatting, comments, docstrings, quote
style and reordered imports: winnowing (Schleimer, Wilkerson and Aiken, 2003) over
Python tokens in which every name the student chose and every literal is abstracted.

Only Python's own ``tokenize`` and ``ast`` are used: the code is read as text, never run.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import tokenize
import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

K = 12  # tokens per k-gram: shorter runs (`model.add(layers.Dense(`) are everyone's
WINDOW = 8  # winnowing window: every match of K + WINDOW - 1 tokens leaves a fingerprint
NAME, NUMBER, STRING = "V", "N", "S"  # what chosen names and literals become
CLOSERS = {")", "]", "}"}
BUILTINS = frozenset(dir(builtins))
FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12 splits f-strings
FSTRING_END = getattr(tokenize, "FSTRING_END", None)


@dataclass(frozen=True)
class Source:
    """One piece of code as the student wrote it: a notebook cell or a whole module."""

    label: str  # "cell 3", or "" for a module
    text: str


@dataclass(frozen=True)
class Code:
    """A submission's code for display, and its fingerprints.

    ``kgrams``: every k-gram's hash with the display lines (0-based, inclusive) it spans,
    for highlighting; ``fingerprints``: the winnowed hashes that are compared."""

    lines: tuple[str, ...]
    headers: frozenset[int]  # display lines that are cell labels, not code
    kgrams: tuple[tuple[int, int, int], ...]
    fingerprints: frozenset[int]


@dataclass(frozen=True)
class _Names:
    """Names the student chose: renaming them is the first disguise."""

    bound: frozenset[str]  # variables, functions, classes, parameters, import aliases
    params: frozenset[str]  # parameters of the student's own functions
    attributes: frozenset[str]  # attributes the student assigns (self.conv1 = ...)


def strip_magics(text: str) -> str:
    """IPython lines (``!pip``, ``%matplotlib``, ``%%time``) blanked, so cells tokenize and
    line numbers stay."""
    return "\n".join(
        "" if line.lstrip().startswith(("!", "%")) else line for line in text.split("\n")
    )


def chosen_names(texts: Iterable[str]) -> _Names | None:
    """The names bound by the student's code in every piece that parses (a half-written
    cell must not change how the rest reads); None when no piece parses (then every
    unknown name is abstracted)."""
    bound: set[str] = set()
    params: set[str] = set()
    attributes: set[str] = set()
    parsed = False
    for text in texts:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        parsed = True
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
                params.add(node.arg)
            elif isinstance(node, ast.alias) and node.asname:
                bound.add(node.asname)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                attributes.add(node.attr)
    if not parsed:
        return None
    return _Names(frozenset(bound), frozenset(params), frozenset(attributes))


def _raw_tokens(text: str) -> list[tokenize.TokenInfo]:
    """Tokens up to the first one Python cannot read (broken code still has fingerprints)."""
    found: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            found.append(tok)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return found


def _significant(tokens: Sequence[tokenize.TokenInfo]) -> list[tokenize.TokenInfo]:
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
    return [t for t in tokens if t.type not in skip]


def normalise(text: str, names: _Names | None) -> list[tuple[str, int, int]]:
    """``text`` as (token, first line, last line) with chosen names, numbers and strings
    abstracted; comments, docstrings, imports and trailing commas gone."""
    toks = _significant(_raw_tokens(strip_magics(text)))
    out: list[tuple[str, int, int]] = []
    depth, i, at_start = 0, 0, True
    while i < len(toks):
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if at_start and tok.type == tokenize.NAME and tok.string in ("import", "from"):
            while i < len(toks) and toks[i].type != tokenize.NEWLINE:
                i += 1  # an import: its place and order are no evidence
            i += 1
            continue
        if tok.type == tokenize.STRING or tok.type == FSTRING_START:
            end = i
            while True:  # one string: adjacent pieces and a 3.12 f-string's parts
                if toks[end].type == FSTRING_START:
                    level = 0
                    while end < len(toks):
                        level += {FSTRING_START: 1, FSTRING_END: -1}.get(toks[end].type, 0)
                        if level == 0:
                            break
                        end += 1
                if end + 1 < len(toks) and toks[end + 1].type in (tokenize.STRING, FSTRING_START):
                    end += 1
                    continue
                break
            after = toks[end + 1] if end + 1 < len(toks) else None
            if at_start and (after is None or after.type == tokenize.NEWLINE):
                i = end + 2  # a docstring or a bare string: a comment by another name
                continue
            out.append((STRING, tok.start[0], toks[end].end[0]))
            i, at_start = end + 1, False
            continue
        at_start = tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        line = tok.start[0]
        if tok.type == tokenize.NEWLINE:
            out.append((";", line, line))
        elif tok.type == tokenize.INDENT:
            out.append(("{", line, line))
        elif tok.type == tokenize.DEDENT:
            out.append(("}", line, line))
        elif tok.type == tokenize.NUMBER:
            out.append((NUMBER, line, line))
        elif tok.type == tokenize.NAME:
            out.append((_name(tok.string, out, nxt, depth, names), line, line))
        elif tok.type == tokenize.OP:
            depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(tok.string, 0)
            if not (tok.string == "," and nxt is not None and nxt.string in CLOSERS):
                out.append((tok.string, line, line))
        else:
            out.append((tok.string, line, line))
        i += 1
    return out


def _name(
    word: str,
    before: list[tuple[str, int, int]],
    nxt: tokenize.TokenInfo | None,
    depth: int,
    names: _Names | None,
) -> str:
    """A name kept when the student did not choose it (keywords, builtins, library API,
    keyword arguments of library calls), else abstracted."""
    if keyword.iskeyword(word):
        return word
    if before and before[-1][0] == ".":
        return NAME if names is not None and word in names.attributes else word
    keyword_argument = depth > 0 and nxt is not None and nxt.string == "="
    if names is None:
        return word if keyword_argument or word in BUILTINS else NAME
    if keyword_argument:
        return NAME if word in names.params else word
    return NAME if word in names.bound else word


def kgrams(tokens: Sequence[tuple[str, int, int]], k: int = K) -> list[tuple[int, int, int]]:
    """Each k-gram's hash (deterministic across runs) and the lines it spans."""
    ids = [zlib.crc32(t.encode()) for t, _, _ in tokens]
    return [
        (hash(tuple(ids[i : i + k])), tokens[i][1], tokens[i + k - 1][2])
        for i in range(len(ids) - k + 1)
    ]


def winnow(hashes: Sequence[int], window: int = WINDOW) -> list[int]:
    """Robust winnowing: the rightmost smallest hash of every window, each position once."""
    if len(hashes) <= window:
        return [min(range(len(hashes)), key=lambda i: (hashes[i], -i))] if hashes else []
    chosen: list[int] = []
    queue: deque[int] = deque()  # positions with increasing hashes: the window's minimum first
    for i, h in enumerate(hashes):
        while queue and hashes[queue[-1]] >= h:
            queue.pop()
        queue.append(i)
        if queue[0] <= i - window:
            queue.popleft()
        if i >= window - 1 and (not chosen or chosen[-1] != queue[0]):
            chosen.append(queue[0])
    return chosen


def _pieces(sources: Sequence[Source]) -> tuple[list[str], set[int], list[int]]:
    """Display lines (a label line before each cell) and where each piece starts."""
    lines: list[str] = []
    headers: set[int] = set()
    starts: list[int] = []
    for source in sources:
        if source.label:
            headers.add(len(lines))
            lines.append(f"# {source.label}")
        starts.append(len(lines))
        lines.extend(source.text.split("\n"))
    return lines, headers, starts


def fingerprint(sources: Sequence[Source], excluded: frozenset[int] = frozenset()) -> Code:
    """A submission's code and fingerprints; ``excluded``: hashes of the template and
    starter code, never evidence."""
    names = chosen_names(strip_magics(s.text) for s in sources)
    lines, headers, starts = _pieces(sources)
    tokens: list[tuple[str, int, int]] = []
    for source, start in zip(sources, starts, strict=True):
        # lines are 1-based within a piece; shift them to 0-based display lines
        tokens += [(t, start + a - 1, start + b - 1) for t, a, b in normalise(source.text, names)]
    spans = kgrams(tokens)
    hashes = [h for h, _, _ in spans]
    picked = {hashes[i] for i in winnow(hashes)} - excluded
    return Code(tuple(lines), frozenset(headers), tuple(spans), frozenset(picked))


def all_hashes(sources: Sequence[Source]) -> frozenset[int]:
    """Every k-gram of some code (a template, a starter): all of it is excluded, not just
    its winnowed part, so no fingerprint of it survives in a submission."""
    return frozenset(h for h, _, _ in fingerprint(sources).kgrams)


def matching_lines(code: Code, shared: frozenset[int] | set[int]) -> set[int]:
    """Display lines covered by a k-gram whose hash the other side has too."""
    lines: set[int] = set()
    for h, first, last in code.kgrams:
        if h in shared:
            lines.update(range(first, last + 1))
    return lines - code.headers
