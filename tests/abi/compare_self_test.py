#!/usr/bin/env python3
"""Check compare.py against fake sandboxes.

A fake `litebox` that runs the program unchanged must compare equal; fakes
that change stdout, stderr or the exit status must be reported, each with a
diff that names the stream.

Usage: compare_self_test.py COMPARE_PY PROGRAM
PROGRAM is the exit_status ABI program: it prints "mode MODE" and exits with
42 for "return" and 7 for "exit".
"""

import os
import subprocess
import sys
import tempfile

FAKE_SANDBOX = """#!/usr/bin/env python3
import subprocess, sys
arguments = sys.argv[sys.argv.index("--") + 1:]
completed = subprocess.run(arguments, capture_output=True)
stdout, stderr, status = completed.stdout, completed.stderr, completed.returncode
{mutation}
sys.stdout.buffer.write(stdout)
sys.stderr.buffer.write(stderr)
sys.exit(status)
"""

CASES = {
    # name: (mutation applied inside the fake, expected exit of compare.py, text in the report)
    "identical": ("", 0, "identical stdout, stderr and exit status"),
    "stdout": ("stdout = stdout.replace(b'mode', b'MODE')", 1, "stdout (litebox)"),
    "stderr": ("stderr += b'extra diagnostic\\n'", 1, "stderr (litebox)"),
    "status": ("status = 3", 1, "exit status (litebox)"),
}


def main():
    compare, program = sys.argv[1], sys.argv[2]
    failures = 0
    with tempfile.TemporaryDirectory(prefix="litebox-compare-test-") as work:
        for name, (mutation, expected_status, expected_text) in CASES.items():
            fake = os.path.join(work, f"fake-{name}")
            with open(fake, "w", encoding="utf-8") as file:
                file.write(FAKE_SANDBOX.format(mutation=mutation))
            os.chmod(fake, 0o755)

            result = subprocess.run(
                [sys.executable, compare, "--litebox", fake, "--", program, "unused", "return"],
                capture_output=True, text=True, check=False, timeout=60)
            ok = result.returncode == expected_status and expected_text in result.stdout
            print(f"{name}: compare.py exited {result.returncode} "
                  f"(expected {expected_status}) -> {'ok' if ok else 'WRONG'}")
            if not ok:
                print(result.stdout + result.stderr)
                failures += 1
    print(f"{len(CASES) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
