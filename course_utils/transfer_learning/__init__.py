"""Transfer learning (notebook 06): real photos, the pretrained MobileNetV2, cached features
and fine-tuning, what backbones cost, transfer between digits.
"""

from course_utils import lazy_submodules

__getattr__ = lazy_submodules(__name__)  # ``course_utils.<package>.<module>`` works before anything imported it
