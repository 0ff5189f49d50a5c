"""gicheck conform: the spec against a real GIC emulation (docs/conform.md).

generate.py makes access sequences from the spec, target.py runs them on QEMU through a
bare-metal guest (guest/), compare.py replays each on the spec with the target's values as the
values expected, classifies and shrinks every disagreement, and known.py reads the file of
declared differences between the target and KVM.
"""
