"""Placing point labels on a scatter so that they do not cover each other."""

from __future__ import annotations

POSITIONS = ("top center", "bottom center", "middle right", "middle left", "top right",
             "bottom left", "top left", "bottom right")


def label_positions(xs: list[float], ys: list[float], texts: list[str] | None = None,
                    width: float = 1100, height: float = 380,
                    span: tuple[list, list] | None = None) -> list[str]:
    """A text position per point such that labels do not cover each other: each label, in
    order of x, takes the first position whose box (estimated in pixels for a plot of
    `width` x `height`) overlaps no label already placed, else the least-overlapping one."""
    if not xs:
        return []
    texts = texts or [""] * len(xs)
    all_x, all_y = span or (xs, ys)  # every value the axes show, not only the labelled ones
    span_x = (max(all_x) - min(all_x)) or 1.0
    span_y = (max(all_y) - min(all_y)) or 1.0
    char_w, line_h, gap = 5.5, 11.0, 6.0
    placed: list[tuple[float, float, float, float]] = []
    out = [""] * len(xs)

    def box(i: int, pos: str) -> tuple[float, float, float, float]:
        px, py = xs[i] / span_x * width, -ys[i] / span_y * height  # y grows downwards
        w, h = char_w * max(1, len(texts[i])), line_h
        vert, horiz = pos.split()
        x0 = {"left": px - gap - w, "center": px - w / 2, "right": px + gap}[horiz]
        y0 = {"top": py - gap - h, "middle": py - h / 2, "bottom": py + gap}[vert]
        return (x0, y0, x0 + w, y0 + h)

    def clash(b: tuple[float, float, float, float]) -> float:
        return sum(max(0.0, min(b[2], o[2]) - max(b[0], o[0])) *
                   max(0.0, min(b[3], o[3]) - max(b[1], o[1])) for o in placed)

    for i in sorted(range(len(xs)), key=lambda k: (xs[k], ys[k])):
        best = min(POSITIONS, key=lambda p: (clash(box(i, p)) > 0, clash(box(i, p)),
                                             POSITIONS.index(p)))
        out[i] = best
        placed.append(box(i, best))
    return out
