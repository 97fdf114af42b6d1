"""A weight-sharing supernet of the SqueezeNext family, trained once per space, data set and
recipe (sandwich rule with in-place distillation, as BigNAS), and the `oneshot` evaluation
of a candidate from it (weights sliced out, BatchNorm recalibrated, validation accuracy).

    net = SuperNet(largest_cfg)                 # every smaller network shares its weights
    train_supernet(net, sampler, train, val)    # resumable, one state per epoch
    oneshot_evaluate(net, cfg, calib, val)      # {"accuracy": ..., "loss": ...}
"""

from dse.supernet.elastic import FIXED_DIMS, SHARED_DIMS, SuperNet, supernet_key
from dse.supernet.oneshot import oneshot_evaluate, recalibrate_bn
from dse.supernet.training import (
    SupernetRecipe,
    cpu_seconds,
    load_supernet,
    save_supernet,
    train_supernet,
)

__all__ = ["FIXED_DIMS", "SHARED_DIMS", "SuperNet", "SupernetRecipe", "cpu_seconds",
           "load_supernet",
           "oneshot_evaluate", "recalibrate_bn", "save_supernet", "supernet_key",
           "train_supernet"]
