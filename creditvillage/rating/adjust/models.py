"""Models of this part of the rating app (imported by rating/models.py)."""
