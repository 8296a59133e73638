"""Geometry for small server-made SVG charts (no chart library on the phone). No Flask here."""


def cv_bars(items, cap, *, width=340, bar_height=22, gap=8, label_width=34, value_width=54):
    """Horizontal bars of difference coefficients against their cap.

    items: [(label, cv or None)]; returns a dict the template draws: bars with x/y/width, the
    cap line's x, and the overall size. The scale runs to max(cap × 1.25, largest cv)."""
    values = [v for _, v in items if v is not None]
    top = max([cap * 1.25 if cap else 0.0] + values + [0.1])
    plot = width - label_width - value_width
    bars = []
    for i, (label, v) in enumerate(items):
        y = i * (bar_height + gap)
        w = 0 if v is None else max(1.0, plot * v / top)
        bars.append({
            "label": label, "value": v, "x": label_width, "y": y, "width": round(w, 1), "height": bar_height,
            "over": cap is not None and v is not None and v > cap,
            "text_x": round(label_width + w + 4, 1), "text_y": y + bar_height * 0.7,
        })
    height = len(items) * (bar_height + gap)
    cap_x = None if cap is None else round(label_width + plot * cap / top, 1)
    return {"bars": bars, "cap": cap, "cap_x": cap_x, "width": width, "height": height + 16, "plot_bottom": height}
