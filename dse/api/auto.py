"""`auto`: one budgeted command from a space to a compared, exported model, with no expert in
the loop. The plan (`dse.api.auto_plan`) is printed and stored with the study before its
first trial; running the same command again continues from the store, stage by stage:

1. search: `run` at the space's default fidelity (oneshot where the space has one);
2. ladder: the rule's picks trained longer on a validation split, in `<study>-ladder`;
3. final: the best ladder trials and the baseline confirmed with seeds on the test set;
4. compare (Welch, Holm over the finalists) and 5. export the rule's pick, then auto.md.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import optuna
import yaml

from dse.api.auto_final import final_stage
from dse.api.auto_latency import fit_profile, latency_note
from dse.api.auto_plan import AutoPlan, finalists, ladder_order, make_plan
from dse.api.compare import compare_each
from dse.api.export import Rebuild, export
from dse.api.study import run
from dse.errors import ConfigError
from dse.fileio import atomic_write_text
from dse.paths import check_study_name, study_folder
from dse.report.auto import auto_page
from dse.report.build import build_report
from dse.report.calibration import find_summary
from dse.report.data import load_study_frame
from dse.search.space import load_space, read_space_mapping, resolve_space_path
from dse.store import Store

__all__ = ["AutoPlan", "auto"]


def auto(space: str, budget_s: float, *, workers: int = 1, study: str | None = None,
         fidelity: str | None = None, baseline: str | None = None,
         storage: str | None = None, artifacts: Path = Path("studies"), device: str = "auto",
         data_dir: Path | None = None, say: Callable[[str], None] = print,
         dry_run: bool = False, **options) -> dict:
    """Run (or continue) `dse auto` on `space` within `budget_s` seconds of wall time;
    returns its summary (also written to <artifacts>/<study>/auto/auto.json and auto.md).
    `dry_run`: say the plan and return it, opening no store."""
    sp = load_space(space)
    calibration = find_summary(sp.calibrations(), fidelity or sp.default_fidelity)
    plan = make_plan(sp, space, budget_s, workers, study, fidelity, baseline, calibration,
                     **options)
    check_study_name(plan.study)
    if dry_run:
        for line in [*plan.lines(), "" if plan.profile_latency else latency_note(sp) or ""]:
            if line:
                say(line)
        return {"plan": plan.model_dump()}
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # dse says what it continues
    store = Store(storage)
    search = optuna.create_study(study_name=plan.study, storage=store.optuna,
                                 directions=sp.directions, load_if_exists=True)
    stored = search.user_attrs.get("auto_plan")
    if stored is not None and _as_plan(stored) != plan:
        raise ConfigError(f"study {plan.study!r} was started by dse auto with another plan "
                          f"({_differences(stored, plan.model_dump())}); run it with the same "
                          f"options to continue, or give another --study.")
    if stored is None:
        if search.trials:
            raise ConfigError(f"study {plan.study!r} already has trials that dse auto did not "
                              f"plan; give another --study.")
        search.set_user_attr("auto_plan", plan.model_dump())
    for line in plan.lines():
        say(line)
    folder = study_folder(artifacts, plan.study) / "auto"
    if plan.profile_latency:
        fit_profile(plan, sp, folder, search, say)
    elif note := latency_note(sp):
        say(note)
    common = {"storage": storage, "artifacts": artifacts, "device": device,
              "data_dir": data_dir}
    done = sum(t.state.is_finished() for t in search.get_trials(deepcopy=False))
    todo = None if plan.search_trials is None else plan.search_trials - done
    if todo is not None and todo <= 0:
        say(f"search: its {plan.search_trials} trials are done")
    else:
        _timed(search, "search", plan.search_s, say, lambda left: run(
            space, study=plan.study, timeout=left, trials=todo,
            fidelity=plan.search_fidelity, workers=workers, quiet=True, log_format="plain",
            say=say, **common))
    _ladder(plan, search, space, folder, say, common)
    chosen = finalists(load_study_frame(plan.ladder_study, storage), plan)
    if not chosen:
        raise ConfigError(f"no ladder trial of {plan.ladder_study!r} completed feasibly; "
                          f"nothing to confirm (give a larger --budget).")
    say(f"final: trials {chosen} of {plan.ladder_study!r} and {plan.baseline}")
    final_stage(plan, chosen, say, common)
    return _conclude(plan, chosen, folder, common, say)


RECORD_EVERY_S = 60.0  # how often a running stage writes the time it has used


def _timed(study: optuna.Study, stage: str, budget: float, say, work) -> None:
    """Run `work(seconds left)` unless the stage's time is spent; the time used is kept in
    the study (`auto_<stage>_s`), written every minute while the stage runs and at its end,
    so a run continued after a crash or a kill gets only what is left."""
    key = f"auto_{stage}_s"
    used = float(study.user_attrs.get(key, 0.0))
    left = budget - used
    if left < 1:
        say(f"{stage}: its {budget / 3600:.2f} h are spent")
        return
    t0 = time.monotonic()
    stop = threading.Event()

    def record() -> None:
        study.set_user_attr(key, used + time.monotonic() - t0)

    def loop() -> None:
        while not stop.wait(RECORD_EVERY_S):
            with suppress(Exception):  # a busy store: the next minute writes it
                record()

    clock = threading.Thread(target=loop, name=f"dse-auto-{stage}-clock", daemon=True)
    clock.start()
    try:
        work(left)
    finally:
        stop.set()
        clock.join()
        record()


def _ladder(plan: AutoPlan, search: optuna.Study, space: str, folder: Path, say,
            common: dict) -> None:
    """Enqueue the rule's picks once into the ladder study and train them in order until
    the ladder's time is spent."""
    store = Store(common["storage"])
    ladder = optuna.create_study(study_name=plan.ladder_study, storage=store.optuna,
                                 directions=search.directions, load_if_exists=True)
    if "auto_picks" not in ladder.user_attrs:
        picks = ladder_order(load_study_frame(plan.study, common["storage"]), plan)
        if not picks:
            raise ConfigError(f"the search {plan.study!r} has no completed feasible trial to "
                              f"train longer (give a larger --budget).")
        trials = {t.number: t for t in search.get_trials(deepcopy=False)}
        for n in picks:
            ladder.enqueue_trial(trials[n].params, user_attrs={"from_trial": n},
                                 skip_if_exists=True)
        ladder.set_user_attr("auto_picks", picks)
        say(f"ladder: search trials {picks}, in this order")
    # a run killed mid-trial left it running: failed and queued again once its heartbeat
    # is stale, so that it is counted (and trained) now
    optuna.storages.fail_stale_trials(ladder)
    waiting = sum(t.state == optuna.trial.TrialState.WAITING for t in ladder.trials)
    if not waiting:
        return
    derived = _ladder_space(space, plan, folder)
    unused = plan.search_s - float(search.user_attrs.get("auto_search_s", 0.0))
    _timed(search, "ladder", plan.ladder_s + max(unused, 0.0), say, lambda left: run(
        str(derived), study=plan.ladder_study, trials=waiting, timeout=left,
        fidelity="auto-ladder", workers=plan.workers, baselines=False, quiet=True,
        log_format="plain", say=say, **common))


def _ladder_space(space: str, plan: AutoPlan, folder: Path) -> Path:
    """The space with the ladder's fidelity added, written beside the study's files."""
    raw = read_space_mapping(resolve_space_path(space))
    raw.setdefault("fidelities", {})["auto-ladder"] = {
        "epochs": plan.ladder_epochs, "val_size": plan.val_size,
        **({"train_images": plan.ladder_images} if plan.ladder_images else {})}
    raw["default_fidelity"] = "auto-ladder"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ladder-space.yaml"
    atomic_write_text(yaml.safe_dump(raw, sort_keys=False), path)
    return path


def _conclude(plan: AutoPlan, chosen: list[int], folder: Path, common: dict, say) -> dict:
    """Compare, adjust, export the rule's pick, write auto.json and auto.md. A pick whose
    final runs were trained on another machine (a stop continued elsewhere, or a shared
    PostgreSQL store) has its seed-0 run trained again here for the export."""
    storage = common["storage"]
    stats = compare_each(plan.ladder_study, chosen, plan.baseline, epochs=plan.final_epochs,
                         train_images=plan.final_images, latency=False, storage=storage)
    for s in stats:  # `dse compare --trial A --trial B` reproduces these
        s.setdefault("p_one_sided_holm", s["p_one_sided"])  # one finalist: nothing to adjust
        s["won"] = bool(s["p_one_sided_holm"] < plan.alpha and s["ahead_by_twice_pooled_sd"])
    pick = chosen[0]  # the best ladder validation accuracy: fixed before any test figure
    card = export(folder / f"trial-{pick}.onnx", study=plan.ladder_study, trial=pick,
                  int8=True, confirmed=True, storage=storage, data_dir=common["data_dir"],
                  rebuild=Rebuild(common["artifacts"], common["device"]), say=say)
    out = {"plan": plan.model_dump(), "finalists": chosen, "comparisons": stats,
           "exported": pick, "card": card}
    atomic_write_text(json.dumps(out, indent=1, default=str), folder / "auto.json")
    atomic_write_text(_words(plan, stats, card), folder / "auto.md")
    build_report(plan.ladder_study, storage, out=folder / "report")
    page = auto_page(f"dse auto: {plan.space}", plan.lines(),
                     [(won, text.replace("**", "")) for won, text in _verdicts(plan, stats)],
                     stats, plan.baseline, _exported(stats, card), folder / "report")
    say(_words(plan, stats, card))
    say(f"page: {page}")
    return out


def _verdicts(plan: AutoPlan, stats: list[dict]) -> list[tuple[bool, str]]:
    """(won, sentence) for each finalist, the one wording of auto.md and auto.html."""
    out = []
    for s in stats:
        a, b = s["mean"]
        verdict = "**won**" if s["won"] else "did not win"
        out.append((s["won"], f"trial {s['trial']} of {plan.ladder_study} {verdict} against "
                    f"{plan.baseline}: {a:.2%} vs {b:.2%} test accuracy ({plan.final_epochs} "
                    f"epochs x {len(s['accuracies'][str(s['trial'])])} seeds), "
                    f"{s['difference_in_pooled_sd']:.1f} pooled sd, one-sided Welch p = "
                    f"{s['p_one_sided']:.3g}, Holm-adjusted {s['p_one_sided_holm']:.3g}."))
    return out


_AGAIN = (" (trained again here with the same seed for the export, its stored checkpoint "
          "being on another machine; the comparison keeps the stored figures)")


def _exported(stats: list[dict], card: dict) -> str:
    def acc(part: str) -> str:
        a = (card.get(part) or {}).get("test_accuracy")
        return "-" if a is None else f"{a:.2%}"

    again = "trained again on this machine" in str(card.get("training", ""))
    return (f"Exported: trial {stats[0]['trial']} (the ladder's best by validation accuracy), "
            f"its seed-{card.get('confirmed_seed', 0)} final run{_AGAIN if again else ''} as "
            f"float32 and int8 ONNX with its "
            f"card, beside auto.md: "
            f"{acc('float32')} (float32) and {acc('int8')} (int8) test accuracy in "
            f"onnxruntime on the whole test set.")


def _words(plan: AutoPlan, stats: list[dict], card: dict) -> str:
    lines = [f"# dse auto: {plan.space}", "", *plan.lines(), "", "## Result", ""]
    lines += [f"- {text}" for _, text in _verdicts(plan, stats)]
    lines += ["", _exported(stats, card), "",
              "The page report/auto.html shows the same with each seed's accuracy, and "
              "report/index.html the ladder's trials.", ""]
    return "\n".join(lines)


def _as_plan(stored: dict) -> AutoPlan | None:
    """A stored plan as a plan (settings added since it was stored take their defaults)."""
    try:
        return AutoPlan.model_validate(stored)
    except ValueError:
        return None


def _differences(a: dict, b: dict) -> str:
    return ", ".join(f"{k}: {a.get(k)!r} then, {b.get(k)!r} now" for k in b
                     if a.get(k) != b.get(k))[:300]

