#!/usr/bin/python3
"""Hold the help texts, the man page and the README to one another.
usage: docs_agree.py SHADOWSYNC TOP
Prints every disagreement; exit 0 when there is none, 1 otherwise."""
import json
import pathlib
import re
import subprocess
import sys

COMMANDS = ["verify", "sync", "hash", "check", "manifest show", "warm", "inspect",
            "bench", "restore",
            "smd save", "smd show", "smd check", "smd restore"]
VERDICTS = ["load-local", "copy-from-shadow", "reinit-from-shadow", "crash"]
problems = []


def help_text(ss, cmd):
    # "manifest --help" covers "manifest show"; each smd command has its own.
    words = cmd.split() if cmd.startswith("smd ") else cmd.split()[:1]
    args = [ss] + words + ["--help"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def help_options(text):
    opts = set()
    for line in text.splitlines():
        m = re.match(r"^  (?:-[a-zA-Z], )?(--[a-z][a-z-]*)", line)
        if m:
            opts.add(m.group(1))
    return opts


def roff_plain(s):
    return s.replace("\\-", "-").replace("\\e", "\\")


def man_sections(man):
    """{'.SH NAME' or '.SS name': text}"""
    out, key = {}, None
    for line in man.splitlines():
        m = re.match(r"^\.(SH|SS) (.*)$", line)
        if m:
            key = m.group(2).strip().strip('"')
            out[key] = ""
            continue
        if key:
            out[key] += line + "\n"
    return {k: roff_plain(v) for k, v in out.items()}


def default_of(text, opt):
    text = re.sub(r"\s+", " ", text)
    m = re.search(re.escape(opt) + r"(?![\w-])[^(]*?\(default (\w+)", text)
    return m.group(1) if m else None


def schema_keys(node, keys):
    if isinstance(node, dict):
        for k, v in node.get("properties", {}).items():
            keys.add(k)
        for v in node.values():
            schema_keys(v, keys)
    elif isinstance(node, list):
        for v in node:
            schema_keys(v, keys)


def main():
    ss, top = sys.argv[1], pathlib.Path(sys.argv[2])
    man = (top / "docs/shadowsync.1").read_text()
    sections = man_sections(man)
    readme = (top / "README.md").read_text()
    all_help = {"--version", "--help"}	# shadowsync's own
    for cmd in COMMANDS:
        text = help_text(ss, cmd)
        hopts = help_options(text)
        all_help |= hopts
        sec = sections.get(cmd)
        if sec is None:
            problems.append(f"man: no section for '{cmd}'")
            continue
        mopts = set(re.findall(r"--[a-z][a-z-]*[a-z]", sec))
        for o in sorted(hopts - mopts):
            problems.append(f"{cmd}: '{o}' is in --help but not in the man page")
        for o in sorted(mopts - hopts):
            problems.append(f"{cmd}: '{o}' is in the man page but not in --help")
        for o in ("--queue-depth",):
            hd, md = default_of(text, o), default_of(sec, o)
            if hd and hd != md:
                problems.append(f"{cmd}: {o} default {hd} in --help, {md} in the man page")
        for code in ("0", "1", "2", "130"):
            if not re.search(rf"^  {code} ", text, re.M):
                problems.append(f"{cmd}: --help has no exit status {code}")
    # Every command in the man page's SYNOPSIS and the README's synopsis.
    synopsis = sections.get("SYNOPSIS", "")
    for cmd in COMMANDS:
        if f".B shadowsync {cmd}" not in synopsis:
            problems.append(f"man SYNOPSIS: no '{cmd}'")
        if not re.search(rf"^shadowsync {re.escape(cmd)} ", readme, re.M):
            problems.append(f"README: no 'shadowsync {cmd}' in the command synopsis")
    common = sections.get("COMMON OPTIONS", "")
    for o, d in (("--io-size", "1M"), ("--memory", "64M")):
        for cmd in COMMANDS:
            hd = default_of(help_text(ss, cmd), o)
            if hd and hd != d:
                problems.append(f"{cmd}: {o} default {hd}, the man page says {d}")
        if f"(default {d})" not in common.split(o, 1)[-1][:200]:
            problems.append(f"man COMMON OPTIONS: {o} default is not {d}")
    exits = sections.get("EXIT STATUS", "")
    for code in ("0", "1", "2", "130", "143"):
        if not re.search(rf"\b{code}\b", exits):
            problems.append(f"man EXIT STATUS: no {code}")
        if not re.search(rf"^\|[^|\n]*\b{code}\b[^|\n]*\|", readme, re.M):
            problems.append(f"README: the exit-status table has no {code}")
    verdicts = sections.get("COLD-START VERDICTS", "")
    vhelp = help_text(ss, "verify")
    for v in VERDICTS + ["none"]:
        if f".B {v}" not in verdicts:
            problems.append(f"man COLD-START VERDICTS: no {v}")
        if f"`{v}`" not in readme:
            problems.append(f"README: verdict {v} is not in its table")
    for v in VERDICTS:
        if v not in vhelp:
            problems.append(f"verify --help does not name the verdict {v}")
    jsec = sections.get("JSON OUTPUT", "")
    for p in sorted((top / "docs/schema").glob("*.schema.json")):
        keys = set()
        schema_keys(json.loads(p.read_text()), keys)
        for k in sorted(keys):
            if not re.search(rf"\b{re.escape(k)}\b", jsec):
                problems.append(f"man JSON OUTPUT: '{k}' ({p.name}) is not described")
    # The README's option table: its defaults are the commands' defaults.
    for m in re.finditer(r"^\| `(--[a-z-]+)[^|]*\| ([^\n]*)$", readme, re.M):
        opt, text = m.group(1), m.group(2)
        d = re.search(r"\(default (\w+)(?:; warm (\w+))?", text)
        if not d:
            continue
        for cmd, want in (("verify", d.group(1)), ("warm", d.group(2) or d.group(1))):
            hd = default_of(help_text(ss, cmd), opt)
            if hd and hd != want:
                problems.append(f"README: {opt} default {want} for {cmd}, --help says {hd}")
    for o in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", readme))):
        if o not in all_help:
            problems.append(f"README: '{o}' is no option of any command")
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
