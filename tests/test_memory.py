"""procsft.memory: freed blocks go back to the system, where glibc would keep them resident."""

import subprocess
import sys

import pytest

from tests.conftest import REPO

# Frees one 8 MiB block (glibc then raises its mmap threshold to 8 MiB), allocates 100 blocks
# of 2 MiB, frees all but the last and prints how many MiB stayed resident.
PROBE = """
import sys
from procsft.memory import return_freed_memory
if sys.argv[1] == "returned":
    assert return_freed_memory()
def rss_mib():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) // 1024
big = bytearray(8 << 20)
del big
before = rss_mib()
blocks = [bytearray(2 << 20) for _ in range(100)]
del blocks[:-1]
print(rss_mib() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_freed_tensors_leave_the_resident_set():
    def kept_mib(mode: str) -> int:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, mode],
            cwd=REPO,
            env={"PYTHONPATH": str(REPO / "src")},
            capture_output=True,
            text=True,
            check=True,
        )
        return int(done.stdout)

    assert kept_mib("default") >= 150  # glibc keeps the freed heap blocks
    assert kept_mib("returned") <= 20  # each block was its own mapping, unmapped when freed
