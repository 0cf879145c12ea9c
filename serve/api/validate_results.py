#!/usr/bin/python3
"""Validates detection results against serve/api/result_schema.json.

Usage: validate_results.py SCHEMA FILE...
Each FILE is .jsonl (one result per line) or .json (one result, or an array of them).
Prints every violation as FILE[:LINE]: JSON-PATH: problem; exit status 1 when any.
Needs python3-jsonschema (Debian).
"""
import json
import sys

import jsonschema


def results(path):
    """(location, result) pairs of a file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".jsonl"):
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                yield f"{path}:{number}", json.loads(line)
        return
    value = json.loads(text)
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield f"{path}[{i}]", item
    else:
        yield path, value


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    errors = checked = 0
    for path in argv[2:]:
        for where, result in results(path):
            checked += 1
            for error in validator.iter_errors(result):
                errors += 1
                location = "/".join(str(p) for p in error.absolute_path)
                print(f"{where}: /{location}: {error.message}", file=sys.stderr)
    if checked == 0:
        print("no results to validate", file=sys.stderr)
        return 1
    print(f"{checked} result(s), {errors} violation(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
