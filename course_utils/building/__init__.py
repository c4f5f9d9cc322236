"""Building and training CNNs (notebooks 03 and 05): the MNIST models, residual blocks, signal flow,
controlled experiments, famous architectures, the Fashion-MNIST recipe.
"""

from course_utils import lazy_submodules

__getattr__ = lazy_submodules(__name__)  # ``course_utils.<package>.<module>`` works before anything imported it
