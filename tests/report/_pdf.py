"""A small PDF reader for the tests: enough to prove a report PDF opens and its pages decode.

It follows what a viewer does first: ``startxref`` -> the cross-reference table -> every object at
the offset the table gives; then the page tree (``/Count`` against the page objects), each page's
content stream (inflated), and every image XObject (JPEG decoded with Pillow to its declared size,
Flate inflated to its declared byte count). It needs nothing outside the standard library and
Pillow, so it runs in CI where no PDF renderer is installed. (When poppler's ``pdftoppm`` is
present, the tests also render the pages for real.)
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, field

_OBJ = re.compile(rb"(\d+) (\d+) obj\b")
_REF = re.compile(rb"(\d+) 0 R")


@dataclass
class PdfImage:
    obj: int
    width: int
    height: int
    filter: str
    data: bytes  # the raw stream bytes (JPEG file for DCTDecode)


@dataclass
class PdfInfo:
    version: str
    page_count: int
    pages: list[int]
    images: list[PdfImage] = field(default_factory=list)
    info: bytes = b""
    content_bytes: list[int] = field(default_factory=list)  # inflated content size per page
    page_images: list[list[int]] = field(default_factory=list)  # image objects drawn per page


class PdfProblem(AssertionError):
    pass


def _dict_value(body: bytes, key: bytes) -> bytes | None:
    m = re.search(rb"/" + key + rb"\s*(/\w+|\d+ 0 R|\d+|\[[^\]]*\])", body)
    return m.group(1) if m else None


def read_pdf(data: bytes) -> PdfInfo:
    """Parse and check ``data``; :class:`PdfProblem` on anything a viewer would stumble over."""
    if not data.startswith(b"%PDF-1."):
        raise PdfProblem("no %PDF header")
    version = data[5:8].decode()
    tail = data[-1024:]
    m = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", tail)
    if not m:
        raise PdfProblem("no startxref / %%EOF at the end")
    xref_at = int(m.group(1))
    if data[xref_at : xref_at + 4] != b"xref":
        raise PdfProblem(f"startxref {xref_at} does not point at the xref table")
    pos = xref_at + 4
    offsets: dict[int, int] = {}
    lines = data[pos:].split(b"\n")
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        if line.startswith(b"trailer"):
            break
        first, count = (int(v) for v in line.split())
        for k in range(count):
            entry = lines[i + 1 + k].strip().split()
            if len(entry) != 3:
                raise PdfProblem(f"bad xref entry {lines[i + 1 + k]!r}")
            if entry[2] == b"n":
                offsets[first + k] = int(entry[0])
        i += 1 + count
    trailer = data[data.index(b"trailer", xref_at) :]
    root = _dict_value(trailer, b"Root")
    if root is None:
        raise PdfProblem("trailer has no /Root")

    objects: dict[int, bytes] = {}
    for num, off in offsets.items():
        om = _OBJ.match(data, off)
        if not om or int(om.group(1)) != num:
            raise PdfProblem(f"object {num}: xref offset {off} does not start 'obj {num}'")
        end = data.index(b"endobj", om.end())
        objects[num] = data[om.end() : end]

    def resolve(v: bytes | None) -> bytes | None:
        if v is not None and _REF.fullmatch(v):
            return objects[int(_REF.fullmatch(v).group(1))].strip()
        return v

    def stream(num: int) -> tuple[bytes, bytes]:
        body = objects[num]
        s = body.index(b"stream")
        head = body[:s]
        start = s + len(b"stream")
        if body[start : start + 2] == b"\r\n":
            start += 2
        elif body[start : start + 1] == b"\n":
            start += 1
        length = int(resolve(_dict_value(head, b"Length")))
        raw = body[start : start + length]
        if not body[start + length :].lstrip().startswith(b"endstream"):
            raise PdfProblem(f"object {num}: /Length {length} does not end at 'endstream'")
        return head, raw

    root_num = int(_REF.fullmatch(root).group(1))
    pages_ref = _dict_value(objects[root_num], b"Pages")
    pages_obj = objects[int(_REF.fullmatch(pages_ref).group(1))]
    count = int(_dict_value(pages_obj, b"Count"))
    pages = [n for n, body in objects.items() if re.search(rb"/Type\s*/Page\b(?!s)", body)]
    if count != len(pages):
        raise PdfProblem(f"/Count {count} but {len(pages)} page objects")
    info = PdfInfo(version=version, page_count=count, pages=sorted(pages))
    info_ref = _dict_value(trailer, b"Info")
    if info_ref:
        info.info = objects[int(_REF.fullmatch(info_ref).group(1))]

    for n in info.pages:
        contents = _dict_value(objects[n], b"Contents")
        if contents is None:
            raise PdfProblem(f"page object {n} has no /Contents")
        head, raw = stream(int(_REF.fullmatch(contents).group(1)))
        if b"FlateDecode" in head:
            raw = zlib.decompress(raw)
        info.content_bytes.append(len(raw))
        # XObjects this page paints ("/Name Do"), looked up in its resources' /XObject dict.
        res = resolve(_dict_value(objects[n], b"Resources") or b"")
        res_body = res if res and not res.startswith(b"<<") else (res or b"")
        if res is not None and _REF.fullmatch(_dict_value(objects[n], b"Resources") or b""):
            res_body = objects[int(_REF.fullmatch(_dict_value(objects[n], b"Resources")).group(1))]
        else:
            m_res = re.search(rb"/Resources\s*(<<.*?>>\s*>>)", objects[n], re.S)
            res_body = m_res.group(1) if m_res else b""
        xo = re.search(rb"/XObject\s*(\d+ 0 R|<<.*?>>)", res_body, re.S)
        names: dict[bytes, int] = {}
        if xo:
            xbody = xo.group(1)
            if _REF.fullmatch(xbody):
                xbody = objects[int(_REF.fullmatch(xbody).group(1))]
            names = {k: int(v) for k, v in re.findall(rb"/(\w+)\s+(\d+) 0 R", xbody)}
        used = [names[nm] for nm in re.findall(rb"/(\w+)\s+Do\b", raw) if nm in names]
        info.page_images.append(used)

    for n, body in objects.items():
        if not re.search(rb"/Subtype\s*/Image\b", body):
            continue
        head, raw = stream(n)
        w = int(_dict_value(head, b"Width"))
        h = int(_dict_value(head, b"Height"))
        flt = (_dict_value(head, b"Filter") or b"").decode().lstrip("/")
        if flt == "DCTDecode":
            from PIL import Image

            im = Image.open(io.BytesIO(raw))
            im.load()
            if im.size != (w, h):
                raise PdfProblem(f"image {n}: JPEG is {im.size}, dictionary says {(w, h)}")
        elif flt == "FlateDecode":
            zlib.decompress(raw)
        info.images.append(PdfImage(n, w, h, flt, raw))
    return info
