"""The quantities a study can optimise, with their directions (no heavy imports)."""

OBJECTIVES = {"accuracy": "maximize", "size_mb": "minimize", "params": "minimize",
              "macs": "minimize", "epoch_time_s": "minimize", "latency_ms": "minimize"}
ARCH_METRICS = ("size_mb", "params", "macs", "latency_ms")  # known before any training
