#!/usr/bin/env python3
"""promtext.py: a strict checker of the Prometheus text exposition format
(version 0.0.4), as node_exporter's textfile collector reads it.

  promtext.py FILE            check FILE; print a summary, or FILE:LINE: errors
  promtext.py --json FILE     check, then print the samples as JSON:
                              {"family": {"type": T, "help": H,
                                          "samples": [[NAME, {labels}, value]]}}
  promtext.py --self-test     run the checker on good and bad examples

What it checks (the format's rules, and the textfile collector's):
  - the file is UTF-8 and ends with a newline; no blank lines;
  - "# HELP name text" and "# TYPE name type": a valid metric name, a known
    type, exactly one of each per family (HELP is optional in the format,
    required by promtool's lint), both before the family's first sample;
    HELP text escapes only \\\\ and \\n;
  - every sample belongs to a family with a TYPE (counter/gauge/untyped by
    its own name; histogram and summary also by _bucket/_sum/_count), and
    the samples of a family are consecutive (grouped), not split by another
    family's lines;
  - sample lines: name{label="value",...} value; label names valid, not
    "__" reserved, not repeated; label values escape only \\\\, \\" and \\n;
    values are Go floats (NaN, +Inf, -Inf allowed); no timestamps (the
    textfile collector refuses them);
  - no two samples with the same name and label set;
  - counters are non-negative and not NaN, and their names end in _total
    (promtool's lint); gauge names do not end in _total.
Stricter than the format where our writer is: one space between a sample's
parts, TYPE and HELP required, no blank lines.
Exits 0 when the file is valid, 1 otherwise, 2 for usage.
"""
import json
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|inf)|NaN")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class Bad(Exception):
    pass


def parse_label_value(s, i):
    """s[i] is just after the opening quote; returns (value, index after the
    closing quote)."""
    out = []
    while True:
        if i >= len(s):
            raise Bad("label value not closed")
        c = s[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\":
            if i + 1 >= len(s):
                raise Bad("label value ends in a backslash")
            e = s[i + 1]
            if e not in '\\"n':
                raise Bad(f"bad escape \\{e} in a label value")
            out.append("\n" if e == "n" else e)
            i += 2
            continue
        if c == "\n":
            raise Bad("raw newline in a label value")
        out.append(c)
        i += 1


def parse_sample(line):
    m = NAME.match(line)
    if not m:
        raise Bad("a sample line must start with a metric name")
    name, i, labels = m.group(0), m.end(), {}
    if i < len(line) and line[i] == "{":
        i += 1
        while True:
            if i < len(line) and line[i] == "}":
                i += 1
                break
            lm = LABEL.match(line, i)
            if not lm:
                raise Bad(f"bad label name at column {i + 1}")
            lname = lm.group(0)
            if lname.startswith("__"):
                raise Bad(f"label name {lname} is reserved")
            if lname in labels:
                raise Bad(f"label {lname} repeated")
            i = lm.end()
            if line[i:i + 2] != '="':
                raise Bad(f"expected =\" after label {lname}")
            labels[lname], i = parse_label_value(line, i + 2)
            if i < len(line) and line[i] == ",":
                i += 1
            elif i < len(line) and line[i] == "}":
                continue
            else:
                raise Bad(f"expected , or }} after label {lname}'s value")
    if i >= len(line) or line[i] != " ":
        raise Bad("expected one space before the value")
    rest = line[i + 1:].split(" ")
    if len(rest) != 1:
        raise Bad("a timestamp (or extra text) after the value: the textfile collector "
                  "refuses timestamps")
    if not FLOAT.fullmatch(rest[0]):
        raise Bad(f"bad value {rest[0]!r}")
    return name, labels, float(rest[0].replace("Inf", "inf"))


def family_of(name, families):
    if name in families:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and families.get(base, {}).get("type") in ("histogram",
                                                                             "summary"):
            return base
    return None


def check_text(text):
    """Returns the families; raises Bad("LINE: message")."""
    families, seen, closed, current = {}, set(), set(), None
    if text and not text.endswith("\n"):
        raise Bad(f"{text.count(chr(10)) + 1}: the file does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        try:
            current = check_line(line, families, seen, closed, current)
        except Bad as e:
            raise Bad(f"{n}: {e}") from None
    for name, f in families.items():
        if "type" not in f:
            raise Bad(f"family {name} has HELP but no TYPE")
        if "help" not in f:
            raise Bad(f"family {name} has no HELP (promtool's lint wants one)")
    return families


def check_line(line, families, seen, closed, current):
    if line == "":
        raise Bad("blank line")
    if line.startswith("#"):
        parts = line.split(" ", 3)
        if len(parts) >= 3 and parts[0] == "#" and parts[1] in ("HELP", "TYPE"):
            return check_meta(parts, families, closed, current)
        return current  # a comment
    name, labels, value = parse_sample(line)
    fam = family_of(name, families)
    if fam is None or "type" not in families[fam]:
        raise Bad(f"sample of {name} without a TYPE line before it")
    if fam in closed:
        raise Bad(f"samples of {fam} are not grouped together")
    if current not in (None, fam):
        closed.add(current)
    key = (name, tuple(sorted(labels.items())))
    if key in seen:
        raise Bad(f"sample {name}{labels} repeated")
    seen.add(key)
    f = families[fam]
    if f["type"] == "counter" and not value >= 0:
        raise Bad(f"counter {name} is {value}: counters are never negative or NaN")
    f["samples"].append([name, labels, value])
    return fam


def check_meta(parts, families, closed, current):
    kind, name = parts[1], parts[2]
    text = parts[3] if len(parts) == 4 else ""
    if not NAME.fullmatch(name):
        raise Bad(f"bad metric name {name!r}")
    if name in closed:
        raise Bad(f"{kind} of {name} after its samples were closed")
    f = families.setdefault(name, {"samples": []})
    if current not in (None, name):
        closed.add(current)
    if f["samples"]:
        raise Bad(f"{kind} of {name} after its first sample")
    if kind == "HELP":
        if "help" in f:
            raise Bad(f"second HELP for {name}")
        if not re.fullmatch(r"(?:[^\\]|\\[\\n])*", text):
            raise Bad(f"bad escape in the HELP of {name}")
        f["help"] = text
    else:
        if "type" in f:
            raise Bad(f"second TYPE for {name}")
        if text not in TYPES:
            raise Bad(f"unknown type {text!r} for {name}")
        if text == "counter" and not name.endswith("_total"):
            raise Bad(f"counter {name} does not end in _total")
        if text == "gauge" and name.endswith("_total"):
            raise Bad(f"gauge {name} ends in _total, which means a counter")
        f["type"] = text
    return name


def check_file(path, as_json):
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
    except UnicodeDecodeError as e:
        print(f"{path}: not UTF-8 at byte {e.start}", file=sys.stderr)
        return 1
    try:
        families = check_text(text)
    except Bad as e:
        print(f"{path}:{e}", file=sys.stderr)
        return 1
    if as_json:
        json.dump(families, sys.stdout)
        print()
    else:
        n = sum(len(f["samples"]) for f in families.values())
        print(f"{path}: OK: {len(families)} families, {n} samples")
    return 0


GOOD = [
    "",
    "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n",
    '# HELP a_total A \\\\ \\n.\n# TYPE a_total counter\n'
    'a_total{x="q\\"\\\\\\n",y=""} 0\na_total{x="2"} 3e3\n',
    "# TYPE g gauge\n# HELP g G.\ng -1.5\n# HELP h H.\n# TYPE h gauge\nh NaN\n# a comment\n",
    "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n",
    '# HELP a_total A.\n# TYPE a_total counter\na_total{x="é ☃"} 1\n',
    "# HELP e_total E.\n# TYPE e_total counter\n# HELP g G.\n# TYPE g gauge\ng 1\n",
]
BAD = [
    ("# TYPE a_total counter\na_total 1", "no final newline"),
    ("a_total 1\n", "no TYPE"),
    ("# TYPE a_total counter\n# TYPE a_total counter\na_total 1\n", "two TYPEs"),
    ("# HELP a_total x\n# HELP a_total y\n# TYPE a_total counter\n", "two HELPs"),
    ("# TYPE a_total counter\na_total 1\n# TYPE b gauge\nb 1\na_total{x=\"1\"} 2\n",
     "not grouped"),
    ("# TYPE a_total counter\na_total 1\n# HELP a_total late\n", "HELP after samples"),
    ('# TYPE a_total counter\na_total{x="a\\tb"} 1\n', "bad escape"),
    ('# TYPE a_total counter\na_total{x="a"b"} 1\n', "unescaped quote"),
    ('# TYPE a_total counter\na_total{x="1",x="2"} 1\n', "repeated label"),
    ('# TYPE a_total counter\na_total{__x="1"} 1\n', "reserved label"),
    ('# TYPE a_total counter\na_total{1x="1"} 1\n', "bad label name"),
    ("# TYPE a_total counter\na_total -1\n", "negative counter"),
    ("# TYPE a_total counter\na_total 1 1700000000000\n", "timestamp"),
    ("# TYPE a_total counter\na_total one\n", "bad value"),
    ("# TYPE a_total counter\na_total 1\na_total 2\n", "repeated sample"),
    ("# TYPE a counter\na 1\n", "counter without _total"),
    ("# TYPE a_total gauge\na_total 1\n", "gauge with _total"),
    ("# TYPE a_total countr\na_total 1\n", "unknown type"),
    ("# TYPE a_total counter\n\na_total 1\n", "blank line"),
    ("# TYPE 1a gauge\n", "bad metric name"),
    ("# HELP a_total x\n", "HELP without TYPE"),
    ("# TYPE a_total counter\na_total 1\n", "no HELP"),
    ("# HELP a_total x \\t\n# TYPE a_total counter\n", "bad escape in HELP"),
    ("# TYPE a_total counter\na_total  1\n", "two spaces"),
    ('# TYPE a_total counter\na_total{x="1"\n', "unclosed labels"),
]


def self_test():
    bad = 0
    for text in GOOD:
        try:
            check_text(text)
        except Bad as e:
            bad += 1
            print(f"good example refused ({e}): {text!r}", file=sys.stderr)
    for text, why in BAD:
        try:
            check_text(text)
            bad += 1
            print(f"bad example ({why}) accepted: {text!r}", file=sys.stderr)
        except Bad:
            pass
    print(f"promtext self-test: {len(GOOD)} good, {len(BAD)} bad examples, {bad} wrong")
    return 1 if bad else 0


def main():
    args = sys.argv[1:]
    if args == ["--self-test"]:
        return self_test()
    if len(args) == 2 and args[0] == "--json":
        return check_file(args[1], True)
    if len(args) == 1 and not args[0].startswith("-"):
        return check_file(args[0], False)
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
