"""The multi-objective successive-halving promotion rule, on synthetic values."""

from __future__ import annotations

import math

from dse.pareto import crowding_distances, nondominated_ranks, order
from dse.search.schedulers.halving import promotable

MAX_MIN = ["maximize", "minimize"]  # accuracy up, size down


def test_nondominated_ranks_known_fronts():
    pts = [[1, 5], [2, 4], [3, 3], [2, 5], [3, 4], [4, 5]]
    assert nondominated_ranks(pts) == [0, 0, 0, 1, 1, 2]


def test_equal_points_share_a_front():
    assert nondominated_ranks([[1, 1], [1, 1], [2, 2]]) == [0, 0, 1]


def test_crowding_distance_boundaries_and_interior():
    d = crowding_distances([[0, 4], [1, 3], [3, 1], [4, 0]])
    assert math.isinf(d[0]) and math.isinf(d[3])
    assert d[1] == (3 - 0) / 4 + (4 - 1) / 4 and d[2] == (4 - 1) / 4 + (3 - 0) / 4


def test_order_prefers_rank_then_crowding():
    pts = [[0, 10], [5, 5], [4.9, 5.1], [10, 0], [6, 6]]
    ranked = order(pts)
    assert set(ranked[:2]) == {0, 3}  # extreme points of the first front
    assert ranked[-1] == 4  # the only dominated point comes last


def test_promotion_keeps_best_fraction():
    # (accuracy, size): trial 0 is best on both; trial 3 is dominated by everyone.
    rung = [[0.9, 1.0], [0.8, 2.0], [0.7, 3.0], [0.5, 4.0]]
    assert promotable(rung, 0, eta=2, directions=MAX_MIN)
    assert not promotable(rung, 3, eta=2, directions=MAX_MIN)
    assert [promotable(rung, i, 2, MAX_MIN) for i in range(4)] == [True, True, False, False]


def test_the_most_accurate_trial_at_a_rung_is_never_stopped():
    # (accuracy, size, latency) at a rung, as in the proof study: the newcomer (last) is
    # the most accurate and the largest and slowest; three points of the first front are
    # extreme in some objective, keep is 2 and crowding ties went to the earlier trials.
    dirs = ["maximize", "minimize", "minimize"]
    rung = [[0.57, 0.345, 0.060], [0.49, 0.257, 0.046], [0.55, 0.20, 0.070],
            [0.65, 0.370, 0.080]]
    assert not promotable(rung, 3, eta=2, directions=dirs)  # NSGA-II's order alone
    assert promotable(rung, 3, eta=2, directions=dirs, trained=[True, False, False])
    # the smallest is not kept for being the smallest: size is exact, not trained
    assert not promotable([[0.9, 1.0], [0.8, 2.0], [0.7, 3.0], [0.1, 0.9]], 3, eta=4,
                          directions=MAX_MIN, trained=[True, False])
    # a tie is no lead: when all are at chance, the larger one is stopped (CI, stop 27)
    assert not promotable([[0.1, 0.2], [0.1, 0.2], [0.1, 0.33]], 2, eta=2,
                          directions=MAX_MIN, trained=[True, False])


def test_first_arrival_is_promoted_and_direction_matters():
    assert promotable([[0.1, 9.0]], 0, eta=3, directions=MAX_MIN)
    rung = [[0.9, 1.0], [0.1, 9.0], [0.5, 5.0]]
    assert not promotable(rung, 1, eta=3, directions=MAX_MIN)
    assert promotable(rung, 1, eta=3, directions=["minimize", "maximize"])


def test_hypervolume_2d_and_3d_by_hand():
    from dse.pareto import hypervolume

    assert hypervolume([[1, 2], [2, 1]], [3, 3]) == 3.0  # 2x1 + 1x2 - overlap 1x1
    assert hypervolume([[1, 2], [2, 1], [2.5, 2.5]], [3, 3]) == 3.0  # dominated adds nothing
    assert hypervolume([[0, 0, 0]], [1, 2, 3]) == 6.0
    assert hypervolume([[0, 0, 1], [1, 1, 0]], [2, 2, 2]) == 4 + 2 - 1  # union of two boxes
    assert hypervolume([[5, 5]], [3, 3]) == 0.0


def test_fast_nondominated_mask_agrees_with_full_sort():
    import random

    from dse.pareto import hypervolume, hypervolume_history, nondominated_mask

    rng = random.Random(0)
    for dims in (2, 3):
        pts = [[rng.randint(0, 9) for _ in range(dims)] for _ in range(200)]
        assert nondominated_mask(pts) == [r == 0 for r in nondominated_ranks(pts)]
        ref = [10] * dims
        hist = hypervolume_history(pts, ref)
        assert hist == sorted(hist)  # never decreases
        assert abs(hist[-1] - hypervolume(pts, ref)) < 1e-9


def test_rung_schedule_is_geometric_below_the_fidelity():
    from dse.search.schedulers.halving import HalvingOptions, SuccessiveHalving

    def rungs(epochs, min_epochs, eta):
        return SuccessiveHalving(HalvingOptions(min_epochs=min_epochs, eta=eta), epochs).rungs()

    assert rungs(18, 2, 3) == [2, 6]
    assert rungs(200, 1, 3) == [1, 3, 9, 27, 81]
    assert rungs(9, 1, 3) == [1, 3]
    assert rungs(2, 2, 3) == []  # the first rung is the last epoch: no early stop
    assert rungs(16, 1, 2) == [1, 2, 4, 8]


def test_four_objectives_have_a_hypervolume():
    from dse.pareto import hypervolume

    assert hypervolume([[0, 0, 0, 0]], [1, 2, 3, 4]) == 24.0
    assert hypervolume([[0, 0, 0, 1], [1, 1, 1, 0]], [2, 2, 2, 2]) == 8 + 2 - 1


def test_the_sampler_stops_proposing_a_constraint_violating_region():
    """Real hps_cifar10 candidates, real MAC counts and constraint, real TPE: after dse's
    feasible start the sampler learns to avoid big models (synthetic accuracies instead of
    training; the claim is about rejections only)."""
    import optuna

    from dse.constraints import Constraint
    from dse.measure import count_macs
    from dse.search.candidate import sample
    from dse.search.feasible import make_sampler
    from dse.search.space import load_space
    from dse.search.warmstart import enqueue_feasible_start
    from dse.train.job import build_model

    optuna.logging.set_verbosity(optuna.logging.ERROR)

    def rejected(sampler: str, warm: bool, trials: int = 40) -> int:
        space = load_space("hps_cifar10").model_copy(update={
            "sampler": sampler, "objectives": ["accuracy", "size_mb"],
            "constraints": [Constraint.parse("macs <= 20000000")]})
        study = optuna.create_study(directions=space.directions,
                                    sampler=make_sampler(space, 0))
        if warm:
            assert enqueue_feasible_start(space, study, trials, 0) == 10
        n = 0
        for _ in range(trials):
            trial = study.ask()
            model = build_model(dict(sample(space, trial).model), "cifar10")
            macs = count_macs(model)
            trial.set_constraint("macs <= 20000000", macs - 2e7)
            n += macs > 2e7
            study.tell(trial, [0.0 if macs > 2e7 else 0.3 + macs / 1e9, macs / 1e7])
        return n

    assert rejected("random", warm=False) >= 12  # about half the space is too big
    assert rejected("tpe", warm=True) <= 6  # at most 15 % after a feasible start


def test_slack_credits_only_the_noisy_objective():
    # (accuracy, size) at an early rung: trial 1 is dominated by trial 0 on both, by 2
    # points of accuracy; with 4 points of slack on accuracy it is not (size is exact).
    rung = [[0.30, 1.0], [0.28, 1.0], [0.10, 0.5], [0.05, 2.0]]
    assert not promotable(rung, 1, eta=2, directions=MAX_MIN)
    assert promotable(rung, 1, eta=2, directions=MAX_MIN, credit=[0.04, 0.0])
    assert not promotable(rung, 3, eta=2, directions=MAX_MIN, credit=[0.04, 0.0])
    from dse.search.schedulers.halving import credit

    assert credit(["accuracy", "size_mb", "macs"], 0.08) == [0.08, 0.0, 0.0]


def test_halving_can_rank_by_a_curve_signal_instead_of_rung_accuracy():
    """Two trials of equal size at rung 0: B is ahead on accuracy there, A on summed
    training loss; with signal neg_train_loss_sum, A is promoted and B stopped."""
    import optuna

    from dse.search.schedulers.base import EpochReport
    from dse.search.schedulers.halving import HalvingOptions, SuccessiveHalving
    from dse.search.signals import signals

    curve_a = [{"val_acc": 0.30, "train_loss": 1.6}, {"val_acc": 0.40, "train_loss": 1.3}]
    curve_b = [{"val_acc": 0.38, "train_loss": 1.9}, {"val_acc": 0.42, "train_loss": 1.7}]

    def decide(signal: str) -> list[str | None]:
        study = optuna.create_study(directions=["maximize", "minimize"])
        sched = SuccessiveHalving(HalvingOptions(min_epochs=2, slack=0.0, signal=signal), 8)
        out = []
        for curve in (curve_a, curve_b):
            trial = study.ask()
            report = EpochReport(trial, study, 2, {"accuracy": curve[-1]["val_acc"],
                                                   "size_mb": 0.3},
                                 ["accuracy", "size_mb"], ["maximize", "minimize"],
                                 signals(curve, 1000.0))
            out.append(sched.decide(report))
            study.tell(trial, [curve[-1]["val_acc"], 0.3])
        return out

    assert decide("last_val_acc")[1] is None  # B leads on accuracy: promoted
    a, b = decide("neg_train_loss_sum")
    assert a is None and b is not None and "successive halving" in b
    from pydantic import ValidationError

    try:
        HalvingOptions(signal="params")
    except ValidationError as exc:
        assert "signal" in str(exc)
    else:
        raise AssertionError("params is not a halving signal")
