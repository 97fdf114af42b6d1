"""Deployment: exporters (ONNX, pt2) with verification, int8 quantisation, model cards,
latency on the runtime users ship, and an embedded runtime with RTMaps' life-cycle."""
