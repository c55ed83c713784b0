"""Draw skintrack's icon as SVG and PNG from one list of shapes (run once; both files are committed).

``python packaging/draw_icon.py`` writes ``src/skintrack/app/skintrack.svg`` and ``skintrack.png``
(256 x 256): a face on a rounded teal square, a red mark on the person's left cheek and a white
tick (a checked face).
"""

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
OUT = Path(__file__).resolve().parents[1] / "src" / "skintrack" / "app"

# (kind, geometry, fill, stroke, stroke width) in a 256 x 256 box.
SHAPES = [
    ("rect", (8, 8, 248, 248, 48), "#1f7a7a", None, 0),
    ("ellipse", (64, 40, 192, 212), "#f2c9a8", "#c98e6a", 6),
    ("ellipse", (96, 104, 112, 120), "#4a3426", None, 0),
    ("ellipse", (144, 104, 160, 120), "#4a3426", None, 0),
    ("ellipse", (150, 136, 174, 160), "#d9534f", None, 0),
    ("line", (104, 172, 128, 184, 152, 172), None, "#a0574a", 6),
    ("line", (150, 210, 178, 236, 236, 170), None, "#ffffff", 16),
]


def svg() -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}">'
    ]
    for kind, g, fill, stroke, width in SHAPES:
        paint = f'fill="{fill or "none"}"' + (
            f' stroke="{stroke}" stroke-width="{width}" stroke-linecap="round" stroke-linejoin="round"'
            if stroke
            else ""
        )
        if kind == "rect":
            x0, y0, x1, y1, r = g
            parts.append(f'  <rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" rx="{r}" {paint}/>')
        elif kind == "ellipse":
            x0, y0, x1, y1 = g
            parts.append(
                f'  <ellipse cx="{(x0 + x1) / 2:g}" cy="{(y0 + y1) / 2:g}" '
                f'rx="{(x1 - x0) / 2:g}" ry="{(y1 - y0) / 2:g}" {paint}/>'
            )
        else:
            pts = " ".join(f"{g[i]},{g[i + 1]}" for i in range(0, len(g), 2))
            parts.append(f'  <polyline points="{pts}" {paint}/>')
    return "\n".join(parts + ["</svg>", ""])


def png() -> Image.Image:
    scale = 4  # drawn large and shrunk: smooth edges
    im = Image.new("RGBA", (SIZE * scale, SIZE * scale), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    for kind, g, fill, stroke, width in SHAPES:
        s = [v * scale for v in g]
        if kind == "rect":
            d.rounded_rectangle(s[:4], radius=s[4], fill=fill)
        elif kind == "ellipse":
            d.ellipse(s, fill=fill, outline=stroke, width=width * scale)
        else:
            d.line(s, fill=stroke, width=width * scale, joint="curve")
            r = width * scale / 2
            for x, y in ((s[0], s[1]), (s[-2], s[-1])):
                d.ellipse((x - r, y - r, x + r, y + r), fill=stroke)
    return im.resize((SIZE, SIZE), Image.LANCZOS)


if __name__ == "__main__":
    (OUT / "skintrack.svg").write_text(svg())
    png().save(OUT / "skintrack.png", optimize=True)
    print(f"wrote {OUT / 'skintrack.svg'} and {OUT / 'skintrack.png'}")
