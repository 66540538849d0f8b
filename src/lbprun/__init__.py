"""lbprun: running biomechanics in low back pain, from C3D trials to published outcome measures."""

__version__ = "0.1.0"
