"""Instructor tools: run the course for a class (JupyterHub with nbgrader) and publish it (website, release check)."""
