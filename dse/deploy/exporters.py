"""Exporters by format: `@register_exporter("name", suffix=".ext")` adds one (a class with
export and load).

Every exporter writes one file from a float32 model in eval mode, with a dynamic batch
dimension, and can load the file back as a function numpy batch -> numpy logits, which the
verification step runs against PyTorch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from dse.deploy.ort import session
from dse.registry import Registry

Runner = Callable[[np.ndarray], np.ndarray]


class Exporter:
    """Base class: `name`, file `suffix`, `export(model, example, path, metadata)`, `load`."""

    name: ClassVar[str] = ""
    suffix: ClassVar[str] = ""

    def export(self, model: torch.nn.Module, example: torch.Tensor, path: Path,
               metadata: dict[str, str]) -> dict:
        """Write `path`; return facts to record (versions, opset...)."""
        raise NotImplementedError

    def load(self, path: Path, threads: int = 1) -> Runner:
        """The exported file as a function of a float32 NCHW batch."""
        raise NotImplementedError


EXPORTERS: Registry[type[Exporter]] = Registry("export format")


#: `@register_exporter("name", suffix=".ext")` on an `Exporter` subclass: `dse export
#: --format name` writes files ending in `.ext`.
register_exporter = EXPORTERS.decorator


def exporters() -> list[str]:
    """Registered format names."""
    return EXPORTERS.names()


def get_exporter(name: str) -> Exporter:
    """A new exporter for format `name`; an UnknownName listing the formats otherwise."""
    return EXPORTERS.get(name)()


def strip_debug_info(proto):
    """Drop what only a debugger reads: the exporter's per-node and per-value metadata (the
    FX node, module path and class hierarchy of every op: 57 % of hps-06-0.5x's file) and
    doc strings. The runtime needs none of it; the file keeps weights, graph and dse's
    model-level metadata."""
    graph = proto.graph
    del graph.metadata_props[:]
    for coll in (graph.node, graph.value_info, graph.input, graph.output, graph.initializer):
        for item in coll:
            del item.metadata_props[:]
            item.doc_string = ""
    graph.doc_string = ""
    return proto


def _batch_dim() -> dict:
    return {"input": {0: torch.export.Dim("batch", min=1, max=4096)}}


@register_exporter("onnx", suffix=".onnx")
class OnnxExporter(Exporter):
    """ONNX through PyTorch's current (dynamo) exporter; runs on onnxruntime."""

    opset = 18

    def export(self, model, example, path, metadata):  # noqa: D102
        # lazy: onnx only when exporting or quantizing
        import onnx

        program = torch.onnx.export(model, (example,), dynamo=True, input_names=["input"],
                                    output_names=["logits"], dynamic_shapes=(
                                        {0: torch.export.Dim("batch", min=1, max=4096)},),
                                    opset_version=self.opset, external_data=False,
                                    verbose=False)
        proto = strip_debug_info(program.model_proto)
        for key, value in metadata.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.checker.check_model(proto)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        onnx.save(proto, tmp)
        tmp.replace(path)
        return {"opset": self.opset, "onnx": onnx.__version__, "exporter": "torch.onnx dynamo"}

    def load(self, path, threads=1):  # noqa: D102
        sess = session(path, threads)
        name = sess.get_inputs()[0].name
        return lambda x: sess.run(None, {name: np.ascontiguousarray(x, np.float32)})[0]


@register_exporter("pt2", suffix=".pt2")
class Pt2Exporter(Exporter):
    """torch.export's ExportedProgram (.pt2), for PyTorch-side runtimes such as ExecuTorch."""

    def export(self, model, example, path, metadata):  # noqa: D102
        program = torch.export.export(model, (example,), dynamic_shapes=(
            {0: torch.export.Dim("batch", min=1, max=4096)},))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        torch.export.save(program, tmp, extra_files={"dse.json": _json(metadata)})
        tmp.replace(path)
        return {"exporter": "torch.export"}

    def load(self, path, threads=1):  # noqa: D102
        module = torch.export.load(path).module()

        def run(x: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return module(torch.from_numpy(np.ascontiguousarray(x, np.float32))).numpy()
        return run


def _json(d: dict) -> str:

    return json.dumps(d)
