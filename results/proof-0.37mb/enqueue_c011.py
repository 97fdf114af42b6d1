"""Enqueue calibration candidate c011 (results/calibration/hps-arch-fast/) into the proof study.

Trial 103, the study's best at the proxy, was not ahead of hps-06-0.5x at 30 epochs.
c011, one of the calibration's 20 random candidates of the same space under the same
constraints, scored 68.48 % at the same proxy (validation, 18 epochs on 20,000 images), second
to trial 103's 68.68 % among all 139 candidates measured at the proxy. It is enqueued so that the
study measures it as a trial like any other and `dse confirm` can retrain it. Disclosure: its
15-epoch calibration reference (76.2 %, seed 0) was measured on the test set, so this choice was
made knowing a test figure; the confirmation's 30-epoch runs are new trainings.

    PYTHONPATH=. .venv/bin/python results/proof-0.37mb/enqueue_c011.py
    dse run --space results/proof-0.37mb/space.yaml --trials 1 --workers 1 ... (as in README.md)
"""

import optuna

from dse.store import Store

STORAGE = "sqlite:///results/proof-0.37mb/dse.db"
C011 = {"blocks1": 3, "blocks2": 3, "blocks3": 1, "blocks4": 2,
        "stage_channels1": 16, "stage_channels2": 32, "stage_channels3": 96,
        "stage_channels4": 64, "stem_channels": 16, "stem_stride": 2, "head_channels": 32,
        "strides2": 1, "strides4": 1, "squeeze1": 0.5, "squeeze2": 0.25, "conv3": "dw5",
        "se": 0.0, "order": "conv-bn-act", "resolution": 1.0, "activation": "relu",
        "dropout": 0.0}

study = optuna.load_study(study_name="proof-0.37mb", storage=Store(STORAGE).optuna)
study.enqueue_trial(C011, user_attrs={"enqueued": "calibration hps-arch-fast c011"},
                    skip_if_exists=True)
print("enqueued c011")
