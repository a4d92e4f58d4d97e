"""``report.html``: the page a person opens after a run.

One self-contained file: inline CSS and JavaScript, charts as inline SVG, thumbnails as data URLs,
the world viewer drawn on a canvas from data embedded in the page; videos are referenced relative
to the page (``iter-01/video.mp4``) so the run directory can be zipped, moved or served as is.
Nothing is fetched from the network. The page is rebuilt from what is on disk, so it also shows a
run that failed or is still going.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from worlddirector.artifacts.agent_report import AgentReport
from worlddirector.artifacts.analysis import METRIC_KEYS, Analysis
from worlddirector.artifacts.revision import Revision
from worlddirector.artifacts.run import STAGES, IterationRecord, Run
from worlddirector.artifacts.world import World
from worlddirector.director.thumbs import read_frames, thumbnail, violation_frame
from worlddirector.errors import BadInputError, WDError

MAX_THUMBS = 24
MAX_ROWS = 60
REPLAY_HZ = 10.0
E = html.escape


def _load(cls, d: Path):
    try:
        return cls.load(d) if (d / cls.FILENAME).exists() else None
    except WDError:
        return None


def _fmt(v: Any, nd: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return E(str(v))


# ---- charts ----------------------------------------------------------------------------------


def _line_chart(
    title: str,
    series: list[tuple[str, str, list[float | None]]],
    n: int,
    target: float | None = None,
    ymax: float = 1.0,
) -> str:
    w, h, l, r, t, b = 360, 200, 34, 10, 38, 26
    iw, ih = w - l - r, h - t - b

    def X(i: int) -> float:
        return l + (iw * i / max(1, n - 1) if n > 1 else iw / 2)

    def Y(v: float) -> float:
        return t + ih * (1 - v / ymax) if ymax else t + ih

    parts = [
        f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="{E(title)}" width="100%">',
        f'<text x="{l}" y="14" style="fill:#e6e9ef;font-size:12px">{E(title)}</text>',
    ]
    for k in range(5):
        v = ymax * k / 4
        parts.append(f'<line x1="{l}" x2="{w - r}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" stroke="#262d3a"/>')
        parts.append(f'<text x="{l - 4}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    for i in range(n):
        parts.append(f'<text x="{X(i):.1f}" y="{h - 8}" text-anchor="middle">{i + 1}</text>')
    if target is not None:
        parts.append(
            f'<line x1="{l}" x2="{w - r}" y1="{Y(target):.1f}" y2="{Y(target):.1f}" stroke="#45c78b" '
            f'stroke-dasharray="5 4"/><text x="{w - r}" y="{Y(target) - 4:.1f}" text-anchor="end" '
            f'style="fill:#45c78b">target {target:g}</text>'
        )
    legend_x = l + 4
    for name, color, vals in series:
        pts = [(X(i), Y(v)) for i, v in enumerate(vals) if v is not None]
        if len(pts) > 1:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            parts.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        for (x, y), v in zip(pts, [v for v in vals if v is not None], strict=False):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"><title>{E(name)}: {v:.3f}'
                f"</title></circle>"
            )
        parts.append(
            f'<rect x="{legend_x}" y="20" width="9" height="9" fill="{color}"/>'
            f'<text x="{legend_x + 12}" y="28">{E(name)}</text>'
        )
        legend_x += 14 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)


_TYPE_COLORS = {
    "floating": "#ff6b6b",
    "interpenetration": "#ff8a3d",
    "pop_in": "#f2b84b",
    "pop_out": "#e0a030",
    "teleport": "#c77dff",
    "size_drift": "#5ad1d1",
    "flicker": "#ffe066",
    "unreachable_area": "#6ea8ff",
    "agent_stuck": "#8d96a8",
    "tunneling": "#ff6bb5",
    "unstable_object": "#b0d45a",
    "implausible_motion": "#9f7aea",
    "av_desync": "#4fd1c5",
}


def _bar_chart(its: list[IterationRecord]) -> str:
    w, h, l, r, t, b = 360, 200, 34, 10, 38, 26
    iw, ih = w - l - r, h - t - b
    n = len(its)
    top = max([it.violations or 0 for it in its] + [1])
    bw = iw / max(1, n) * 0.6
    parts = [
        f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="violations per iteration" width="100%">',
        '<text x="34" y="14" style="fill:#e6e9ef;font-size:12px">Violations per iteration, by type</text>',
    ]
    for k in range(5):
        v = top * k / 4
        y = t + ih * (1 - k / 4)
        parts.append(
            f'<line x1="{l}" x2="{w - r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#262d3a"/>'
            f'<text x="{l - 4}" y="{y + 4:.1f}" text-anchor="end">{v:.0f}</text>'
        )
    for i, it in enumerate(its):
        x = l + iw * (i + 0.5) / max(1, n) - bw / 2
        y = t + ih
        for typ, cnt in sorted(it.violations_by_type.items()):
            hh = ih * cnt / top
            y -= hh
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{hh:.1f}" '
                f'fill="{_TYPE_COLORS.get(typ, "#8d96a8")}"><title>iteration {it.index}: {cnt} {E(typ)}'
                f"</title></rect>"
            )
        parts.append(f'<text x="{x + bw / 2:.1f}" y="{h - 8}" text-anchor="middle">{it.index}</text>')
    parts.append("</svg>")
    return "".join(parts)


# ---- sections --------------------------------------------------------------------------------


def _diff_html(rev: Revision) -> str:
    out = []
    for op in rev.diff:
        if op.op == "equal":
            out.append(E(op.text))
        elif op.op == "insert":
            out.append(f"<ins>{E(op.text)}</ins>")
        else:
            out.append(f"<del>{E(op.text)}</del>")
    return "".join(out)


def _metrics_table(rec: IterationRecord) -> str:
    rows = []
    for k in METRIC_KEYS:
        v = rec.metrics.get(k)
        if k not in rec.metrics:
            continue
        pct = 0 if v is None else max(0, min(100, v * 100))
        rows.append(
            f"<tr><td>{E(k)}</td><td class='sev'>{_fmt(v)}</td><td><div class='bar'><i style='width:{pct:.0f}%'>"
            f"</i></div></td></tr>"
        )
    for k, v in rec.metrics.items():
        if k not in METRIC_KEYS:
            rows.append(f"<tr><td>{E(k)}</td><td class='sev'>{_fmt(v)}</td><td></td></tr>")
    return (
        "<table><tr><th>metric</th><th>value</th><th></th></tr>" + "".join(rows) + "</table>" if rows else ""
    )


def _violation_rows(
    d: Path, rec: IterationRecord, report: AgentReport, analysis: Analysis | None, world: World | None
) -> str:
    fps = analysis.video.fps if analysis else 24.0
    n_frames = analysis.video.n_frames if analysis else 0
    vs = sorted(report.violations, key=lambda v: -v.severity)[:MAX_ROWS]
    frames = {violation_frame(v, fps, n_frames) for v in vs[:MAX_THUMBS]}
    imgs = read_frames(d / "video.mp4", frames)
    vsize = (analysis.video.width, analysis.video.height) if analysis else None
    rows = []
    for k, v in enumerate(vs):
        f = violation_frame(v, fps, n_frames)
        thumb = ""
        if k < MAX_THUMBS and f in imgs:
            url, how = thumbnail(imgs[f], v, f, analysis, world, vsize)
            thumb = (
                f'<img class="thumb" src="{url}" alt="{E(v.type)} at frame {f} ({how})" title="{E(how)}: '
                f'click to play from here" tabindex="0" data-iter="{rec.index}" data-seek="{v.time:.3f}">'
            )
        frames_txt = (
            f"{v.frames[0]}–{v.frames[-1]}" if len(v.frames) > 1 else (str(v.frames[0]) if v.frames else "–")
        )
        rows.append(
            f"<tr><td>{thumb}</td><td><b>{E(v.type)}</b><br><span class='muted'>{E(v.id)}</span></td>"
            f"<td class='sev'>{v.severity:.2f}</td><td class='sev'><a href='#video-{rec.index}' data-iter='{rec.index}' "
            f"data-seek='{v.time:.3f}'>{v.time:.2f} s</a><br><span class='muted'>frames {frames_txt}</span></td>"
            f"<td>{E(v.object_id or '–')}</td><td>{E(v.evidence)}<br><span class='muted'>at "
            f"({v.position[0]:.2f}, {v.position[1]:.2f}, {v.position[2]:.2f}) m</span></td></tr>"
        )
    more = len(report.violations) - len(vs)
    tail = (
        f"<p class='muted'>{more} lower-severity findings not shown (see agent_report.json).</p>"
        if more > 0
        else ""
    )
    return (
        "<div class='scroll'><table><tr><th>where</th><th>type</th><th>severity</th><th>when</th><th>object</th>"
        "<th>evidence</th></tr>" + "".join(rows) + "</table></div>" + tail
    )


def _world_data(rec: IterationRecord, world: World, report: AgentReport | None) -> dict[str, Any]:
    def r(v):
        return [round(float(x), 2) for x in v]

    fmin, fmax = world.floor.extent_min, world.floor.extent_max
    # frame the world itself (floor, walls, obstacles, agents); tracked trajectories and findings
    # widen the frame only when they are near it, so one far outlier does not shrink the scene
    xs, ys = [fmin[0], fmax[0]], [fmin[1], fmax[1]]
    for w in world.walls:
        xs += [w.p0[0], w.p1[0]]
        ys += [w.p0[1], w.p1[1]]
    for o in world.obstacles:
        xs.append(o.center[0])
        ys.append(o.center[1])
    if report is not None:
        for pts in report.replay.agents.values():
            xs += [p[0] for p in pts]
            ys += [p[1] for p in pts]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    radius = max(max(xs) - min(xs), max(ys) - min(ys), 1.0) / 2
    extra = [p.position for m in world.moving_objects for p in m.trajectory]
    if report is not None:
        extra += [v.position for v in report.violations]
    near = [p for p in extra if max(abs(p[0] - cx), abs(p[1] - cy)) <= 1.5 * radius]
    if near:
        xs += [p[0] for p in near]
        ys += [p[1] for p in near]
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        radius = max(max(xs) - min(xs), max(ys) - min(ys), 1.0) / 2
    data: dict[str, Any] = {
        "iter": rec.index,
        "method": world.method,
        "center": [cx, cy],
        "radius": radius,
        "floor_min": r(fmin),
        "floor_max": r(fmax),
        "walls": [{"p0": r(w.p0), "p1": r(w.p1), "h": round(w.height, 2)} for w in world.walls],
        "obstacles": [
            {"c": r(o.center), "s": r(o.size), "yaw": round(o.yaw, 3), "label": o.label}
            for o in world.obstacles
        ],
        "moving": [
            {"id": m.id, "s": r(m.size), "traj": [r(p.position) for p in m.trajectory]}
            for m in world.moving_objects
            if m.trajectory
        ],
        "agents": {},
        "violations": [],
        "hz": REPLAY_HZ,
        "ticks": 1,
    }
    if report is not None:
        step = max(1, round(report.replay.hz / REPLAY_HZ)) if report.replay.hz else 1
        data["hz"] = (report.replay.hz / step) if report.replay.hz else REPLAY_HZ
        data["agents"] = {k: [r(p) for p in v[::step]] for k, v in report.replay.agents.items()}
        data["ticks"] = max([len(v) for v in data["agents"].values()] + [1])
        data["violations"] = [
            {
                "id": v.id,
                "type": v.type,
                "p": r(v.position),
                "t": round(v.time, 3),
                "sev": round(v.severity, 3),
                "ev": v.evidence[:200],
            }
            for v in report.violations[:200]
        ]
    return data


def _iteration_section(out: Path, run: Run, rec: IterationRecord, worlds: dict[str, Any]) -> str:
    d = out / rec.dir
    analysis, world = _load(Analysis, d), _load(World, d)
    report, rev = _load(AgentReport, d), _load(Revision, d)
    best = run.best_iteration == rec.index
    badges = ("<span class='badge best'>best</span>" if best else "") + (
        "<span class='badge failed'>failed</span>" if rec.status == "failed" else ""
    )
    h = [
        f"<section class='panel iter{' best' if best else ''}' id='iter-{rec.index}'>",
        f"<h2>Iteration {rec.index}{badges}</h2>",
        f"<p class='prompt'>{E(rec.prompt)}</p>",
    ]
    tiles = [
        ("overall", _fmt(rec.overall)),
        ("analysis", _fmt(rec.analysis_overall)),
        ("physics", _fmt(rec.physics)),
        ("violations", _fmt(rec.violations)),
        ("intent similarity", _fmt(rec.intent_similarity)),
        ("world", _fmt(rec.world_method)),
        ("cost", f"${rec.cost_usd:.2f}"),
    ]
    h.append(
        "<div class='tiles'>"
        + "".join(f"<div class='tile'><b>{v}</b><span>{k}</span></div>" for k, v in tiles)
        + "</div>"
    )
    if rec.error:
        h.append(f"<p style='color:var(--bad)'>{E(rec.error)}</p>")
    h.append("<div class='row' style='margin-top:14px'><div>")
    if (d / "video.mp4").exists():
        h.append(
            f"<video id='video-{rec.index}' src='{E(rec.dir)}/video.mp4' controls muted loop playsinline "
            f"preload='metadata'></video>"
        )
    else:
        h.append("<p class='muted'>no video</p>")
    timing = ", ".join(
        f"{s} {rec.stages[s].seconds:.1f} s"
        for s in STAGES
        if s in rec.stages and rec.stages[s].seconds is not None
    )
    h.append(f"<p class='muted'>stage times: {E(timing) or '–'}</p>")
    if rec.violations_by_type:
        h.append(
            "<p class='muted'>by type: "
            + ", ".join(f"{E(k)} {v}" for k, v in rec.violations_by_type.items())
            + "</p>"
        )
    h.append("</div><div>" + _metrics_table(rec) + "</div></div>")
    if rev is not None:
        h.append("<h3>Prompt revision for the next iteration</h3>")
        h.append(f"<div class='diff'>{_diff_html(rev)}</div>")
        h.append(
            f"<p class='muted'>reviser: {E(rev.reviser)} · intent similarity of the revised prompt "
            f"{rev.intent_similarity:.3f}</p>"
        )
        if rev.changes:
            h.append(
                "<ul class='changes'>"
                + "".join(
                    f"<li><span class='chg'>{E(c.action)}</span><b>{E(c.edit)}</b> — {E(c.reason)}"
                    + (
                        f" <span class='muted'>[{E(', '.join(c.violation_ids[:8]))}{' …' if len(c.violation_ids) > 8 else ''}]"
                        f"</span>"
                        if c.violation_ids
                        else ""
                    )
                    + "</li>"
                    for c in rev.changes
                )
                + "</ul>"
            )
        if rev.notes:
            h.append(
                "<details><summary>notes</summary><ul>"
                + "".join(f"<li>{E(n)}</li>" for n in rev.notes)
                + "</ul></details>"
            )
    if report is not None:
        h.append(f"<h3>Violations ({len(report.violations)})</h3>")
        h.append(
            _violation_rows(d, rec, report, analysis, world)
            if report.violations
            else "<p class='muted'>the agents found nothing wrong</p>"
        )
    if world is not None:
        worlds[str(rec.index)] = _world_data(rec, world, report)
    h.append("</section>")
    return "".join(h)


def render_report(out_dir: Path, run: Run) -> str:
    its = sorted(run.iterations, key=lambda i: i.index)
    worlds: dict[str, Any] = {}
    iter_html = "".join(_iteration_section(out_dir, run, rec, worlds) for rec in its)
    n = len(its)
    status = run.status + (f" · {run.stop_reason}" if run.stop_reason else "")
    best = run.iteration(run.best_iteration) if run.best_iteration else None
    first = its[0] if its else None
    tiles = [
        ("status", E(status)),
        ("iterations", str(n)),
        ("best iteration", _fmt(run.best_iteration)),
        ("best overall", _fmt(run.best_overall)),
        ("target", _fmt(run.params.target)),
        (
            "violations: first → best",
            f"{_fmt(first.violations if first else None)} → {_fmt(best.violations if best else None)}",
        ),
        ("cost", f"${run.cost_usd:.2f}"),
        ("provider", E(run.params.provider)),
        ("model layer", E(run.params.llm)),
    ]
    head = [
        f"<header><h1>World Director run <span class='muted'>{E(run.id)}</span></h1>",
        f"<p class='prompt'>{E(run.original_prompt)}</p>",
        "<div class='tiles'>"
        + "".join(f"<div class='tile'><b>{v}</b><span>{k}</span></div>" for k, v in tiles)
        + "</div>",
    ]
    if run.error:
        head.append(f"<p style='color:var(--bad)'>{E(run.error)}</p>")
    head.append("</header><main>")
    charts = (
        "<section class='panel'><h2>Across iterations</h2><div class='charts'>"
        + _line_chart(
            "Scores",
            [
                ("overall", "#6ea8ff", [i.overall for i in its]),
                ("analysis", "#f2b84b", [i.analysis_overall for i in its]),
                ("physics", "#45c78b", [i.physics for i in its]),
            ],
            n,
            run.params.target,
        )
        + _line_chart(
            "Intent similarity to the original prompt",
            [("intent", "#c77dff", [i.intent_similarity for i in its])],
            n,
            0.75,
        )
        + _bar_chart(its)
        + "</div></section>"
    )
    viewer = ""
    if worlds:
        default = (
            str(run.best_iteration)
            if run.best_iteration and str(run.best_iteration) in worlds
            else next(iter(worlds))
        )
        opts = "".join(
            f"<option value='{k}'{' selected' if k == default else ''}>iteration {k} "
            f"({E(worlds[k]['method'])})</option>"
            for k in worlds
        )
        viewer = (
            "<section class='panel'><h2>World and agent replay</h2>"
            "<div class='controls'><select id='wsel' aria-label='iteration'>" + opts + "</select>"
            "<button id='wplay'>Play</button><input id='wtime' type='range' min='0' max='0' value='0' "
            "aria-label='replay time'><span id='wtlabel' class='muted'>0.0 s</span>"
            "<button id='wtop'>Top</button><button id='w3d'>3D</button></div>"
            "<canvas id='viewer' aria-label='3D world view: drag to orbit, wheel to zoom, click a marker'>"
            "</canvas><div id='vinfo' class='muted'>Drag to orbit, wheel to zoom, arrow keys to turn. "
            "Click a red marker to see the finding and jump its video there.</div>"
            "<div class='legend'><span><i style='background:#8c7a5b'></i>obstacle</span>"
            "<span><i style='background:#5b8c7a'></i>moving object (from the video)</span>"
            "<span><i style='background:#6ea8ff'></i>agents</span><span><i style='background:#ff6b6b'>"
            "</i>violation</span></div></section>"
        )
    body = (
        "".join(head)
        + charts
        + viewer
        + iter_html
        + (
            "<p class='muted'>Generated by World Director. Files: run.json, iter-NN/ (video.mp4, analysis.json, "
            "world.json, world.glb, agent_report.json, revision.json).</p></main>"
        )
    )
    template = resources.files("worlddirector.director").joinpath("report_template.html").read_text()
    data = json.dumps({"worlds": worlds}, separators=(",", ":")).replace("</", "<\\/")
    return (
        template.replace("{{TITLE}}", E(f"World Director · {run.original_prompt[:80]}"))
        .replace("{{DATA}}", data)
        .replace("{{BODY}}", body)
    )


def write_report(out_dir: Path, run: Run | None = None) -> Path:
    """Rebuild ``out_dir/report.html`` from ``run.json`` and the iteration artifacts."""
    out_dir = Path(out_dir)
    if run is None:
        if not (out_dir / Run.FILENAME).exists():
            raise BadInputError(f"{out_dir}: no run.json (not a director run directory)")
        run = Run.load(out_dir)
    page = render_report(out_dir, run)
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".report.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(page)
    os.chmod(tmp, 0o644)  # a page to open and share, not a secret
    os.replace(tmp, out_dir / "report.html")
    return out_dir / "report.html"
