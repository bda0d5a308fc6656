"""``nlvc train``: the training loop, its data and the training-time network (torch).

Built on the codec (its schedule, network inputs and integer network); the codec never
imports this package.
"""
