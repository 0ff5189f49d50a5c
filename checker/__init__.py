"""gicheck: a formal specification of KVM's vgic and a model checker for it."""

__version__ = "0.1.0"
