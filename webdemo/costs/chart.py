"""One claim's chart, laid out for SVG: the template draws it with no style attributes,
which the page's CSP does not allow."""

from dataclasses import dataclass, field

from webdemo.costs.verdicts import Verdict

BAR_X, BAR_WIDTH, ROW, GAP = 110, 380, 24, 14


@dataclass
class Chart:
    claim: Verdict
    verdict: bool | None
    seen: str  # one of claims.SEEN, to translate, then fill in with its figures
    figures: dict
    rows: list = field(default_factory=list)
    height: int = 0


def chart(claim: Verdict, results: dict) -> Chart:
    """Bars per style, grouped by N; each N on its own scale, since N spans 100 times."""
    drawn = Chart(claim, *claim.verdict(results["runs"]))
    y = 0
    for size in sorted({run["fetches"] for run in results["runs"]}):
        runs = [run for run in results["runs"] if run["fetches"] == size]
        drawn.rows.append({"kind": "group", "y": y + 14, "text": f"N = {size}"})
        y += ROW + 2
        top = max(sum(part(run) for part in claim.parts) for run in runs) or 1
        for run in runs:
            x, segments = BAR_X, []
            for number, part in enumerate(claim.parts):
                width = round(BAR_WIDTH * part(run) / top, 1)
                segments.append({"x": x, "width": width, "part": number})
                x += width
            total = sum(part(run) for part in claim.parts)
            drawn.rows.append({
                "kind": "bar", "y": y, "style": run["style"], "segments": segments,
                "value_x": x + 6, "value": f"{total:,.0f} {claim.unit}".strip()
                if total >= 10 else f"{total:.1f} {claim.unit}".strip(),
            })
            y += ROW
        y += GAP
    drawn.height = y
    return drawn
