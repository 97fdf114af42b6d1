"""Space files shared by tests."""

import textwrap

#: The smallest valid HPS space: 8 candidates (stage-3 blocks 1-4, two widths), 1 epoch.
MINIMAL = textwrap.dedent("""
    name: t
    study: t
    model:
      family: hps
      blocks: [1, 1, {int: [1, 4]}, 1]
      width: {choices: [0.5, 1.0]}
    fidelities:
      proxy: {epochs: 1}
""")
