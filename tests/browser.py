"""A real browser for the report tests: headless Chromium driven over the DevTools protocol.

The protocol runs over a pipe (``--remote-debugging-pipe``: JSON messages ending in a NUL byte,
written to the browser's file descriptor 3 and read from its descriptor 4), so no port is
opened and nothing beyond the standard library is needed.  :func:`open_page` loads one file and
returns what a reader would meet: the console's errors, every request the page made, each
chart's rendered size, the print layout's rules, and the page printed to PDF.  :class:`Pdf`
reads that PDF far enough to count pages, their sizes, where each named destination lies, and
which pages each tagged table row was drawn on.

Chromium is Debian's ``chromium`` at ``/usr/bin/chromium``; :func:`chromium` installs it with
``.ci/install-browser`` when it is missing, and says so plainly when it still is.
"""
from __future__ import annotations

import base64
import html.parser
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
INSTALL = Path(__file__).resolve().parent.parent / ".ci" / "install-browser"
# The flags that work on these machines: no sandbox (we run as root), no GPU, and none of the
# background traffic (QUIC, component updates, sync) that a machine without a network refuses.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--mute-audio", "--hide-scrollbars")
A4_POINTS = (595.28, 841.89)   # 210 x 297 mm
MM = 96 / 25.4                 # CSS pixels per millimetre


def chromium() -> str:
    """The Chromium executable; installs it with ``.ci/install-browser`` if it is missing."""
    if not _runs(CHROMIUM):
        result = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True, timeout=900)
        if not _runs(CHROMIUM):
            raise RuntimeError(
                f"Chromium is missing at {CHROMIUM} and {INSTALL} did not install it (exit status "
                f"{result.returncode}): {(result.stderr or result.stdout).strip()[-800:]}")
    return CHROMIUM


def _runs(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


class BrowserError(RuntimeError):
    """The browser answered a command with an error, or did not answer in time."""


class Browser:
    """One headless Chromium, with a fresh empty profile, spoken to over the DevTools pipe."""

    def __init__(self, executable: str | None = None, timeout: float = 30.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="caseflow-chromium-")
        self.events: list[dict[str, Any]] = []
        self._id = 0
        self._buffer = b""
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def descriptors() -> None:  # in the child: the pipe ends become fds 3 and 4
            a, b = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            # os.dup makes close-on-exec copies, and dup2 onto the same number changes nothing: when
            # 3 or 4 was free the copy *is* fd 3 or 4 and would close at exec (Chromium then says
            # "Remote debugging pipe file descriptors are not open").  Keep both open across exec.
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [executable or chromium(), *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr, close_fds=False,
            preexec_fn=descriptors)
        os.close(to_browser_r)
        os.close(from_browser_w)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._id

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send a command and wait for its answer (events that arrive meanwhile are kept)."""
        wanted = self.send(method, params, session)
        reply = self._read_until(lambda m: m.get("id") == wanted, f"the answer to {method}")
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_for(self, event: str, session: str | None = None) -> dict:
        """Wait for an event (or take it if it already came)."""
        for m in self.events:
            if m.get("method") == event and (session is None or m.get("sessionId") == session):
                return m
        return self._read_until(lambda m: m.get("method") == event and
                                (session is None or m.get("sessionId") == session), event)

    def _read_until(self, done, what: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                if done(message):
                    return message
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise BrowserError(f"Chromium sent no {what} within {self.timeout:.0f} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                self.stderr.seek(0)
                raise BrowserError(f"Chromium closed the pipe while we waited for {what}: "
                                   f"{self.stderr.read().decode(errors='replace')[-800:]}")
            self._buffer += chunk

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                try:
                    self.send("Browser.close")
                    self.process.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    self.process.kill()
                    self.process.wait(timeout=10)
        finally:
            for fd in (self._to_browser, self._from_browser):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)


@dataclass
class PageResult:
    """What loading one page showed."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)    # every URL the page asked for
    charts: list[dict] = field(default_factory=list)     # one per <img> and inline <svg>
    print_layout: dict = field(default_factory=dict)     # print rules as the browser applied them
    document: dict = field(default_factory=dict)         # title, headings' text, elements that run code
    pdf: bytes = b""


_CHARTS = """(async () => {
  const imgs = [...document.images];
  const decoded = await Promise.all(imgs.map(i => i.decode().then(() => true, () => false)));
  const out = imgs.map((img, k) => { const r = img.getBoundingClientRect();
    return {tag: "img", alt: img.alt, decoded: decoded[k], naturalWidth: img.naturalWidth,
            naturalHeight: img.naturalHeight, width: r.width, height: r.height}; });
  for (const svg of document.querySelectorAll("body svg")) { const b = svg.getBBox();
    out.push({tag: "svg", alt: svg.getAttribute("aria-label") || "", decoded: true,
              naturalWidth: b.width, naturalHeight: b.height, width: b.width, height: b.height}); }
  return out;
})()"""

_DOCUMENT = """(() => ({
  title: document.title,
  headings: [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map(h => [h.tagName, h.textContent]),
  active: document.querySelectorAll("script, iframe, object, embed, link, base, form").length,
}))()"""

_PRINT_LAYOUT = """(() => {
  const page = document.documentElement.clientWidth;
  const style = (el, prop) => getComputedStyle(el)[prop];
  return {
    pageWidth: page,
    rows: [...document.querySelectorAll("tr")].map(tr => style(tr, "breakInside")),
    majorSections: [...document.querySelectorAll("section.major")].map(s => style(s, "breakBefore")),
    theads: [...document.querySelectorAll("thead")].map(t => style(t, "display")),
    figures: [...document.querySelectorAll("figure")].map(f => style(f, "breakInside")),
    wide: [...document.querySelectorAll("img, table, pre")]
      .filter(el => el.getBoundingClientRect().right > page + 0.5)
      .map(el => el.tagName + " " + Math.round(el.getBoundingClientRect().right)),
  };
})()"""


def open_page(path: Path, timeout: float = 30.0) -> PageResult:
    """Load ``path`` in a fresh headless Chromium and report what it showed (see :class:`PageResult`)."""
    result = PageResult()
    with Browser(timeout=timeout) as browser:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable", None, session)
        browser.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session)
        browser.wait_for("Page.loadEventFired", session)
        result.charts = _evaluate(browser, session, _CHARTS)
        result.document = _evaluate(browser, session, _DOCUMENT)
        # The print rules, measured at an A4 page's width inside its margins (docs/report.md).
        browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session)
        browser.call("Emulation.setDeviceMetricsOverride", {"width": round((210 - 32) * MM), "height": 1000,
                                                            "deviceScaleFactor": 1, "mobile": False}, session)
        result.print_layout = _evaluate(browser, session, _PRINT_LAYOUT)
        browser.call("Emulation.clearDeviceMetricsOverride", None, session)
        browser.call("Emulation.setEmulatedMedia", {"media": ""}, session)
        printed = browser.call("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True,
                                                   "displayHeaderFooter": False, "generateTaggedPDF": True,
                                                   "generateDocumentOutline": True}, session)
        result.pdf = base64.b64decode(printed["data"])
        _evaluate(browser, session, "0")  # a last round trip: late console messages arrive first
        for m in browser.events:
            method, params = m.get("method"), m.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                result.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                      for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                result.console_errors.append(details.get("exception", {}).get("description")
                                             or details.get("text", "exception"))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                result.console_errors.append(f"{entry.get('text')} {entry.get('url', '')}".strip())
            elif method == "Network.requestWillBeSent":
                result.requests.append(params["request"]["url"])
    return result


def _evaluate(browser: Browser, session: str, expression: str) -> Any:
    reply = browser.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                              "returnByValue": True}, session)
    if "exceptionDetails" in reply:
        raise BrowserError(f"page script failed: {reply['exceptionDetails'].get('text')}")
    return reply["result"].get("value")


# --------------------------------------------------------------------------- reading the PDF

@dataclass(frozen=True)
class Ref:
    number: int


class Name(str):
    """A PDF name (``/Type``), without its slash."""


_TOKEN = re.compile(rb"\s*(?:%[^\r\n]*\s*)*(<<|>>|\[|\]|\(|<|/[^\s/\[\]()<>{}%]*|[-+]?[0-9.]+|[A-Za-z]+)")
_OBJECT = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")


class Pdf:
    """The parts of a PDF these tests read: pages, their sizes, named destinations and the
    tagged structure (which page every tagged element was drawn on)."""

    def __init__(self, data: bytes):
        if not data.startswith(b"%PDF-"):
            raise ValueError("not a PDF")
        self.data = data
        self.objects: dict[int, Any] = {}
        pos = 0
        while (m := _OBJECT.search(data, pos)) is not None:
            value, pos = self._value(m.end())
            token, after = self._token(pos)
            if token == b"stream":
                length = value.get("Length") if isinstance(value, dict) else None
                length = self.objects.get(length.number) if isinstance(length, Ref) else length
                start = after + (2 if data[after:after + 2] == b"\r\n" else 1)
                if isinstance(length, int):
                    pos = start + length
                else:
                    pos = data.index(b"endstream", start)
                value = {"__stream__": (start, pos), **value}
            self.objects[int(m.group(1))] = value
        self.catalog = next(v for v in self.objects.values() if isinstance(v, dict) and v.get("Type") == "Catalog")
        self.pages: list[int] = []
        self._walk_pages(self.catalog["Pages"])
        self._page_index = {number: i for i, number in enumerate(self.pages)}

    # -- tokens and values
    def _token(self, pos: int) -> tuple[bytes, int]:
        m = _TOKEN.match(self.data, pos)
        if not m:
            raise ValueError(f"cannot read the PDF at byte {pos}")
        return m.group(1), m.end()

    def _value(self, pos: int) -> tuple[Any, int]:
        token, pos = self._token(pos)
        if token == b"<<":
            out: dict[str, Any] = {}
            while True:
                key, after = self._token(pos)
                if key == b">>":
                    return out, after
                value, pos = self._value(after)
                out[key[1:].decode("latin-1")] = value
        if token == b"[":
            items: list[Any] = []
            while True:
                nxt, after = self._token(pos)
                if nxt == b"]":
                    return items, after
                value, pos = self._value(pos)
                items.append(value)
        if token == b"(":
            return self._literal(pos)
        if token == b"<":
            end = self.data.index(b">", pos)
            return bytes.fromhex(re.sub(rb"\s", b"", self.data[pos:end]).decode()), end + 1
        if token.startswith(b"/"):
            return Name(re.sub(rb"#([0-9A-Fa-f]{2})", lambda h: bytes([int(h.group(1), 16)]),
                               token[1:]).decode("latin-1")), pos
        if token in (b"true", b"false"):
            return token == b"true", pos
        if token == b"null":
            return None, pos
        if re.fullmatch(rb"[-+]?\d+", token):
            # "12 0 R" is a reference: look ahead for the generation number and the R.
            m = re.compile(rb"\s+(\d+)\s+R\b").match(self.data, pos)
            if m:
                return Ref(int(token)), m.end()
            return int(token), pos
        if re.fullmatch(rb"[-+]?[0-9.]+", token):
            return float(token), pos
        return token, pos

    def _literal(self, pos: int) -> tuple[bytes, int]:
        depth, out, i = 1, bytearray(), pos
        while depth:
            ch = self.data[i]
            if ch == 0x5C:  # backslash: keep the escaped byte
                out.append(self.data[i + 1])
                i += 2
                continue
            depth += (ch == 0x28) - (ch == 0x29)
            if depth:
                out.append(ch)
            i += 1
        return bytes(out), i

    # -- pages and destinations
    def _walk_pages(self, ref: Ref) -> None:
        node = self.objects[ref.number]
        if node.get("Type") == "Pages":
            for kid in node["Kids"]:
                self._walk_pages(kid)
        else:
            self.pages.append(ref.number)

    def _inherited(self, number: int, key: str) -> Any:
        node = self.objects[number]
        while key not in node and isinstance(node.get("Parent"), Ref):
            node = self.objects[node["Parent"].number]
        return node.get(key)

    def page_sizes(self) -> list[tuple[float, float]]:
        """Each page's MediaBox width and height, in points."""
        sizes = []
        for number in self.pages:
            x0, y0, x1, y1 = (float(v) for v in self._inherited(number, "MediaBox"))
            sizes.append((x1 - x0, y1 - y0))
        return sizes

    def destinations(self) -> dict[str, int]:
        """Named destination -> page index (0 is the first page)."""
        dests = self.catalog.get("Dests")
        dests = self.objects[dests.number] if isinstance(dests, Ref) else (dests or {})
        out = {}
        for name, target in dests.items():
            target = self.objects[target.number] if isinstance(target, Ref) else target
            if isinstance(target, dict):
                target = target.get("D")
            out[name] = self._page_index[target[0].number]
        return out

    def page_text_bytes(self, index: int) -> bytes:
        """The decompressed content stream(s) of one page (for tests that look for drawing)."""
        contents = self.objects[self.pages[index]].get("Contents")
        refs = contents if isinstance(contents, list) else [contents]
        out = b""
        for ref in refs:
            obj = self.objects[ref.number]
            start, end = obj["__stream__"]
            raw = self.data[start:end]
            out += zlib.decompress(raw) if obj.get("Filter") == "FlateDecode" else raw
        return out

    # -- the tagged structure
    def struct_elements(self, kind: str) -> list[dict]:
        """Every structure element of type ``kind`` ("TR", "H2", "Figure", ...)."""
        return [v for v in self.objects.values()
                if isinstance(v, dict) and v.get("Type") == "StructElem" and v.get("S") == kind]

    def pages_of(self, element: dict) -> set[int]:
        """The pages the marked content under a structure element was drawn on."""
        found: set[int] = set()
        page = element.get("Pg")

        def visit(kid: Any, page: Any) -> None:
            if isinstance(kid, list):
                for k in kid:
                    visit(k, page)
            elif isinstance(kid, int) and isinstance(page, Ref):
                found.add(self._page_index[page.number])
            elif isinstance(kid, Ref):
                visit(self.objects[kid.number], page)
            elif isinstance(kid, dict):
                own = kid.get("Pg", page)
                if kid.get("Type") == "StructElem":
                    visit(kid.get("K"), own)
                elif kid.get("Type") in ("MCR", "OBJR") and isinstance(own, Ref):
                    found.add(self._page_index[own.number])

        visit(element.get("K"), page)
        return found

    def parent_kind(self, element: dict) -> str | None:
        parent = element.get("P")
        return self.objects[parent.number].get("S") if isinstance(parent, Ref) else None


# --------------------------------------------------------------------------- reading a page back

class HtmlReader(html.parser.HTMLParser):
    """Tags with their attributes, headings, and tables as rows of (tag, attributes, text) cells."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[tuple[str, str]] = []
        self.tables: list[dict] = []
        self._text: list[str] | None = None
        self._cell: tuple[str, dict] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "table":
            self.tables.append({"caption": "", "head": [], "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        if tag in ("th", "td", "caption", "h1", "h2", "h3", "h4", "h5", "h6"):
            self._text, self._cell = [], (tag, attrs)

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._cell is None or tag != self._cell[0]:
            return
        text = "".join(self._text or [])
        if tag == "caption":
            self.tables[-1]["caption"] = text
        elif tag in ("th", "td"):
            self.tables[-1]["rows"][-1].append((tag, self._cell[1], text))
        else:
            self.headings.append((tag, text))
        self._text = self._cell = None


def read_html(text: str) -> HtmlReader:
    """A page's tags, headings and tables, read with the standard library's parser."""
    reader = HtmlReader()
    reader.feed(text)
    reader.close()
    return reader
