"""Exercise the Python standard library in a sandbox: json, hashlib, re and
file I/O under a scratch directory. Prints only values that are the same on
every run.

Usage: python3 -I -S python_stdlib.py SCRATCH_DIRECTORY DATA_FILE
"""

import hashlib
import json
import os
import re
import sys

scratch, data_file = sys.argv[1], sys.argv[2]
os.makedirs(scratch, exist_ok=True)

with open(data_file, encoding="utf-8") as file:
    fruits = [line.strip() for line in file]
counts = {name: fruits.count(name) for name in sorted(set(fruits))}
print("counts:", json.dumps(counts, sort_keys=True))

record_path = os.path.join(scratch, "record.json")
with open(record_path, "w", encoding="utf-8") as file:
    json.dump({"fruits": fruits, "counts": counts}, file, indent=1, sort_keys=True)
with open(record_path, encoding="utf-8") as file:
    loaded = json.load(file)
print("round trip equal:", loaded["counts"] == counts)
print("file size:", os.path.getsize(record_path))

with open(record_path, "rb") as file:
    contents = file.read()
print("sha256:", hashlib.sha256(contents).hexdigest())
print("md5:", hashlib.md5(contents).hexdigest())

matches = re.findall(r"\b([a-z])[a-z]*rr[a-z]*\b", " ".join(fruits))
print("words with rr start with:", sorted(set(matches)))
print("substituted:", re.sub(r"(an)+", "<an>", "banana bandana"))

os.rename(record_path, record_path + ".old")
print("listing:", sorted(os.listdir(scratch)))
os.remove(record_path + ".old")
os.rmdir(scratch)
print("scratch removed:", not os.path.exists(scratch))
