"""Objective terms: balance of potential (objective 2) and disruption (objective 3)."""
