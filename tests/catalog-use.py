#!/usr/bin/env python3
"""catalog-use.py: each journald catalog entry matches how its MESSAGE_ID
is used (issue 12 item 3).

  catalog-use.py SOURCE_ROOT

Reads include/base/log.h (the LOG_MID_* ids), systemd/approvald.catalog
(the entries) and src/*.c (the uses: every LOG_MID_* outside comments, in
a log_event() call or passed to a function that logs with it), and checks:

 1. every LOG_MID_* has exactly one catalog entry and every entry is a
    LOG_MID_* (no typo in an id, no entry for a removed id);
 2. every LOG_MID_* is used somewhere in src/;
 3. a log_event() whose MESSAGE_ID is not a LOG_MID_* macro (a variable) is
    in a RELAY function below, which logs for its callers, and a LOG_MID_*
    handed to one of our functions goes to a RELAY (a library call such as
    printf() is no use of it: `stats` prints an id for journalctl);
 4. start versus reload: the start path (daemon_start() and every function
    it calls, transitively, relays excepted) uses LOG_MID_CONFIG and never
    LOG_MID_RELOAD; the reload path (on_reload_signal() likewise) uses
    LOG_MID_RELOAD and never LOG_MID_CONFIG nor LOG_MID_START;
 5. fields: a @FIELD@ in an entry's text is set by every direct use (the
    fields argument is not NULL and the function sets .field); a field
    named bare in the text (HTTP_STATUS, RULE...) is set by at least one
    use;
 6. words: each entry's text holds the REQUIRED words of the table below,
    which state what its uses say (the CYCLE entry must explain the cycle
    cut at its bound, because on_deadline() logs that under it), and none
    of its FORBIDDEN words (the start entry must not promise that "the
    running rules stay in force").  A new LOG_MID_* needs a row here.

Limits, as it is a mechanical check: it reads C with regular expressions
(functions are found by their braces at column 0, as clang-format leaves
them); calls through function pointers are not followed (a signal handler
is its own path, which is what we want here); a field set on one branch
only counts as set; and the words only say that the text mentions a case,
not that it explains it well.  When it fails on purpose (a new use), read
the catalog entry, fix whichever of the text or the use is wrong, and
update the tables.
Exits 0 when everything is consistent, 1 listing each problem.
"""
import os
import re
import sys

# Entry words: what the text must (REQUIRED) and must not (FORBIDDEN) say,
# compared case-insensitively with runs of white space as one space.
REQUIRED = {
    "LOG_MID_START": ["ready"],
    "LOG_MID_STOP": ["stopping"],
    "LOG_MID_RELOAD": ["reload", "stay in force"],
    "LOG_MID_CONFIG": ["did not start", "FILE:LINE:COLUMN"],
    "LOG_MID_JOURNAL": ["cut off", "76"],
    "LOG_MID_CYCLE": ["poll cycle", "bound"],
    "LOG_MID_DECISION": ["decided"],
    "LOG_MID_OUTCOME": ["answered"],
    "LOG_MID_CONFLICT": ["409", "not found"],
    "LOG_MID_LINK_REFUSED": ["base_url", "holds the order"],
    "LOG_MID_API_ERROR": ["401", "429"],
    "LOG_MID_ORDER_PROBLEM": ["stays pending"],
    "LOG_MID_DECIDED_ELSEWHERE": ["portal"],
    "LOG_MID_SYNC": ["approved orders"],
    "LOG_MID_MANUAL": ["by hand", "manual:LOGIN"],
    "LOG_MID_TIMEOUT": ["timeout:AFTER", "synced before", "stays held"],
    "LOG_MID_REMINDER": ["once per order", "restart"],
}
FORBIDDEN = {
    "LOG_MID_CONFIG": ["stay in force", "running rules", "reloaded"],
    "LOG_MID_RELOAD": ["did not start"],
    "LOG_MID_START": ["did not start"],
}
# Functions that take a MESSAGE_ID from their caller and log with it.
RELAYS = {"load_config", "log_config_errors"}
START, RELOAD = "daemon_start", "on_reload_signal"
# journald fields a catalog text may name, and struct log_fields' members.
FIELDS = {"ORDER_ID", "CUSTOMER_ID", "DECISION", "RULE", "REASON", "AMOUNT", "CURRENCY",
          "OUTCOME", "MODE", "HTTP_STATUS", "API_ERROR"}


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def message_ids(root):
    return dict(re.findall(r'#define (LOG_MID_\w+) "([0-9a-f]{32})"',
                           read(root, "include/base/log.h")))


def catalog(root):
    """id -> (line, text of the entry: its headers and body)"""
    entries, cur = {}, None
    for n, line in enumerate(read(root, "systemd/approvald.catalog").split("\n"), 1):
        m = re.match(r"-- ([0-9a-fA-F]+)\s*$", line)
        if m:
            cur = m.group(1)
            if cur in entries:
                raise SystemExit(f"catalog line {n}: a second entry for {cur}")
            entries[cur] = [n, ""]
        elif cur and not line.startswith("#"):
            entries[cur][1] += line + "\n"
    return {k: (v[0], v[1]) for k, v in entries.items()}


def blank(m):
    """Keeps a comment's or a string's newlines, blanks the rest."""
    s = m.group(0)
    if s.startswith('"') or s.startswith("'"):
        return s[0] + re.sub(r"[^\n]", " ", s[1:-1]) + s[-1]
    return re.sub(r"[^\n]", " ", s)


def strip(code):
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                  blank, code, flags=re.S)


class Function:
    def __init__(self, path, name, static, start, body):
        self.path, self.name, self.static, self.start, self.body = path, name, static, start, body


def functions(path, code):
    """The functions of one stripped file, by their column-0 braces."""
    lines, out, i = code.split("\n"), [], 0
    while i < len(lines):
        if lines[i] == "{":
            head, j = "", i - 1
            while j >= 0 and lines[j].strip() and not lines[j].rstrip().endswith((";", "}")):
                head = lines[j] + " " + head
                if not lines[j].startswith((" ", "\t")):
                    break
                j -= 1
            m = re.search(r"(\w+)\s*\(", head)
            k = i + 1
            while k < len(lines) and lines[k] != "}":
                k += 1
            if m:
                out.append(Function(path, m.group(1), head.lstrip().startswith("static"),
                                    i + 1, "\n".join(lines[i:k + 1])))
            i = k
        i += 1
    return out


def enclosing_call(code, pos):
    """The callee and the argument index of the call around code[pos]."""
    depth, arg, i = 0, 0, pos - 1
    while i >= 0:
        c = code[i]
        if c in ")]}":
            depth += 1
        elif c in "([{":
            if depth == 0:
                if c != "(":
                    return None, 0
                m = re.search(r"(\w+)\s*$", code[:i])
                return (m.group(1) if m else None), arg
            depth -= 1
        elif c == "," and depth == 0:
            arg += 1
        elif c == ";" and depth == 0:
            return None, 0
        i -= 1
    return None, 0


def call_args(code, open_paren):
    """The top-level arguments of the call whose '(' is at open_paren."""
    depth, args, start = 0, [], open_paren + 1
    for i in range(open_paren, len(code)):
        c = code[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(code[start:i].strip())
                return args
        elif c == "," and depth == 1:
            args.append(code[start:i].strip())
            start = i + 1
    return args


class Use:
    def __init__(self, mid, fn, line, callee, fields):
        self.mid, self.fn, self.line, self.callee, self.fields = mid, fn, line, callee, fields

    def where(self):
        return f"{self.fn.path}:{self.line} ({self.fn.name}())"


def scan(root):
    """Every function of src/*.c, the uses of LOG_MID_*, and the log_event()
    calls with a variable MESSAGE_ID."""
    funcs, uses, variable = [], [], []
    src = os.path.join(root, "src")
    for name in sorted(os.listdir(src)):
        if not name.endswith(".c") or name == "log.c":
            continue
        path = "src/" + name
        code = strip(read(root, path))
        fns = functions(path, code)
        funcs += fns
        offsets = [0]
        for line in code.split("\n"):
            offsets.append(offsets[-1] + len(line) + 1)
        for fn in fns:
            base = offsets[fn.start - 1]
            for m in re.finditer(r"\blog_event\s*\(", fn.body):
                args = call_args(fn.body, m.end() - 1)
                if len(args) > 1 and not re.fullmatch(r"LOG_MID_\w+|NULL", args[1]):
                    variable.append((fn, code.count("\n", 0, base + m.start()) + 1))
            for m in re.finditer(r"\bLOG_MID_\w+", fn.body):
                callee, arg = enclosing_call(fn.body, m.start())
                fields = None
                if callee == "log_event" and arg == 1:
                    open_paren = fn.body.rfind("(", 0, m.start())
                    fields = call_args(fn.body, open_paren)[2]
                uses.append(Use(m.group(0), fn, code.count("\n", 0, base + m.start()) + 1,
                                callee, fields))
    return funcs, uses, variable


def closure(funcs, root_name):
    """root_name's function and every function it calls, transitively
    (relays excepted: their MESSAGE_ID is their caller's)."""
    by_name = {}
    for f in funcs:
        by_name.setdefault(f.name, []).append(f)
    seen, todo = set(), [f for f in by_name.get(root_name, [])]
    while todo:
        f = todo.pop()
        if (f.path, f.name) in seen:
            continue
        seen.add((f.path, f.name))
        for callee in set(re.findall(r"\b(\w+)\s*\(", f.body)):
            if callee in RELAYS or callee not in by_name:
                continue
            same = [g for g in by_name[callee] if g.path == f.path]
            todo += same or [g for g in by_name[callee] if not g.static]
    return seen


def fields_set(fn):
    return {m.upper() for m in re.findall(r"(?:^|[\s,{(])\.(\w+)\s*=(?!=)", fn.body)} | \
           {m.upper() for m in re.findall(r"\b\w+(?:\.|->)(\w+)\s*=(?!=)", fn.body)}


def norm(text):
    return re.sub(r"\s+", " ", text).lower()


def check(root):
    problems = []
    mids = message_ids(root)
    entries = catalog(root)
    by_id = {v: k for k, v in mids.items()}
    funcs, uses, variable = scan(root)

    # 1. one entry per id, no stray entry
    for mid, hexid in sorted(mids.items()):
        if hexid not in entries:
            problems.append(f"{mid} ({hexid}) has no catalog entry")
    for hexid, (line, _) in sorted(entries.items()):
        if hexid not in by_id:
            problems.append(f"catalog line {line}: entry {hexid} is no LOG_MID_* of log.h")
    if len(set(mids.values())) != len(mids):
        problems.append("two LOG_MID_* share an id")

    # 2. every id used
    used = {u.mid for u in uses}
    for mid in sorted(mids):
        if mid not in used:
            problems.append(f"{mid} is used nowhere in src/")
    for u in uses:
        if u.mid not in mids:
            problems.append(f"{u.where()}: {u.mid} is not defined in log.h")

    # 3. a variable MESSAGE_ID only in a relay
    for fn, line in variable:
        if fn.name not in RELAYS:
            problems.append(f"{fn.path}:{line} ({fn.name}()): log_event() with a MESSAGE_ID "
                            "that is not a LOG_MID_* macro; if the function logs for its "
                            "callers, add it to RELAYS")
    ours = {f.name for f in funcs}
    for u in uses:
        if u.callee in ours and u.callee not in RELAYS:
            problems.append(f"{u.where()}: {u.mid} passed to {u.callee}(), which is not a "
                            "RELAY: add it if it logs with it")

    # 4. start versus reload
    start, reload = closure(funcs, START), closure(funcs, RELOAD)
    if not start or not reload:
        problems.append(f"cannot find {START}() or {RELOAD}() in src/")
    in_start = {u.mid for u in uses if (u.fn.path, u.fn.name) in start}
    in_reload = {u.mid for u in uses if (u.fn.path, u.fn.name) in reload}
    for u in uses:
        key = (u.fn.path, u.fn.name)
        if key in start and u.mid == "LOG_MID_RELOAD":
            problems.append(f"{u.where()}: LOG_MID_RELOAD on the start path ({START}() "
                            "reaches it); its text says the running rules stay in force")
        if key in reload and u.mid in ("LOG_MID_CONFIG", "LOG_MID_START"):
            problems.append(f"{u.where()}: {u.mid} on the reload path ({RELOAD}() reaches "
                            "it); its text speaks of the start")
    if start and "LOG_MID_CONFIG" not in in_start:
        problems.append(f"the start path ({START}()) never uses LOG_MID_CONFIG")
    if reload and "LOG_MID_RELOAD" not in in_reload:
        problems.append(f"the reload path ({RELOAD}()) never uses LOG_MID_RELOAD")

    # 5. fields
    for mid, hexid in sorted(mids.items()):
        if hexid not in entries:
            continue
        text = entries[hexid][1]
        placeholders = set(re.findall(r"@(\w+)@", text))
        named = {w for w in re.findall(r"\b[A-Z][A-Z_]+\b", text) if w in FIELDS}
        direct = [u for u in uses if u.mid == mid and u.callee == "log_event"]
        for p in sorted(placeholders):
            if p not in FIELDS:
                problems.append(f"{mid}: @{p}@ is not a field approvald sets")
                continue
            for u in direct:
                if u.fields == "NULL" or p not in fields_set(u.fn):
                    problems.append(f"{u.where()}: the catalog entry of {mid} shows @{p}@, "
                                    f"which this use does not set")
        for w in sorted(named - placeholders):
            if direct and not any(u.fields != "NULL" and w in fields_set(u.fn) for u in direct):
                problems.append(f"{mid}: the catalog text names the field {w}, which no use "
                                "sets")

    # 6. words
    for mid, hexid in sorted(mids.items()):
        if mid not in REQUIRED:
            problems.append(f"{mid} has no row in REQUIRED: say what its text must mention")
        if hexid not in entries:
            continue
        text = norm(entries[hexid][1])
        for w in REQUIRED.get(mid, []):
            if norm(w) not in text:
                problems.append(f"catalog line {entries[hexid][0]}: the entry of {mid} does not "
                                f"mention \"{w}\"")
        for w in FORBIDDEN.get(mid, []):
            if norm(w) in text:
                problems.append(f"catalog line {entries[hexid][0]}: the entry of {mid} says "
                                f"\"{w}\", which does not fit its uses")
    return problems, len(mids), len(uses)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems, n_ids, n_uses = check(sys.argv[1])
    for p in problems:
        print("catalog-use:", p, file=sys.stderr)
    print(f"catalog-use: {n_ids} MESSAGE_IDs, {n_uses} uses, {len(problems)} problems")
    return 1 if problems else 0


sys.exit(main())
