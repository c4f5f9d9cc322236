"""Tools for the people who teach or publish the course (not imported by notebooks)."""
