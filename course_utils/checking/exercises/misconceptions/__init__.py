"""The misconception catalogues of notebooks 00-06, one module per notebook (``nb00`` ... ``nb06``, with
``nb06_photo``).

Each module holds, per exercise, a dict ``{"mistakes": [...], "alternatives": [...]}`` written as a student
would write the answers: the classic wrong answers (``Mistake``, each with the words of its diagnosis) and the
right-but-different ones (``Alternative``). The exercise modules pass them on:
``Function("normalize", ..., **nb00.NORMALIZE)``. ``tests/test_catalogue.py`` runs them all.
"""
