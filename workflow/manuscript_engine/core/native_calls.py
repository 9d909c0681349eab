"""One lock for the native libraries the steps call: PDFium and Typst.

Jobs can run as threads of one process (a worker runs one job at a time, but a step
may use threads, and tests call steps directly). PDFium is not thread-safe (pypdfium2
says so), and Typst's bindings keep process-wide caches; two jobs calling them at once
(three PDFs compiled while the checklist queries one) can corrupt the heap, which shows
only as a crash when the build exits. Every such call takes this lock; the calls are
short, so the jobs barely wait.
"""

from __future__ import annotations

import threading

NATIVE_LOCK = threading.RLock()
