"""mkdocs hooks (mkdocs.yml `hooks:`): links from docs/ to files elsewhere in the repository.

On GitHub such a link ([the hpa README](../autoscalers/hpa/README.md)) works; the site holds only
docs/, so the hook turns it into its text plus the repository path ("the hpa README
(`autoscalers/hpa/README.md` in the repository)"). scripts/check-links.py checks that those files
exist; everything else stays under `mkdocs build --strict`.
"""
import os
import re

LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s#]+)(#[^)\s]*)?\)")


def on_page_markdown(markdown, page, config, files):
    docs_dir = os.path.abspath(config["docs_dir"])
    page_dir = os.path.dirname(os.path.join(docs_dir, page.file.src_path))
    root = os.path.dirname(docs_dir)

    def replace(match):
        text, target = match.group(1), match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            return match.group(0)
        path = os.path.normpath(os.path.join(page_dir, target))
        if path == docs_dir or path.startswith(docs_dir + os.sep):
            return match.group(0)
        rel = os.path.relpath(path, root)
        if text.strip("`") in (rel, target, os.path.basename(rel)):
            return f"`{rel}` (in the repository)"
        return f"{text} (`{rel}` in the repository)"

    out, fenced = [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        out.append(line if fenced else LINK.sub(replace, line))
    return "\n".join(out)
