"""A generator of random edit histories over real-looking Python files that knows the truth.

Every line carries an id, so after any sequence of edits the truth for an anchor is exact: its lines
are all still there, adjacent, in order and with the same text (intact/moved, at a known range), or
with only whitespace changed (reformatted), or not (stale). Edits are the ones people make: insert,
delete, move and re-indent functions, edit/insert/delete single statements, move a function to another
file, rename a file. Generated text is unique except for deliberately common lines (`return None`,
duplicated function bodies) so that duplicates and one-line anchors are exercised.

With `boilerplate` (issue 10 §5) also: delete whole files, add a blank line inside a function (the
anchor stays, "reformatted"), and add to another file a copy of code deleted in an earlier commit (new
line ids: somebody else's code, which an anchor of the deleted code must never be "moved" onto).
Call `seal()` after each commit: copies are only made of code deleted in a commit already made.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

Line = tuple[int, str]


@dataclass
class Truth:
    status: str  # intact | moved | reformatted | stale
    path: str | None
    start: int | None
    end: int | None


@dataclass
class World:
    rng: random.Random
    ambiguous: bool = True  # duplicated function bodies and common `return None` lines
    boilerplate: bool = False  # file deletions, blank lines inside functions, later copies of deleted code
    files: dict[str, list[Line]] = field(default_factory=dict)
    next_id: int = 0
    graveyard: list[list[str]] = field(default_factory=list)  # text of deleted functions
    sealed: int = 0  # how many of them were deleted in a commit already made

    def seal(self) -> None:
        """A commit was made: what was deleted so far may be copied back (a later, unrelated change)."""
        self.sealed = len(self.graveyard)

    def uid(self) -> int:
        self.next_id += 1
        return self.next_id

    # ---- generation ----------------------------------------------------------------------------
    def statement(self, indent: str = "    ") -> str:
        n = self.uid()
        kind = self.rng.randrange(4)
        if kind == 0:
            return f"{indent}value_{n} = compute_{n}(value, options)"
        if kind == 1:
            return f"{indent}log.debug('step {n}: %s', value)"
        if kind == 2:
            return f"{indent}if value_{n % 7} is None:  # check {n}"
        return f"{indent}result.append(transform_{n}(value))"

    def function(self, bodies: list[list[str]]) -> list[Line]:
        name = f"handle_{self.uid()}"
        if self.ambiguous and bodies and self.rng.random() < 0.2:
            body = list(self.rng.choice(bodies))  # a duplicated body
        else:
            body = [self.statement() for _ in range(self.rng.randint(1, 5))]
            common = self.ambiguous and self.rng.random() < 0.5
            body.append("    return None" if common else f"    return value_{self.uid()}")
            bodies.append(body)
        lines = [f"def {name}(value, options=None):", *body, ""]
        return [(self.uid(), text) for text in lines]

    def module(self, name: str, functions: int) -> list[Line]:
        header = [f'"""The {name} module."""', "", "import logging", "", "log = logging.getLogger(__name__)", ""]
        out = [(self.uid(), text) for text in header]
        bodies: list[list[str]] = []
        for _ in range(functions):
            out += self.function(bodies)
        return out

    # ---- structure -----------------------------------------------------------------------------
    def functions(self, path: str) -> list[tuple[int, int]]:
        """(start, end) indices of each function including its trailing blank line."""
        lines = self.files[path]
        out = []
        i = 0
        while i < len(lines):
            if lines[i][1].startswith("def "):
                j = i
                while j + 1 < len(lines) and lines[j + 1][1] != "":
                    j += 1
                if j + 1 < len(lines):
                    j += 1
                out.append((i, j))
                i = j + 1
            else:
                i += 1
        return out

    def text(self, path: str) -> str:
        return "".join(t + "\n" for _, t in self.files[path])

    # ---- edits ---------------------------------------------------------------------------------
    def edit(self) -> str:
        rng = self.rng
        path = rng.choice(sorted(self.files))
        lines = self.files[path]
        funcs = self.functions(path)
        ops = ["insert_fn", "delete_fn", "edit_line", "edit_line", "ws_line", "ws_fn", "move_fn",
               "move_fn_other", "rename", "insert_line", "delete_line", "insert_top"]
        if self.boilerplate:
            ops += ["delete_file", "blank_line", "add_copy", "add_copy"]
        op = rng.choice(ops)
        body_lines = [i for i, (_, t) in enumerate(lines) if t.startswith("    ")]
        if op == "insert_fn" and funcs:
            at = rng.choice(funcs)[0]
            lines[at:at] = self.function([])
        elif op == "insert_top":
            lines[0:0] = [(self.uid(), f"# note {self.uid()}")]
        elif op == "delete_fn" and len(funcs) > 1:
            a, b = rng.choice(funcs)
            self.graveyard.append([t for _, t in lines[a:b + 1]])
            del lines[a:b + 1]
        elif op == "delete_file" and len(self.files) > 2:
            self.graveyard += [[t for _, t in lines[a:b + 1]] for a, b in funcs]
            del self.files[path]
        elif op == "blank_line" and body_lines:
            i = rng.choice(body_lines)
            if i > 0 and lines[i - 1][1].strip():
                lines.insert(i, (self.uid(), ""))
            else:
                op = "noop"
        elif op == "add_copy" and self.sealed:
            text = rng.choice(self.graveyard[:self.sealed])
            other = rng.choice(sorted(self.files))
            ofuncs = self.functions(other)
            at = rng.choice([f[0] for f in ofuncs] + [len(self.files[other])])
            copy = [(self.uid(), t) for t in text]
            if copy and copy[-1][1] != "":
                copy.append((self.uid(), ""))
            if at == len(self.files[other]) and self.files[other] and self.files[other][-1][1] != "":
                copy.insert(0, (self.uid(), ""))
            self.files[other][at:at] = copy
        elif op == "edit_line" and body_lines:
            i = rng.choice(body_lines)
            lines[i] = (lines[i][0], self.statement())
        elif op == "ws_line" and body_lines:
            i = rng.choice(body_lines)
            uid, t = lines[i]
            variants = [t + "  ", t.replace(" = ", "  =  ", 1), "\t" + t.lstrip(" "), "  " + t]
            new = rng.choice([v for v in variants if v != t] or [t + " "])
            lines[i] = (uid, new)
        elif op == "ws_fn" and funcs:
            a, b = rng.choice(funcs)
            for i in range(a, b + 1):
                if lines[i][1]:
                    lines[i] = (lines[i][0], "    " + lines[i][1])
            lines[a:a] = [(self.uid(), f"class Holder{self.uid()}:")]
        elif op == "move_fn" and len(funcs) > 2:
            a, b = rng.choice(funcs)
            block = lines[a:b + 1]
            del lines[a:b + 1]
            rest = self.functions(path)
            at = rng.choice([f[0] for f in rest] + [len(lines)])
            if at == len(lines) and lines and lines[-1][1] != "":
                lines.append((self.uid(), ""))
            lines[at:at] = block
        elif op == "move_fn_other" and len(self.files) > 1 and len(funcs) > 1:
            a, b = rng.choice(funcs)
            block = lines[a:b + 1]
            del lines[a:b + 1]
            other = rng.choice([p for p in sorted(self.files) if p != path])
            ofuncs = self.functions(other)
            at = rng.choice([f[0] for f in ofuncs] + [len(self.files[other])])
            self.files[other][at:at] = block
        elif op == "rename":
            new = f"pkg/renamed_{self.uid()}.py"
            self.files[new] = self.files.pop(path)
        elif op == "insert_line" and body_lines:
            i = rng.choice(body_lines)
            lines.insert(i + rng.randint(0, 1), (self.uid(), self.statement()))
        elif op == "delete_line" and len(body_lines) > 3:
            i = rng.choice(body_lines)
            if not lines[i][1].lstrip().startswith("return"):
                del lines[i]
        else:
            lines[0:0] = [(self.uid(), f"# note {self.uid()}")]
            op = "insert_top"
        return op

    # ---- anchors and truth ---------------------------------------------------------------------
    def pick_anchor(self) -> tuple[str, int, int, list[Line]]:
        """A random anchor (1-based lines) that starts and ends on non-blank lines.

        Like a person's: a one-line anchor may be any line, a longer one starts at a `def` or at a
        statement, never at the `return` that ends the previous function (whose text, `return None`,
        is shared by many functions: no content can tell it from its twin once that function goes).
        """
        rng = self.rng
        path = rng.choice(sorted(self.files))
        lines = self.files[path]
        nonblank = [i for i, (_, t) in enumerate(lines) if t.strip()]
        while True:
            a = rng.choice(nonblank)
            size = rng.choice([1, 1, 2, 3, 4, 6, 9])
            if size > 1 and lines[a][1].strip().startswith("return"):
                continue
            b = min(len(lines) - 1, a + size - 1)
            while b > a and not lines[b][1].strip():
                b -= 1
            return path, a + 1, b + 1, list(lines[a:b + 1])

    def truth(self, recorded: list[Line], path0: str, start0: int) -> Truth:
        where: dict[int, tuple[str, int]] = {}
        for p, lines in self.files.items():
            for i, (uid, _) in enumerate(lines):
                where[uid] = (p, i)
        pos = [where.get(uid) for uid, _ in recorded]
        if any(p is None for p in pos):
            return Truth("stale", None, None, None)
        paths = {p[0] for p in pos if p}
        idx = [p[1] for p in pos if p]
        if len(paths) != 1 or any(idx[k + 1] <= idx[k] for k in range(len(idx) - 1)):
            return Truth("stale", None, None, None)
        path = paths.pop()
        gaps = [i for k in range(len(idx) - 1) for i in range(idx[k] + 1, idx[k + 1])]
        if any(self.files[path][i][1].strip() for i in gaps):
            return Truth("stale", None, None, None)  # lines of code inserted inside the range
        now = [self.files[path][i][1] for i in idx]
        then = [t for _, t in recorded]
        if gaps:
            return Truth("reformatted", path, idx[0] + 1, idx[-1] + 1)  # only blank lines inserted inside
        if now != then:
            if ["".join(t.split()) for t in now] == ["".join(t.split()) for t in then]:
                return Truth("reformatted", path, idx[0] + 1, idx[-1] + 1)
            return Truth("stale", None, None, None)
        if path == path0 and idx[0] + 1 == start0:
            return Truth("intact", path, idx[0] + 1, idx[-1] + 1)
        return Truth("moved", path, idx[0] + 1, idx[-1] + 1)


def new_world(seed: int, files: int = 3, functions: int = 8, ambiguous: bool = True,
              boilerplate: bool = False) -> World:
    world = World(random.Random(seed), ambiguous, boilerplate)
    for k in range(files):
        world.files[f"pkg/mod_{k}.py"] = world.module(f"mod_{k}", functions)
    return world
