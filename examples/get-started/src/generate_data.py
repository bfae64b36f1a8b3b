"""Write data/data.xml: a synthetic dump of Stack Overflow-like posts, a few MB.

The tutorial downloads nothing: this script stands in for the original
``wget https://code.dvc.org/get-started/data.xml``. The output is fully
deterministic (fixed seed, and only ``random.random()`` is used, whose stream is
stable across Python versions), so every run writes the same bytes and the
same md5.

Usage: python src/generate_data.py [OUTPUT] [NUM_POSTS]
"""

from __future__ import annotations

import os
import random
import sys
from xml.sax.saxutils import quoteattr

SEED = 20170426
NUM_POSTS = 12000

TOPICS: dict[str, list[str]] = {
    "python": ["python", "pandas", "numpy", "django", "flask", "list", "dict", "import",
               "pip", "virtualenv", "dataframe", "lambda", "generator", "decorator", "pytest",
               "asyncio", "tuple", "comprehension", "matplotlib", "self"],
    "javascript": ["javascript", "node", "react", "npm", "promise", "callback", "dom",
                   "jquery", "array", "object", "async", "await", "json", "browser", "event",
                   "typescript", "webpack", "function", "closure", "this"],
    "java": ["java", "spring", "maven", "class", "interface", "jvm", "thread", "exception",
             "arraylist", "hashmap", "gradle", "servlet", "hibernate", "static", "generic",
             "annotation", "jar", "stream", "object", "android"],
    "sql": ["sql", "query", "join", "select", "table", "index", "mysql", "postgresql",
            "database", "where", "group", "row", "column", "transaction", "insert", "update",
            "schema", "primary", "key", "view"],
    "r": ["r", "ggplot2", "dplyr", "vector", "factor", "tibble", "rstudio", "plot", "lm",
          "regression", "cran", "apply", "matrix", "dataframe", "shiny", "knitr", "mutate",
          "summarise", "na", "package"],
    "c++": ["c++", "pointer", "template", "vector", "class", "memory", "compiler", "gcc",
            "std", "reference", "constructor", "destructor", "stl", "boost", "header",
            "linker", "undefined", "segfault", "cmake", "iterator"],
}
COMMON = ["how", "to", "i", "the", "a", "in", "is", "my", "error", "when", "not", "with",
          "get", "using", "code", "file", "value", "why", "does", "work", "can", "it", "this",
          "from", "data", "string", "function", "return", "loop", "test", "output", "way",
          "best", "problem", "question", "help", "example", "run", "time", "new"]
EXTRA_TAGS = ["performance", "regex", "unit-testing", "linux", "windows", "git", "docker",
              "csv", "json", "xml", "api", "http", "algorithm", "debugging", "sorting"]


class Rng:
    """Draws built only on ``random.random()``, whose output is stable across versions."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)

    def below(self, n: int) -> int:
        return int(self._r.random() * n)

    def choice(self, seq: list[str]) -> str:
        return seq[self.below(len(seq))]

    def chance(self, p: float) -> bool:
        return self._r.random() < p


def sentence(rng: Rng, topic: str, length: int) -> str:
    words = []
    for _ in range(length):
        pool = TOPICS[topic] if rng.chance(0.3) else (
            TOPICS[rng.choice(list(TOPICS))] if rng.chance(0.08) else COMMON)
        words.append(rng.choice(pool))
    return " ".join(words).capitalize()


def post(rng: Rng, pid: int) -> str:
    topic = rng.choice(list(TOPICS))
    title = sentence(rng, topic, 5 + rng.below(7)) + "?"
    paragraphs = [sentence(rng, topic, 8 + rng.below(25)) + "." for _ in range(1 + rng.below(4))]
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    if rng.chance(0.4):
        body += f"<pre><code>{rng.choice(TOPICS[topic])}({rng.below(100)})</code></pre>\n"
    tags = [topic] + [rng.choice(EXTRA_TAGS) for _ in range(rng.below(3))]
    if topic != "python" and rng.chance(0.03):
        tags.append("python")
    tag_str = "".join(f"<{t}>" for t in dict.fromkeys(tags))
    day = 1 + rng.below(28)
    attrs = {
        "Id": str(pid), "PostTypeId": "1",
        "CreationDate": f"2017-04-{day:02d}T{rng.below(24):02d}:{rng.below(60):02d}:00.000",
        "Score": str(rng.below(50) - 5), "ViewCount": str(rng.below(5000)),
        "Body": body, "OwnerUserId": str(1000 + rng.below(90000)), "Title": title,
        "Tags": tag_str, "AnswerCount": str(rng.below(6)), "CommentCount": str(rng.below(10)),
    }
    fields = " ".join(f"{k}={quoteattr(v, {chr(10): '&#xA;'})}" for k, v in attrs.items())
    return f"  <row {fields} />\n"


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("data", "data.xml")
    num = int(sys.argv[2]) if len(sys.argv) > 2 else NUM_POSTS
    rng = Rng(SEED)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as fd:
        fd.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        fd.writelines(post(rng, pid) for pid in range(1, num + 1))
        fd.write("</posts>\n")


if __name__ == "__main__":
    main()
