#!/usr/bin/env python3
"""Runs the plain and the patched build of cache_parameters.c and expects
the same cache parameters from both.

    compare.py PLAIN PATCHED

On an Intel CPU the patched build must also have served glibc's calls
from litebox_cache_parameter, and its values must equal those of glibc's
own probe. On other CPUs glibc never calls its Intel probe, so only the
parameters are compared.
"""
import re
import subprocess
import sys


def run(program):
    result = subprocess.run([program], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        sys.exit(f"{program} exited with status {result.returncode}: {result.stderr}")
    match = re.fullmatch(r"litebox_cache_parameter calls: (\d+)\n", result.stderr)
    if match is None:
        sys.exit(f"{program}: unexpected stderr {result.stderr!r}")
    return result.stdout, int(match.group(1))


def cpu_vendor():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("vendor_id"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def main():
    plain, plain_calls = run(sys.argv[1])
    patched, patched_calls = run(sys.argv[2])
    failed = False

    if patched != plain:
        print(f"the patched build reports other cache parameters.\nplain:\n{plain}\n"
              f"patched:\n{patched}")
        failed = True
    if plain_calls != 0:
        print(f"the plain build called litebox_cache_parameter {plain_calls} times, expected 0")
        failed = True
    vendor = cpu_vendor()
    if vendor == "GenuineIntel":
        if patched_calls == 0:
            print("on this Intel CPU the patched build never called litebox_cache_parameter")
            failed = True
        both = subprocess.run([sys.argv[2], "--against-glibc"], capture_output=True, text=True,
                              timeout=60)
        if both.returncode != 0 or both.stderr:
            print(f"litebox_cache_parameter and glibc's probe differ (status "
                  f"{both.returncode}, stderr {both.stderr!r}):\n{both.stdout}")
            failed = True
    print(f"{vendor}: {patched_calls} calls answered by litebox_cache_parameter\n{patched}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
