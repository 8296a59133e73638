"""A 资源配置 indicator computed with the count or area an inspector verified on site in place of
the reported one (moved out of fieldwork/procedure.py: it is the metrics engine's work)."""
from ..extensions import db
from ..models import School


def verified_per_pupil(inspection, school_id, code, observed):
    """{学段: value} of a 资源配置 indicator with the count or area verified on site in place of the
    reported one: the school's stored rows (its latest data year up to the inspection's) with the
    numerator replaced — a combined school's total split between its 学段 by the standard's
    weights — and computed by the same formula the indicator is judged by; only the 学段 below the
    standard. None when the item is not such an indicator, the value is not a number, the school has
    no data or the figure meets the standard."""
    from ..indicators.metrics import indicator_values
    from ..indicators.school_import import school_frame
    from ..indicators.split import split_shared, weights_for

    standard = inspection.standard
    indicator = standard.indicators.get(code or "")
    if not indicator or not indicator.get("formula") or not indicator.get("thresholds") or not school_id:
        return None
    try:
        total = float(str(observed).replace(",", "").strip())
    except ValueError:
        return None
    frame, _year = school_frame(school_id, inspection.year)
    if frame is None or frame.empty:
        return None
    frame = frame.copy()
    numerator = indicator["formula"]["numerator"]
    sections = list(frame["学段"])
    weights = weights_for(standard, db.session.get(School, school_id).school_type)
    if weights:  # the verified total is the whole school's: each 学段 its weighted share
        pupils = dict(zip(sections, frame["在校生数"]))
        if "高中" in weights:
            pupils["高中"] = frame["高中在校生数"].fillna(0).max()
        shares = split_shared(total, pupils, weights, integer=total.is_integer())
        frame[numerator] = [shares.get(s, 0) for s in sections]
    else:
        frame[numerator] = total / len(sections) if len(sections) > 1 else total
    values = indicator_values(frame, standard, [code])[code]
    # only a 学段 below its standard: a figure that meets it is no evidence of the shortfall
    below = {sec: float(v) for sec, v in zip(sections, values) if v == v and v < indicator["thresholds"].get(sec, v)}
    return below or None
