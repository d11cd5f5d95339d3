#!/usr/bin/python3
"""Validate shadowsync JSON reports against docs/schema (Debian's
python3-jsonschema). usage: jsoncheck.py SCHEMA_DIR COMMAND FILE...
Each FILE must hold exactly one JSON object valid for COMMAND's schema.
Exit 0 all valid, 1 otherwise (the reason on stderr)."""
import json
import pathlib
import sys

import jsonschema

def main():
    sdir, command, files = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    store = {}
    for p in sdir.glob("*.schema.json"):
        s = json.loads(p.read_text())
        store[s["$id"]] = s
    schema = json.loads((sdir / (command + ".schema.json")).read_text())
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, resolver=resolver)
    ok = True
    for f in files:
        text = pathlib.Path(f).read_text()
        try:
            doc, end = json.JSONDecoder().raw_decode(text)
        except ValueError as e:
            print(f"{f}: not JSON: {e}", file=sys.stderr)
            ok = False
            continue
        if text[end:].strip():
            print(f"{f}: more than one JSON value on stdout", file=sys.stderr)
            ok = False
            continue
        errors = list(validator.iter_errors(doc))
        if errors:
            # Under oneOf, name the report branch's deepest failure.
            e = jsonschema.exceptions.best_match(errors)
            while e.context:
                e = jsonschema.exceptions.best_match(e.context)
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"{f}: {command}: at '{where}': {e.message[:300]}", file=sys.stderr)
            ok = False
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
