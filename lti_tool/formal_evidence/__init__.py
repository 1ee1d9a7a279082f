"""Formal evidence: a projection of the statement log onto the learners' portfolios.

Each learner × activity with an outcome (completed, passed, failed, mastered, scored, cmi5
satisfied) is one Evidence row of kind "formal" and source "xapi". The row is always
recomputed from every statement still standing for that pair, so projecting twice, projecting
out of order, voiding and rebuilding from scratch all give the same result.
"""
