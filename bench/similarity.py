"""What similarity costs for a large class: N synthetic submissions (default 1000),
mutated copies of the bundled examples, compared by code and by model.

Each submission starts from one of the examples (modules and notebooks) and gets what
students and copiers do to code: every chosen name renamed, imports shuffled, a layer's
width changed, its own lines inserted (prints, a helper, a note) and some statements
moved. A few are disguised copies of another submission (renamed, imports shuffled,
comments changed): the bench says where they rank. Model signals are synthetic result
dicts (a family's architecture, a hash per submission except for the copies). Times
writing the files into a folder and calling ``grader similarity`` on it (collecting,
fingerprinting, comparing, similarity.csv and similarity.html), and the comparison
alone. Prints figures; asserts nothing.

Usage: python bench/similarity.py [--n 1000] [--copies 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import io
import json
import keyword
import random
import subprocess
import sys
import tempfile
import time
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import assignment, collect  # noqa: E402
from grader.similarity import code, pairs, sources  # noqa: E402

EXAMPLES = ROOT / "assignments" / "cifar10_cnn" / "examples"
NUMPY = ["abs", "sqrt", "exp", "log1p", "tanh", "sort", "cumsum", "diff", "ravel", "round"]
METHODS = ["copy", "flatten", "squeeze", "transpose", "cumprod", "argsort", "conj", "ravel"]
WORDS = ["alpha", "beta", "gamma", "delta", "net", "feats", "head", "block", "stage", "width"]


def _rename(text: str, rng: random.Random) -> str:
    """Every name the code binds, renamed consistently (what a copier does first)."""
    names = code.chosen_names([code.strip_magics(text)])
    if names is None:
        return text
    chosen = {n: f"{rng.choice(WORDS)}_{i}" for i, n in enumerate(sorted(names.bound))}
    out: list[tuple[int, str]] = []
    previous = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            word = tok.string
            name = tok.type == tokenize.NAME and not keyword.iskeyword(word)
            if name and word in chosen and previous != ".":
                word = chosen[word]
            out.append((tok.type, word))  # without positions: new lengths stay valid code
            previous = tok.string
    except (tokenize.TokenError, IndentationError):
        return text
    return tokenize.untokenize(out)


def _mutate(text: str, rng: random.Random, i: int) -> str:
    """A student's own version of an example: renamed, imports shuffled, a width
    changed, lines inserted and moved."""
    lines = _rename(text, rng).split("\n")
    imports = [n for n, line in enumerate(lines) if line.startswith(("import ", "from "))]
    moved = [lines[n] for n in imports]
    rng.shuffle(moved)
    for n, line in zip(imports, moved, strict=True):
        lines[n] = line
    for _ in range(rng.randint(2, 6)):
        at = rng.randrange(len(lines) + 1)
        indent = lines[at - 1][: len(lines[at - 1]) - len(lines[at - 1].lstrip())] if at else ""
        lines.insert(at, indent + rng.choice(_inserted(i, rng)))
    width = rng.choice(["16", "24", "48", "96", "128", "256"])
    return "\n".join(lines).replace("64", width, rng.randint(0, 2))


def _inserted(i: int, rng: random.Random) -> list[str]:
    n = rng.randint(0, 999)
    return [
        f"print('run {i}', {n})",
        f"# student {i}: note {n}",
        f"seen_{n} = [{n} * k for k in range({rng.randint(2, 9)})]",
        f"assert {n} >= 0, 'check {i}'",
        "pass",
    ]


def _helper(i: int, rng: random.Random) -> str:
    """A student's own function: library calls in an order of its own (names a student
    does not choose are kept by the fingerprints, so this is what tells students apart)."""
    calls = [f"np.{f}(v)" for f in NUMPY] + [f"v.{m}()" for m in METHODS]
    body = "".join(
        f"    v = {rng.choice(calls)}{rng.choice(['', ' + 1', ' * v', ' - v.mean()'])}\n"
        for _ in range(rng.randint(4, 9))
    )
    return f"\n\ndef helper_{i}(v):\n{body}    return v\n"


def _examples() -> list[str]:
    """The examples' code as module text (a notebook's code cells joined)."""
    scratch = Path(tempfile.mkdtemp())
    texts = []
    for path in sorted(EXAMPLES.iterdir()):
        found = sources.sources_of(collect.one(path, scratch))
        texts.append("\n\n".join(code.strip_magics(s.text) for s in found))
    return texts


def make_class(folder: Path, n: int, copies: int, rng: random.Random) -> list[tuple[str, str]]:
    """N submissions written into ``folder``; the (copy, original) pairs planted."""
    bases = _examples()
    texts = []
    for i in range(n - copies):
        texts.append(_mutate(rng.choice(bases), rng, i) + _helper(i, rng))
    planted = []
    for _ in range(copies):
        source = rng.randrange(len(texts))
        copy = _rename(texts[source], rng).replace("# student", "# mine")
        texts.append(copy)
        planted.append((f"s{len(texts) - 1:04d}", f"s{source:04d}"))
    for i, text in enumerate(texts):
        (folder / f"s{i:04d}.py").write_text(text)
    return planted


def fake_results(out: Path, n: int, planted: list[tuple[str, str]], rng: random.Random) -> None:
    """Stored results: a family architecture each, identical predictions for the copies."""
    copied = dict(planted)
    for i in range(n):
        sid = f"s{i:04d}"
        prediction = f"{rng.getrandbits(256):064x}"
        if sid in copied:
            prediction = f"copy-of-{copied[sid]}"
        if sid in copied.values():
            prediction = f"copy-of-{sid}"
        result = {
            "submission": sid,
            "status": "graded",
            "architecture_fingerprint": f"arch{rng.randrange(40)}",
            "prediction_hash": prediction,
        }
        (out / sid).mkdir(parents=True, exist_ok=True)
        (out / sid / "result.json").write_text(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "class", Path(tmp) / "out"
        folder.mkdir()
        started = time.perf_counter()
        planted = make_class(folder, args.n, args.copies, rng)
        fake_results(out, args.n, planted, rng)
        print(f"made {args.n} submissions in {time.perf_counter() - started:.1f} s")

        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        started = time.perf_counter()
        subs, _ = collect.collect([str(folder)], scratch)
        excluded, _ = sources.excluded_hashes(assignment.load("cifar10_cnn"), [], scratch)
        entries = sources.entries(subs, sources.stored_results(out), excluded)
        fingerprinted = time.perf_counter() - started
        started = time.perf_counter()
        found = pairs.compare(entries)
        compared = time.perf_counter() - started
        naive = len(entries) * (len(entries) - 1) // 2
        print(
            f"collect + fingerprint: {fingerprinted:.2f} s "
            f"({sum(len(e.code.fingerprints) for e in entries if e.code) / len(entries):.0f}"
            " fingerprints per submission)"
        )
        print(f"compare (inverted index): {compared:.2f} s for {naive:,} possible pairs")

        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "grader", "similarity", str(folder), "--out", str(out)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        print(f"grader similarity, end to end: {time.perf_counter() - started:.2f} s")
        print("  " + (done.stdout.strip() or done.stderr.strip()[-500:]))

        rank = {frozenset((p.a, p.b)): n for n, p in enumerate(found.pairs, 1)}
        code_only = sorted(found.pairs, key=lambda p: -(p.code_similarity or 0))
        code_rank = {frozenset((p.a, p.b)): n for n, p in enumerate(code_only, 1)}
        for copy, original in planted:
            key = frozenset((copy, original))
            pair = next((p for p in found.pairs if frozenset((p.a, p.b)) == key), None)
            where = (
                f"rank {rank[key]}, by code alone {code_rank[key]}, code {pair.code_similarity:.2f}"
                if pair
                else "not listed"
            )
            print(f"  planted copy {copy} of {original}: {where}")
        listed = [p.code_similarity for p in found.pairs if p.code_similarity is not None]
        print(
            f"pairs listed {len(found.pairs)}, flagged {sum(p.flagged for p in found.pairs)}, "
            f"clusters {len(found.clusters)}, idiom fingerprints {found.common_fingerprints}, "
            f"shared architectures {sum(c.kind == 'architecture' for c in found.common)}; "
            f"median listed code similarity {sorted(listed)[len(listed) // 2] if listed else 0}"
        )


if __name__ == "__main__":
    main()
