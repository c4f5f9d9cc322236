"""Seeing inside a trained CNN (notebook 04): feature maps, attribution (saliency, Grad-CAM,
occlusion), filter ascent, and ``explain``, the notebook's toolbox.
"""

from course_utils import lazy_submodules

__getattr__ = lazy_submodules(__name__)  # ``course_utils.<package>.<module>`` works before anything imported it
