#!/usr/bin/env python3
"""Reads a report page as a browser left it (chromium --dump-dom) or as written, and prints
what tests compare as JSON: every data-k figure, every data-k table's rows (cell texts),
the elements and attributes that could run code, and the page's script marker."""
import json
import sys
from html.parser import HTMLParser



class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.figures = {}
        self.tables = {}
        self.scripts = 0
        self.imgs = 0
        self.handlers = []
        self.root = {}
        self.title = ""
        self._stack = []  # (tag, key) of open elements with data-k, and tables
        self._figure = None
        self._figure_tag = None
        self._table = None
        self._row = None
        self._cell = None
        self._in_title = False
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.root = a
        if tag == "script":
            self.scripts += 1
        if tag == "img":
            self.imgs += 1
        for name, _ in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
        if tag == "title":
            self._in_title = True
        if tag == "caption":
            self._in_caption = True
        key = a.get("data-k")
        if tag == "table" and key:
            self._table = key
            self.tables[key] = []
        elif key:
            self._figure = key
            self._figure_tag = tag
            self.figures[key] = ""
        if self._table and tag == "tr":
            self._row = []
        if self._row is not None and tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag == "caption":
            self._in_caption = False
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        if tag == "table":
            self._table = None
        if self._figure and tag == self._figure_tag:
            self.figures[self._figure] = " ".join(self.figures[self._figure].split())
            self._figure = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._cell is not None:
            self._cell += data
        if self._figure:
            self.figures[self._figure] += data


p = Page()
p.feed(open(sys.argv[1], encoding="utf-8").read())
# Header rows (th only) are kept as the first row of each table.
json.dump({"figures": p.figures, "tables": p.tables, "scripts": p.scripts, "imgs": p.imgs,
           "handlers": p.handlers, "root": p.root, "title": p.title.strip()}, sys.stdout, indent=1)
print()
