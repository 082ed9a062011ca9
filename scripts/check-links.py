#!/usr/bin/env python3
"""Checks every internal link in the repository's Markdown files: the file or folder exists and a
#anchor names a heading of the target file (GitHub's or the docs site's heading ids).

Usage: scripts/check-links.py [REPO_ROOT]   prints each broken link; exit 1 if any, else 0.
"""
import os
import re
import subprocess
import sys
import unicodedata

LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def strip_inline(text):
    """Heading text as rendered: no code backticks, link targets, emphasis or HTML tags."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("`", "").replace("*", "")


def github_slug(text):
    text = strip_inline(text).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def toc_slug(text):
    text = unicodedata.normalize("NFKD", strip_inline(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def lines_outside_code(path):
    in_fence = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            if not in_fence:
                yield number, line


def anchors(path, cache={}):
    if path not in cache:
        found = set()
        seen = {}
        for _, line in lines_outside_code(path):
            m = HEADING.match(line)
            if not m:
                continue
            for slug in (github_slug(m.group(2)), toc_slug(m.group(2))):
                n = seen.get(slug, 0)
                seen[slug] = n + 1
                found.add(slug if n == 0 else f"{slug}-{n}")
                found.add(f"{slug}_{n}")  # python-markdown's duplicate ids
            found.update(re.findall(r"\{#([\w-]+)\}", line))
        for _, line in lines_outside_code(path):
            found.update(re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", line))
        cache[path] = found
    return cache[path]


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        cwd=root, capture_output=True, text=True, check=True).stdout.split()
    broken = []
    checked = 0
    for rel in sorted(set(files)):
        path = os.path.join(root, rel)
        if not os.path.exists(path):
            continue
        for number, line in lines_outside_code(path):
            line = re.sub(r"``[^`]*``|`[^`]*`", "", line)
            targets = [m.group(1) for m in LINK.finditer(line)]
            m = REF_DEF.match(line)
            if m:
                targets.append(m.group(1))
            for target in targets:
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                    continue  # http:, https:, mailto:, ...
                checked += 1
                file_part, _, anchor = target.partition("#")
                dest = path if not file_part else os.path.normpath(
                    os.path.join(os.path.dirname(path), file_part))
                where = f"{rel}:{number}: {target}"
                if not os.path.exists(dest):
                    broken.append(f"{where}: no such file {os.path.relpath(dest, root)}")
                elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                    broken.append(f"{where}: no heading '#{anchor}' in {os.path.relpath(dest, root)}")
    for b in broken:
        print(b)
    print(f"links: {checked} internal links in {len(files)} Markdown files, {len(broken)} broken")
    print(f"{checked - len(broken)} passed, {len(broken)} failed")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
