#!/usr/bin/env python3
"""Render a real ``--format markdown`` report the way GitHub shows a pull-request comment.

    python docs/examples/render_report.py [--name report] CORPUS_FILE ...
    python docs/examples/render_report.py --name report-verified --in-place \
        --verify-report DIR/verify.json DIR/Dockerfile

Copies the given corpus files into a temporary ``<repository>/<path>`` layout (as a checkout
would have them; with ``--in-place`` uses them where they are, so a ``dockeropt verify --format
json`` report made there matches), runs ``dockeropt --format markdown`` on them, converts the
Markdown to HTML with a CommonMark renderer (markdown-it-py, with GitHub's tables), wraps it in
GitHub-like styles, and writes NAME.md, NAME.html and, when Chromium is installed, NAME.png (a
headless screenshot) next to this script.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CSS = """
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif;
       font-size: 14px; line-height: 1.5; color: #1f2328; max-width: 980px; margin: 24px auto; }
.comment { border: 1px solid #d0d7de; border-radius: 6px; }
.comment-header { background: #f6f8fa; border-bottom: 1px solid #d0d7de; padding: 8px 16px; color: #59636e; }
.comment-body { padding: 16px; }
h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; font-size: 1.5em; margin-top: 0; }
h3 { font-size: 1.25em; }
table { border-collapse: collapse; margin: 0 0 16px; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
tr:nth-child(2n) { background: #f6f8fa; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 85%; background: #eff1f3; padding: .2em .4em; border-radius: 6px; }
pre { background: #f6f8fa; padding: 16px; border-radius: 6px; overflow: auto; font-size: 85%; line-height: 1.45; }
pre code { background: none; padding: 0; font-size: 100%; }
details { margin-bottom: 16px; } summary { cursor: pointer; }
.d-add { color: #116329; background: #dafbe1; display: inline-block; width: 100%; } .d-del { color: #82071e; background: #ffebe9; display: inline-block; width: 100%; }
.d-hunk { color: #0550ae; }
sub { color: #59636e; }
"""


def highlight_diffs(body: str) -> str:
    """GitHub colours ```diff blocks; do the same, line by line, inside <code class="language-diff">."""
    out, pos = [], 0
    tag = '<code class="language-diff">'
    while True:
        i = body.find(tag, pos)
        if i < 0:
            return "".join(out) + body[pos:]
        j = body.find("</code>", i)
        out.append(body[pos:i + len(tag)])
        lines = []
        for line in body[i + len(tag):j].split("\n"):
            cls = {"+": "d-add", "-": "d-del", "@": "d-hunk"}.get(line[:1])
            if line.startswith(("+++", "---")):
                cls = None
            lines.append(f'<span class="{cls}">{line}</span>' if cls else line)
        out.append("\n".join(lines))
        pos = j


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--verify-report", action="append", default=[], type=lambda p: str(Path(p).resolve()))
    ap.add_argument("--name", default="report")
    ap.add_argument("--height", type=int, default=1500, help="screenshot height in pixels")
    ap.add_argument("--in-place", action="store_true")
    args = ap.parse_args(argv)
    from markdown_it import MarkdownIt

    with tempfile.TemporaryDirectory() as tmp:
        names = []
        cwd = Path(tmp)
        for f in args.files:
            if args.in_place:
                cwd = f.resolve().parent
                names.append(f.name)
                continue
            parts = f.name.split("__")
            rel = Path(*parts[1:]) if len(parts) > 2 else Path(f.name)
            (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, Path(tmp) / rel)
            names.append(str(rel))
        proc = subprocess.run(
            [sys.executable, "-m", "dockeropt", "--format", "markdown", "-q",
             *[a for r in args.verify_report for a in ("--verify-report", r)], *names],
            cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        return proc.returncode
    markdown = proc.stdout
    (HERE / f"{args.name}.md").write_text(markdown)
    body = highlight_diffs(MarkdownIt("commonmark").enable("table").render(markdown))
    page = (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>dockeropt report</title>"
            f"<style>{CSS}</style></head><body>\n<div class=\"comment\"><div class=\"comment-header\">"
            f"<b>github-actions</b> commented · {html.escape(', '.join(names))}</div>\n"
            f"<div class=\"comment-body\">\n{body}</div></div>\n</body></html>\n")
    (HERE / f"{args.name}.html").write_text(page)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium:
        # <details> open in the picture, so the diff shows
        with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as f:
            f.write(page.replace("<details>", "<details open>"))
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--screenshot={HERE / (args.name + '.png')}", f"--window-size=1040,{args.height}", f.name],
                       capture_output=True, timeout=120)
        os.unlink(f.name)
    print(f"wrote {HERE / args.name}.md, .html" + (", .png" if chromium else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
