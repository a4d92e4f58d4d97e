"""``worlddirector bench llm``: the offline model layer's speed, variety and story coherence.

For each world base prompt in ``benchmarks/llm_prompts.txt`` it plans a full choice tree to a given
depth (1 + 3 + 9 + ... scenes) the way the shared world does (each child gets its parent's chosen
label and state summary), then measures:

- speed: median milliseconds per ``plan_scene`` / ``summarize_state`` / ``revise_prompt`` /
  ``describe_keyframes`` (6 keyframes of the built-in sample clip);
- variety: distinct scene prompts / scenes, and distinct (short) labels among siblings;
- coherence: scenes that keep the protagonist's look from the root, travel choices whose child scene
  starts in the destination named by the choice, summaries that keep the mission.
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

from worlddirector.bench.common import console, read_prompts, table, verdict


def _tree(llm, base: str, depth: int):
    from worlddirector.llm import PlanContext

    t0 = time.perf_counter()
    root = llm.plan_scene(PlanContext(base_prompt=base))
    times = [time.perf_counter() - t0]
    nodes = [("", None, root)]
    frontier = [("", root)]
    for _ in range(depth):
        nxt = []
        for path, plan in frontier:
            for i, ch in enumerate(plan.choices):
                cpath = f"{path}/{i}" if path else str(i)
                t0 = time.perf_counter()
                child = llm.plan_scene(PlanContext(base_prompt=base, path=cpath, choice=ch.label,
                                                   state_summary=plan.state_summary))
                times.append(time.perf_counter() - t0)
                nodes.append((cpath, ch.label, child))
                nxt.append((cpath, child))
        frontier = nxt
    return nodes, times


def run(depth: int = 3) -> None:
    from worlddirector.llm import Change, RevisionRequest, SummaryContext, get_llm

    llm = get_llm("offline")
    bases = read_prompts("llm_prompts.txt")
    rows = []
    plan_times: list[float] = []
    look_kept = travel_ok = travel_n = mission_kept = scenes = distinct = 0
    sib_distinct = []
    for base in bases:
        nodes, times = _tree(llm, base, depth)
        plan_times += times
        root = nodes[0][2]
        look = root.state_summary.split("(", 1)[1].split(")", 1)[0] if "(" in root.state_summary else ""
        prompts = [n[2].scene_prompt for n in nodes]
        scenes += len(nodes)
        distinct += len(set(prompts))
        tree_look = sum(1 for p in prompts if look and look in p)
        look_kept += tree_look
        mission_kept += sum(1 for n in nodes if "Mission:" in n[2].state_summary)
        for _path, label, plan in nodes:
            shorts = {c.short for c in plan.choices}
            sib_distinct.append(len(shorts) / 3)
            if label and " into " in label and re.search(r"\b(portal|rift)\b", label):
                travel_n += 1
                dest = label.split(" into ", 1)[1].rstrip(".")
                travel_ok += plan.scene_prompt.startswith(f"In {dest}")
        rows.append((base[:36] + "...", len(nodes), f"{len(set(prompts))}/{len(nodes)}", f"{tree_look}/{len(nodes)}",
                     f"{1000 * statistics.median(times):.2f}"))
    table(f"Offline planner: choice trees to depth {depth}", ["base prompt", "scenes", "distinct prompts",
                                                             "look kept", "ms/plan (median)"], rows)

    ctx = SummaryContext(base_prompt=bases[0], scene_prompt=nodes[-1][2].scene_prompt,
                         previous_summary=nodes[0][2].state_summary)
    t_sum = _median_ms(lambda: llm.summarize_state(ctx))
    req = RevisionRequest(original_prompt="a red ball rolls across a wooden floor",
                          prompt="a red ball rolls across a wooden floor",
                          edits=[Change(edit=f"edit {i} keeps things steady", reason="r", violation_ids=[f"v{i}"])
                                 for i in range(6)])
    t_rev = _median_ms(lambda: llm.revise_prompt(req))
    frames = _sample_keyframes()
    t_vis = _median_ms(lambda: llm.describe_keyframes(frames), repeats=3) if frames else float("nan")
    summary = [
        ("scenes planned", scenes, ""),
        ("distinct scene prompts", f"{distinct / scenes:.3f}", verdict(distinct == scenes)),
        ("distinct sibling labels", f"{statistics.mean(sib_distinct):.3f}", verdict(min(sib_distinct) == 1.0)),
        ("protagonist look kept", f"{look_kept / scenes:.3f}", verdict(look_kept == scenes)),
        ("travel lands in the named place", f"{travel_ok}/{travel_n}", verdict(travel_ok == travel_n)),
        ("mission kept in summary", f"{mission_kept / scenes:.3f}", verdict(mission_kept == scenes)),
        ("plan_scene ms (median)", f"{1000 * statistics.median(plan_times):.2f}", ""),
        ("summarize_state ms (median)", f"{t_sum:.2f}", ""),
        ("revise_prompt ms (median, 6 edits)", f"{t_rev:.2f}", ""),
        (f"describe_keyframes ms (median, {len(frames)} frames)", f"{t_vis:.1f}", ""),
    ]
    table("Offline model layer", ["measure", "value", "target"], summary)


def _median_ms(fn, repeats: int = 20) -> float:
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1000 * statistics.median(ts)


def _sample_keyframes() -> list[Path]:
    """Six evenly spaced frames of the built-in sample clip (rendered once, then cached)."""
    import av
    import cv2

    from worlddirector.providers.samples import ensure_sample

    console.print("preparing the sample clip for keyframes ...")
    video = ensure_sample() / "video.mp4"
    out = video.parent / "bench_keyframes"
    out.mkdir(exist_ok=True)
    paths = []
    with av.open(str(video)) as c:
        frames = list(c.decode(video=0))
    for i in range(6):
        f = frames[int(i * (len(frames) - 1) / 5)]
        p = out / f"{i}.jpg"
        cv2.imwrite(str(p), f.to_ndarray(format="bgr24"))
        paths.append(p)
    return paths
