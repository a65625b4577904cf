"""A progress bar on stderr for long runs on a terminal (imported only then).

    [##########··········] 683/1366 files  4.1 s  app/services/api/Dockerfile

Redrawn at most ten times a second, on one line that is cleared before anything else is printed.
No third-party package: a bar is a few lines, and start-up stays fast.
"""

from __future__ import annotations

import shutil
import time

from dockeropt.report.quote import quote_path


class Bar:
    def __init__(self, stream, total: int):
        self.stream, self.total = stream, total
        self.started = time.monotonic()
        self._last = 0.0
        self.shown = False

    def update(self, done: int, name: str) -> None:
        now = time.monotonic()
        if done < self.total and now - self._last < 0.1:
            return
        self._last = now
        width = shutil.get_terminal_size((80, 24)).columns
        cells = 20
        filled = cells * done // max(self.total, 1)
        head = f"[{'#' * filled}{'·' * (cells - filled)}] {done}/{self.total} files  {now - self.started:.1f} s  "
        room = max(0, width - len(head) - 1)
        shown = quote_path(name)
        if len(shown) > room:
            shown = ("..." + shown[-(room - 3):]) if room > 3 else ""
        self.stream.write(f"\r\x1b[K{head}{shown}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
