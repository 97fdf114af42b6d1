"""The training recipe and its defaults, written once (engine, spaces and CLI read them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class TrainConfig:
    """A training recipe. Defaults follow the papers (SGD, Nesterov, lr 0.1, wd 5e-4, b 128)."""

    epochs: int = 10
    batch_size: int = 128
    eval_batch_size: int | None = None  # None: 256 on CPU (cache-sized), 1024 on CUDA
    optimizer: str = "sgd"
    lr: float = 0.1
    optimizer_kwargs: dict = field(default_factory=lambda: {"momentum": 0.9, "nesterov": True})
    weight_decay: float = 5e-4
    schedule: str = "cosine"
    schedule_kwargs: dict = field(default_factory=dict)
    warmup_epochs: float = 0.0
    label_smoothing: float = 0.0
    augment: bool = True
    policy: str = "none"  # an augmentation policy after crop and flip: "trivialaugment"
    erasing: float = 0.0  # chance that an image has one random rectangle erased (cutout-like)
    mix: str = "none"  # "mixup" or "cutmix": blend pairs of images and their labels
    mix_alpha: float = 1.0  # the mixing weight is drawn from Beta(alpha, alpha)
    mix_ramp: float = 0.0  # fraction of the epochs over which the chance of mixing rises to 1
    ema_decay: float = 0.0  # > 0: evaluate and keep an exponential moving average of weights
    tta_flip: bool = False  # also report accuracy averaged with the mirrored image (extra)
    precision: str = "fp32"  # "bf16": training's forward pass in bfloat16 autocast (CPU too);
    # "auto": bf16 where the CPU computes it natively (AMX or AVX-512 BF16), else fp32
    seed: int = 0

    def check(self) -> TrainConfig:
        """Refuse an unknown optimizer or schedule, or options they do not take (ConfigError
        naming the option), before any data is read."""
        # lazy: torch via optim; cli.common imports recipe (fast --help)
        from dse.data.policies import POLICIES
        from dse.errors import ConfigError
        from dse.registry import check_options
        from dse.train.optim import OPTIMIZERS, optimizer_options
        from dse.train.schedules import SCHEDULES

        bad = [f"{k}={v!r}" for k, v, ok in (
            ("erasing", self.erasing, 0 <= self.erasing <= 1),
            ("mix", self.mix, self.mix in MIXES),
            ("mix_alpha", self.mix_alpha, 0 < self.mix_alpha <= 100),
            ("mix_ramp", self.mix_ramp, 0 <= self.mix_ramp <= 1),
            ("precision", self.precision, self.precision in PRECISIONS)) if not ok]
        if bad:
            raise ConfigError(f"{', '.join(bad)} out of range: erasing and mix_ramp are in "
                              f"0..1, mix is one of {', '.join(MIXES)}, mix_alpha in (0, 100], "
                              f"precision one of {', '.join(PRECISIONS)}.")
        try:
            POLICIES.get(self.policy)
            OPTIMIZERS.get(self.optimizer)
            check_options(optimizer_options(self.optimizer.lower()),
                          {"lr": self.lr, **self.optimizer_kwargs}, f"optimizer {self.optimizer}")
            check_options(SCHEDULES.get(self.schedule).Options, self.schedule_kwargs,
                          f"schedule {self.schedule}")
        except ValueError as exc:
            raise ConfigError(f"{exc}.") from None
        return self

    def to_dict(self) -> dict:
        """Plain-data form."""
        return asdict(self)


MIXES = ("none", "mixup", "cutmix")
PRECISIONS = ("fp32", "bf16", "auto")  # CUDA trains in bf16 autocast whatever this says
DEFAULT_RECIPE = TrainConfig()


def describe_recipe(candidate: dict) -> str:
    """Short recipe description of a candidate: 'sgd lr=0.1 cosine b128'."""
    t = candidate.get("train", {})
    if not t:
        return ""
    lr = t.get("lr")  # a store written before spaces checked types may hold any value
    lr = f"{lr:.3g}" if isinstance(lr, int | float) else str(lr)[:20]
    extras = "".join([f" {t['policy']}" if t.get("policy", "none") != "none" else "",
                      f" erase{t['erasing']:g}" if t.get("erasing") else "",
                      f" {t['mix']}" if t.get("mix", "none") != "none" else ""])
    return (f"{t.get('optimizer')} lr={lr} {t.get('schedule')} b{t.get('batch_size')}"
            f"{'' if t.get('augment', True) else ' no-aug'}{extras}")
