"""Completion reporting for L&D staff: who did which module, with what result, per course."""
