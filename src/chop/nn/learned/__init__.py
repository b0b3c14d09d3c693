"""Learned quantization: fixed-point operands whose widths train with the network (LSQ/HGQ-style),
a bit-cost penalty, and freezing back to plain `IntegerFormat` specs for integer export.

Files: `fixed.py` the learner (an operand spec with parameters), `options.py` the config keys,
`penalty.py` the BitOPs penalty and the optimizer groups of the widths.
"""

from chop.nn.learned.fixed import NAME, LearnedFixedPoint, frozen_spec, is_learned
from chop.nn.learned.options import (
    LEARN_KEYS,
    LEARNED,
    check_learn_options,
    learned_frac_operands,
    learner,
)
from chop.nn.learned.penalty import bit_penalty, has_learners, learners, parameter_groups, record_cost

__all__ = [
    "LEARNED",
    "LEARN_KEYS",
    "NAME",
    "LearnedFixedPoint",
    "bit_penalty",
    "check_learn_options",
    "frozen_spec",
    "has_learners",
    "is_learned",
    "learned_frac_operands",
    "learner",
    "learners",
    "parameter_groups",
    "record_cost",
]
